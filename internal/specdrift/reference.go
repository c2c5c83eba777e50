package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// readOpenAPIFull reads one of our specs for a comparison with a reference excerpt: as readOpenAPI, plus
// every response status (not only 2xx), the operation ids, the headers the security schemes put on each
// operation (as header parameters: an excerpt lists Authorization and API-key headers as parameters),
// and every component schema as a pseudo-operation "schema <Name>".
func readOpenAPIFull(path string) (map[string]*operation, error) {
	doc, err := loadOpenAPI(path)
	if err != nil {
		return nil, err
	}
	out := map[string]*operation{}
	for p, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := fromOpenAPIOp(item, op, true)
			o.ID = op.OperationID
			for name, n := range securityHeaders(doc, op) {
				o.Params["header "+name] = n
			}
			params := o.Params
			o.Params = make(map[string]*node, len(params))
			for k, n := range params {
				o.Params[canonicalParam(k)] = n
			}
			out[method+" "+p] = o
		}
	}
	if doc.Components != nil {
		for name, s := range doc.Components.Schemas {
			n := fromSchema(s, 0)
			if n == nil {
				n = &node{}
			}
			out["schema "+name] = &operation{Schema: n}
		}
	}
	return out, nil
}

// securityHeaders returns the request headers the operation's security requirements (or the document's)
// send: an apiKey scheme in a header sends that header, an http, oauth2 or openIdConnect scheme sends
// Authorization. A header is required when every alternative requirement sends it.
func securityHeaders(doc *openapi3.T, op *openapi3.Operation) map[string]*node {
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	if len(reqs) == 0 || doc.Components == nil {
		return nil
	}
	count := map[string]int{}
	for _, req := range reqs {
		seen := map[string]bool{}
		for scheme := range req {
			ref := doc.Components.SecuritySchemes[scheme]
			if ref == nil || ref.Value == nil {
				continue
			}
			var h string
			switch ss := ref.Value; ss.Type {
			case "apiKey":
				if ss.In == "header" {
					h = ss.Name
				}
			case "http", "oauth2", "openIdConnect":
				h = "Authorization"
			}
			if h != "" && !seen[h] {
				seen[h] = true
				count[h]++
			}
		}
	}
	out := map[string]*node{}
	for h, c := range count {
		out[h] = &node{Type: "string", Required: c == len(reqs)}
	}
	return out
}

// canonicalParam writes a header parameter's name in its canonical form (header names are
// case-insensitive), so that "header X-APP-Key" and "header X-App-Key" are one parameter.
func canonicalParam(k string) string {
	if name, ok := strings.CutPrefix(k, "header "); ok {
		return "header " + http.CanonicalHeaderKey(name)
	}
	return k
}

// refExcerpt is the format of the reference excerpts under specs/upstream/ (oracle-reference.json,
// huawei-reference.json): a machine-readable transcription of a vendor's REST reference pages, for
// vendors whose own machine-readable definition cannot be read here. Only the fields the comparison uses
// are decoded; the rest (sources, versions, notes) is documentation.
type refExcerpt struct {
	Operations []refOperation        `json:"operations"`
	Schemas    map[string]*refSchema `json:"schemas"`
}

type refOperation struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Ours is our operationId for the operation.
	Ours    string               `json:"ours"`
	Params  map[string]*refField `json:"params"`  // name → field with "in"
	Headers map[string]*refField `json:"headers"` // request headers (in: header)
	// RequestBody is "<media type>[:<schema>]".
	RequestBody string `json:"requestBody"`
	// Responses maps every documented status to its entries: "<media type>[:<schema>]", "header:<name>",
	// or a free-text note (any entry with a space); an empty list documents the status without a body.
	Responses map[string][]string `json:"responses"`
}

type refSchema struct {
	// Ours is our component name for the schema.
	Ours       string               `json:"ours"`
	Properties map[string]*refField `json:"properties"`
	// Enums maps a property to its documented values.
	Enums map[string][]string `json:"enums"`
	// Conditions are rules the reference states in prose.
	Conditions []string `json:"conditions"`
}

type refField struct {
	In       string `json:"in"`
	Type     string `json:"type"`
	Format   string `json:"format"`
	Required bool   `json:"required"`
	// Items is an array's element type (a primitive type or a schema of the excerpt); on an object it is
	// the type of the map's values.
	Items string `json:"items"`
	// Ref names the schema an object property is; a schema the excerpt does not define is a plain object.
	Ref         string  `json:"ref"`
	MinItems    *uint64 `json:"minItems"`
	MaxItems    *uint64 `json:"maxItems"`
	UniqueItems bool    `json:"uniqueItems"`
}

// readReference reads a reference excerpt: operations keyed "METHOD /path" with every documented
// status, and each schema as "schema <our name>".
func readReference(path string) (map[string]*operation, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var x refExcerpt
	if err := json.Unmarshal(b, &x); err != nil {
		return nil, fmt.Errorf("not a reference excerpt: %w", err)
	}
	if len(x.Operations) == 0 {
		return nil, errors.New("not a reference excerpt: no operations")
	}
	out := map[string]*operation{}
	for i, op := range x.Operations {
		if op.Method == "" || !strings.HasPrefix(op.Path, "/") {
			return nil, fmt.Errorf("operations[%d]: needs a method and a path starting with /", i)
		}
		k := strings.ToUpper(op.Method) + " " + op.Path
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("operations[%d]: %s is listed twice", i, k)
		}
		o, err := x.operation(op)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = o
	}
	for _, name := range keys(x.Schemas) {
		n, err := x.schema(name)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		out["schema "+x.ours(name)] = &operation{Schema: n}
	}
	return out, nil
}

// ours is our component name for the excerpt's schema name.
func (x *refExcerpt) ours(name string) string {
	if s := x.Schemas[name]; s != nil && s.Ours != "" {
		return s.Ours
	}
	return name
}

func (x *refExcerpt) operation(op refOperation) (*operation, error) {
	o := &operation{ID: op.Ours, Params: map[string]*node{}, Responses: map[string]*node{}, Headers: map[string][]string{}}
	for name, f := range op.Params {
		switch f.In {
		case "path", "query", "header", "cookie":
		default:
			return nil, fmt.Errorf("parameter %s: in %q is not path, query, header or cookie", name, f.In)
		}
		n, err := x.field(f)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", name, err)
		}
		o.Params[canonicalParam(f.In+" "+name)] = n
	}
	for name, f := range op.Headers {
		n, err := x.field(f)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", name, err)
		}
		o.Params[canonicalParam("header "+name)] = n
	}
	if op.RequestBody != "" {
		body, isJSON, err := x.body(op.RequestBody)
		if err != nil {
			return nil, fmt.Errorf("request body: %w", err)
		}
		if !isJSON {
			body = &node{Type: "(not JSON)"}
		}
		o.Body = body
	}
	for st, entries := range op.Responses {
		o.Responses[st] = nil
		var hs []string
		for _, e := range entries {
			if h, ok := strings.CutPrefix(e, "header:"); ok {
				hs = append(hs, http.CanonicalHeaderKey(h))
				continue
			}
			if strings.Contains(e, " ") {
				continue // a note, e.g. "example content type text/plain"
			}
			body, isJSON, err := x.body(e)
			if err != nil {
				return nil, fmt.Errorf("response %s: %w", st, err)
			}
			if isJSON {
				o.Responses[st] = body
			}
		}
		sort.Strings(hs)
		o.Headers[st] = hs
	}
	return o, nil
}

// body reads "<media type>[:<schema>]"; a JSON media type without a schema is a body whose schema is not
// published. Non-JSON bodies are not compared (as in readOpenAPI).
func (x *refExcerpt) body(entry string) (*node, bool, error) {
	media, schema, _ := strings.Cut(entry, ":")
	if !strings.Contains(media, "/") {
		return nil, false, fmt.Errorf("%q is not <media type>[:<schema>]", entry)
	}
	if !strings.Contains(media, "json") {
		return nil, false, nil
	}
	if schema == "" {
		return &node{Unnamed: true}, true, nil
	}
	if x.Schemas[schema] == nil {
		return nil, false, fmt.Errorf("schema %s is not defined in the excerpt", schema)
	}
	return &node{Type: "object", Schema: x.ours(schema)}, true, nil
}

// schema reads one schema of the excerpt; the schemas it names are not expanded (so no cycle can loop).
func (x *refExcerpt) schema(name string) (*node, error) {
	s := x.Schemas[name]
	if s == nil {
		return nil, errors.New("not defined in the excerpt")
	}
	n := &node{Type: "object", Props: map[string]*node{}, Conditions: s.Conditions}
	for p, f := range s.Properties {
		c, err := x.field(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		n.Props[p] = c
	}
	for p, values := range s.Enums {
		c, ok := n.Props[p]
		if !ok {
			return nil, fmt.Errorf("enums: %s is not a property", p)
		}
		c.Enum = values
	}
	return n, nil
}

// field reads one property or parameter; a schema it names is referred to by name (Schema), not expanded.
func (x *refExcerpt) field(f *refField) (*node, error) {
	if f == nil {
		return nil, errors.New("empty")
	}
	n := &node{Type: f.Type, Format: f.Format, Required: f.Required, MinItems: f.MinItems, MaxItems: f.MaxItems, UniqueItems: f.UniqueItems}
	switch f.Type {
	case "string", "integer", "number", "boolean":
	case "object":
		if f.Ref != "" && x.Schemas[f.Ref] != nil {
			n.Schema = x.ours(f.Ref)
		}
		if f.Items != "" {
			v, err := x.element(f.Items)
			if err != nil {
				return nil, err
			}
			n.Values = v
		}
	case "array":
		n.Items = &node{} // the reference does not say
		if f.Items != "" {
			it, err := x.element(f.Items)
			if err != nil {
				return nil, err
			}
			n.Items = it
		}
	default:
		return nil, fmt.Errorf("unknown type %q", f.Type)
	}
	return n, nil
}

// element reads an items entry: a primitive type or a schema of the excerpt.
func (x *refExcerpt) element(t string) (*node, error) {
	switch t {
	case "string", "integer", "number", "boolean":
		return &node{Type: t}, nil
	}
	if x.Schemas[t] == nil {
		return nil, fmt.Errorf("items %q is neither a primitive type nor a schema of the excerpt", t)
	}
	return &node{Type: "object", Schema: x.ours(t)}, nil
}
