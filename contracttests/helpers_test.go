package contracttests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/jobwatch/jobwatch/contract"
	"github.com/jobwatch/jobwatch/specs"
)

// seed returns a documented payload stored verbatim under testdata/seeds.
func seed(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seeds", name))
	if err != nil {
		t.Fatalf("read seed %s: %v", name, err)
	}
	return b
}

// loadSpec loads an embedded spec with its validation, failing the test on any error.
func loadSpec(t testing.TB, name string) *contract.Spec {
	t.Helper()
	s, err := contract.LoadSpec(name)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return s
}

// exampleRef names where a documented payload is embedded in a spec.
type exampleRef struct {
	spec     string
	seed     string
	response string // components/responses name, "" for an operation's response or request body
	op       string // operationId when response == ""
	status   string // status of op's response; "" means op's request body
	example  string
}

// documentedExamples lists every seed payload and where its spec embeds it verbatim.
var documentedExamples = []exampleRef{
	{spec: specs.Oracle, seed: "oracle_status_200.json", response: "JobComplete", example: "documented"},
	{spec: specs.Huawei, seed: "huawei_querytask_request.json", op: "queryTask", example: "documented"},
	{spec: specs.Huawei, seed: "huawei_querytask_200.json", op: "queryTask", status: "200", example: "documented"},
	{spec: specs.Webex, seed: "webex_job_200.json", op: "getMoveUsersJobStatus", status: "200", example: "documented"},
	{spec: specs.Tencent, seed: "tencent_listjobs_request.json", op: "ListJobs", example: "documented"},
	{spec: specs.Tencent, seed: "tencent_listjobs_200.json", op: "ListJobs", status: "200", example: "documented"},
}

func operation(doc *openapi3.T, id string) *openapi3.Operation {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID == id {
				return op
			}
		}
	}
	return nil
}

// mediaOf finds the application/json media type an exampleRef points at.
func mediaOf(doc *openapi3.T, ref exampleRef) (*openapi3.MediaType, error) {
	var content openapi3.Content
	switch {
	case ref.response != "":
		r := doc.Components.Responses[ref.response]
		if r == nil || r.Value == nil {
			return nil, errors.New("no component response " + ref.response)
		}
		content = r.Value.Content
	default:
		op := operation(doc, ref.op)
		if op == nil {
			return nil, errors.New("no operation " + ref.op)
		}
		if ref.status == "" {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				return nil, errors.New(ref.op + " has no request body")
			}
			content = op.RequestBody.Value.Content
		} else {
			r := op.Responses.Value(ref.status)
			if r == nil || r.Value == nil {
				return nil, errors.New(ref.op + " has no response " + ref.status)
			}
			content = r.Value.Content
		}
	}
	mt := content.Get("application/json")
	if mt == nil {
		return nil, errors.New("no application/json content")
	}
	return mt, nil
}

// jsonEqual reports whether two JSON documents hold the same values.
func jsonEqual(a, b []byte) (bool, error) {
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		return false, err
	}
	return reflect.DeepEqual(va, vb), nil
}

// undeclared walks a JSON value beside its schema and lists every object key the schema does not
// declare, so that renaming a field in a spec is caught even where additional properties are allowed.
func undeclared(v any, s *openapi3.Schema, path string) []string {
	if s == nil {
		return nil
	}
	var alts []*openapi3.Schema
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, r := range group {
			if r.Value != nil {
				alts = append(alts, r.Value)
			}
		}
	}
	switch val := v.(type) {
	case map[string]any:
		var out []string
		for k, child := range val {
			var found *openapi3.Schema
			for _, cand := range append([]*openapi3.Schema{s}, alts...) {
				if p := cand.Properties[k]; p != nil {
					found = p.Value
					break
				}
			}
			if found == nil {
				// A free-form map (additionalProperties with a schema and no properties) declares its keys.
				if ap := s.AdditionalProperties.Schema; ap != nil && len(s.Properties) == 0 {
					out = append(out, undeclared(child, ap.Value, path+"/"+k)...)
					continue
				}
				if len(s.Properties) == 0 && len(alts) == 0 {
					continue // an object whose fields are not published: nothing to check
				}
				out = append(out, path+"/"+k)
				continue
			}
			out = append(out, undeclared(child, found, path+"/"+k)...)
		}
		return out
	case []any:
		var out []string
		items := s.Items
		if items == nil {
			for _, a := range alts {
				if a.Items != nil {
					items = a.Items
					break
				}
			}
		}
		if items == nil {
			return nil
		}
		for i, child := range val {
			out = append(out, undeclared(child, items.Value, path+"/"+strconv.Itoa(i))...)
		}
		return out
	}
	return nil
}

// newRequest builds a request with a body, as a client would send it.
func newRequest(t testing.TB, method, url string, body []byte, header map[string]string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req
}
