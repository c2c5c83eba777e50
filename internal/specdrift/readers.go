package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// readOpenAPI reads an OpenAPI 3 document with kin-openapi; operations are keyed "METHOD /path".
func readOpenAPI(path string) (map[string]*operation, error) {
	doc, err := loadOpenAPI(path)
	if err != nil {
		return nil, err
	}
	out := map[string]*operation{}
	for p, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out[method+" "+p] = fromOpenAPIOp(item, op, false)
		}
	}
	return out, nil
}

func loadOpenAPI(path string) (*openapi3.T, error) {
	l := openapi3.NewLoader()
	doc, err := l.LoadFromFile(path)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("not a valid OpenAPI document: %w", err)
	}
	return doc, nil
}

// fromOpenAPIOp reduces one operation; allStatuses keeps every response status, not only the 2xx ones.
func fromOpenAPIOp(item *openapi3.PathItem, op *openapi3.Operation, allStatuses bool) *operation {
	o := &operation{Params: map[string]*node{}, Responses: map[string]*node{}, Headers: map[string][]string{}}
	params := append(openapi3.Parameters{}, item.Parameters...)
	params = append(params, op.Parameters...)
	for _, pr := range params {
		if pr == nil || pr.Value == nil {
			continue
		}
		p := pr.Value
		n := fromSchema(p.Schema, 0)
		if n == nil {
			n = &node{}
		}
		n.Required = p.Required
		o.Params[p.In+" "+p.Name] = n
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		o.Body = jsonBody(op.RequestBody.Value.Content)
		if o.Body == nil {
			o.Body = &node{Type: "(not JSON)"}
		}
	}
	if op.Responses != nil {
		for st, r := range op.Responses.Map() {
			if (!allStatuses && !strings.HasPrefix(st, "2")) || r == nil || r.Value == nil {
				continue
			}
			o.Responses[st] = jsonBody(r.Value.Content)
			var hs []string
			for h := range r.Value.Headers {
				hs = append(hs, h)
			}
			sort.Strings(hs)
			o.Headers[st] = hs
		}
	}
	return o
}

func jsonBody(c openapi3.Content) *node {
	for ct, mt := range c {
		if strings.Contains(ct, "json") && mt != nil {
			return fromSchema(mt.Schema, 0)
		}
	}
	return nil
}

func fromSchema(ref *openapi3.SchemaRef, depth int) *node {
	if ref == nil || ref.Value == nil || depth > maxDepth {
		return nil
	}
	s := ref.Value
	n := &node{Format: s.Format, Nullable: s.Nullable, UniqueItems: s.UniqueItems, MaxItems: s.MaxItems}
	if s.MinItems > 0 {
		m := s.MinItems
		n.MinItems = &m
	}
	if name, ok := strings.CutPrefix(ref.Ref, "#/components/schemas/"); ok {
		n.Ref = name
	}
	if s.Type != nil && len(*s.Type) > 0 {
		n.Type = (*s.Type)[0]
	}
	for _, e := range s.Enum {
		n.Enum = append(n.Enum, fmt.Sprint(e))
	}
	for _, alt := range append(append(openapi3.SchemaRefs{}, s.AnyOf...), s.OneOf...) {
		if a := fromSchema(alt, depth+1); a != nil {
			n.AnyOf = append(n.AnyOf, a)
		}
	}
	if len(s.Properties) > 0 {
		n.Props = map[string]*node{}
		for name, p := range s.Properties {
			c := fromSchema(p, depth+1)
			if c == nil {
				c = &node{}
			}
			n.Props[name] = c
		}
		for _, r := range s.Required {
			if c, ok := n.Props[r]; ok {
				c.Required = true
			}
		}
	}
	if n.Type == "" && n.Props != nil {
		n.Type = "object"
	}
	n.Items = fromSchema(s.Items, depth+1)
	n.Values = fromSchema(s.AdditionalProperties.Schema, depth+1)
	return n
}

// readTencentSpec reads one of our Tencent specs: every action is POST / told apart by X-TC-Action, so
// operations are keyed by operationId (the action), the common parameters (headers) are not compared,
// and the answer is the object inside the `Response` envelope without `Error`, which the envelope
// carries instead of the result on failure (Tencent's common error shape, not part of an action).
func readTencentSpec(path string) (map[string]*operation, error) {
	doc, err := loadOpenAPI(path)
	if err != nil {
		return nil, err
	}
	out := map[string]*operation{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			o := fromOpenAPIOp(item, op, false)
			o.Params = nil
			for st, body := range o.Responses {
				if body == nil || body.Props["Response"] == nil {
					continue
				}
				r := body.Props["Response"]
				delete(r.Props, "Error")
				r.Required = false
				o.Responses[st] = r
			}
			o.Headers = nil
			out[op.OperationID] = o
		}
	}
	return out, nil
}

// apiJSON is the format of the API definitions Tencent Cloud's CLI ships
// (tccli/services/<service>/<version>/api.json).
type apiJSON struct {
	Actions map[string]struct {
		Input  string `json:"input"`
		Output string `json:"output"`
	} `json:"actions"`
	Objects map[string]struct {
		Members []apiMember `json:"members"`
	} `json:"objects"`
}

type apiMember struct {
	Name           string `json:"name"`
	Type           string `json:"type"`   // string, int, uint, bool, float, list, object
	Member         string `json:"member"` // the element type: a primitive or an object's name
	Required       bool   `json:"required"`
	OutputRequired bool   `json:"output_required"`
	AllowNull      bool   `json:"value_allowed_null"`
	Document       string `json:"document"` // prose; enums are listed as <li> **VALUE** </li>
}

// enumItem is how api.json documents list a member's values.
var enumItem = regexp.MustCompile(`<li>\s*\*\*([^*<]+)\*\*\s*</li>`)

// documentedEnum returns the values a member's document lists, in order.
func documentedEnum(doc string) []string {
	var out []string
	for _, m := range enumItem.FindAllStringSubmatch(doc, -1) {
		out = append(out, strings.TrimSpace(m[1]))
	}
	return out
}

// readTencentAPI reads a Tencent api.json and keeps the given actions: the request is the input object
// (required flags), the answer (as "200") the output object (output-required and may-be-null flags).
func readTencentAPI(actions ...string) reader {
	return func(path string) (map[string]*operation, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var a apiJSON
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, fmt.Errorf("not a Tencent api.json: %w", err)
		}
		out := map[string]*operation{}
		for _, name := range actions {
			act, ok := a.Actions[name]
			if !ok {
				return nil, fmt.Errorf("action %s is not in %s", name, path)
			}
			in, err := a.object(act.Input, false, 0)
			if err != nil {
				return nil, err
			}
			res, err := a.object(act.Output, true, 0)
			if err != nil {
				return nil, err
			}
			out[name] = &operation{Body: in, Responses: map[string]*node{"200": res}}
		}
		return out, nil
	}
}

func (a *apiJSON) object(name string, output bool, depth int) (*node, error) {
	obj, ok := a.Objects[name]
	if !ok {
		return nil, fmt.Errorf("object %s is not defined", name)
	}
	if depth > maxDepth {
		return nil, errors.New("objects nest too deep (a cycle?)")
	}
	n := &node{Type: "object", Props: map[string]*node{}}
	for _, m := range obj.Members {
		c, err := a.member(m.Type, m.Member, output, depth)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", name, m.Name, err)
		}
		if c.Type == "string" {
			c.Enum = documentedEnum(m.Document)
		}
		if output {
			c.Required, c.Nullable = m.OutputRequired, m.AllowNull
		} else {
			c.Required = m.Required
		}
		n.Props[m.Name] = c
	}
	return n, nil
}

func (a *apiJSON) member(typ, member string, output bool, depth int) (*node, error) {
	switch typ {
	case "list":
		elem := "object"
		if _, isObject := a.Objects[member]; !isObject {
			elem = member
		}
		items, err := a.member(elem, member, output, depth+1)
		if err != nil {
			return nil, err
		}
		return &node{Type: "array", Items: items}, nil
	case "object":
		return a.object(member, output, depth+1)
	case "string", "date", "datetime", "datetime_iso", "binary":
		return &node{Type: "string"}, nil
	case "int", "int64":
		if member == "int64" {
			return &node{Type: "integer", Format: "int64"}, nil
		}
		return &node{Type: "integer"}, nil
	case "uint64", "uint":
		return &node{Type: "integer", Format: "int64"}, nil
	case "bool":
		return &node{Type: "boolean"}, nil
	case "float", "double":
		return &node{Type: "number"}, nil
	}
	return nil, fmt.Errorf("unknown api.json type %q", typ)
}
