package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRepositorySpecsHaveNoNewDrift runs the check of `make spec-drift` on the repository's specs.
func TestRepositorySpecsHaveNoNewDrift(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"-specs", "../../specs"}, &out, &errs, table()); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errs.String())
	}
	if strings.Contains(out.String(), "unused") {
		t.Errorf("accepted.txt has lines that match nothing:\n%s", out.String())
	}
}

const upstreamYAML = `openapi: 3.0.0
info: {title: up, version: "1"}
paths:
  /jobs/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [id, state]
                properties:
                  id: {type: string}
                  state: {type: string, enum: [A, B, C]}
                  count: {type: number}
                  item: {type: string}
`

const oursYAML = `openapi: 3.0.3
info: {title: ours, version: "1"}
paths:
  /jobs/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: orgId, in: query, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [id, state, item]
                properties:
                  id: {type: string, nullable: true}
                  state: {type: string, enum: [A, B, D]}
                  count: {type: integer, format: int64}
                  item: {type: string}
                  extra: {type: string}
  /other:
    get:
      responses:
        "200": {description: ok}
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// wantNew runs specdrift over dir and fails unless it exits 1 listing exactly want as new differences;
// it returns the output.
func wantNew(t *testing.T, dir string, src []source, want []string) string {
	t.Helper()
	var out, errs bytes.Buffer
	if code := run([]string{"-specs", dir}, &out, &errs, src); code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errs.String())
	}
	for _, w := range want {
		if !strings.Contains(out.String(), "NEW      "+w+"\n") {
			t.Errorf("missing %q in\n%s", w, out.String())
		}
	}
	if n := strings.Count(out.String(), "NEW "); n != len(want) {
		t.Errorf("%d differences, want %d:\n%s", n, len(want), out.String())
	}
	return out.String()
}

// TestListsEveryKindOfDifference: operations, parameters, types, formats, required, nullable, enums and
// properties each show up, and accepted lines (with wildcards) silence exactly what they match.
func TestListsEveryKindOfDifference(t *testing.T) {
	src := []source{{Vendor: "v", Spec: "ours.yaml", Upstream: "upstream/up.yaml", Ours: readOpenAPI, Theirs: readOpenAPI}}
	want := []string{
		"v ours.yaml: GET /jobs/{id} parameter query orgId: in the spec, not upstream",
		"v ours.yaml: GET /jobs/{id} response 200.count: format upstream (none), spec int64",
		"v ours.yaml: GET /jobs/{id} response 200.count: type upstream number, spec integer",
		"v ours.yaml: GET /jobs/{id} response 200.extra: in the spec, not upstream",
		"v ours.yaml: GET /jobs/{id} response 200.id: nullable upstream false, spec true",
		"v ours.yaml: GET /jobs/{id} response 200.item: required upstream false, spec true",
		"v ours.yaml: GET /jobs/{id} response 200.state: enum value C upstream, not in the spec",
		"v ours.yaml: GET /jobs/{id} response 200.state: enum value D in the spec, not upstream",
		"v ours.yaml: GET /other: operation in the spec is not upstream",
	}
	dir := writeFiles(t, map[string]string{"ours.yaml": oursYAML, "upstream/up.yaml": upstreamYAML})
	wantNew(t, dir, src, want)

	accepted := "# comment\n"
	for _, w := range want {
		accepted += strings.Replace(w, "GET /jobs/{id}", "*", 1) + " | reason\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "upstream", "accepted.txt"), []byte(accepted), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if code := run([]string{"-specs", dir, "-all"}, &out, &errs, src); code != 0 {
		t.Fatalf("all accepted: exit %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "because reason") || !strings.Contains(out.String(), "9 accepted, 0 new") {
		t.Errorf("-all output:\n%s", out.String())
	}
}

func TestAcceptedLineWithoutReasonIsAnError(t *testing.T) {
	dir := writeFiles(t, map[string]string{"upstream/accepted.txt": "v ours.yaml: something\n"})
	var out, errs bytes.Buffer
	if code := run([]string{"-specs", dir}, &out, &errs, nil); code != 2 || !strings.Contains(errs.String(), "accepted.txt:1: no reason") {
		t.Errorf("exit %d, stderr %q", code, errs.String())
	}
}

// TestTencentAPIJSON reads the api.json format: required and output-required flags, may-be-null, lists of
// objects and of strings, and enums documented as <li> **VALUE** </li>.
func TestTencentAPIJSON(t *testing.T) {
	api := `{"actions": {"ListJobs": {"input": "In", "output": "Out"}},
	  "objects": {
	    "In": {"members": [{"name": "UserStoreId", "type": "string", "member": "string", "required": true},
	                       {"name": "JobIds", "type": "list", "member": "string", "required": false}]},
	    "Out": {"members": [{"name": "JobSet", "type": "list", "member": "Job", "output_required": true},
	                        {"name": "RequestId", "type": "string", "member": "string"}]},
	    "Job": {"members": [{"name": "Id", "type": "string", "member": "string", "output_required": true},
	                        {"name": "Status", "type": "string", "member": "string", "output_required": true, "document": "state<li> **PENDING** </li> wait<li> **DONE** </li>"},
	                        {"name": "CreatedDate", "type": "int", "member": "int64", "output_required": true},
	                        {"name": "Location", "type": "string", "member": "string", "value_allowed_null": true}]}}}`
	dir := writeFiles(t, map[string]string{"api.json": api})
	ops, err := readTencentAPI("ListJobs")(filepath.Join(dir, "api.json"))
	if err != nil {
		t.Fatal(err)
	}
	op := ops["ListJobs"]
	if !op.Body.Props["UserStoreId"].Required || op.Body.Props["JobIds"].Required || op.Body.Props["JobIds"].Items.Type != "string" {
		t.Errorf("request = %+v", op.Body.Props)
	}
	job := op.Responses["200"].Props["JobSet"].Items
	if !job.Props["Id"].Required || strings.Join(job.Props["Status"].Enum, ",") != "PENDING,DONE" ||
		job.Props["CreatedDate"].Type != "integer" || job.Props["CreatedDate"].Format != "int64" || !job.Props["Location"].Nullable {
		t.Errorf("job = %+v", job.Props)
	}
	if _, err := readTencentAPI("Nope")(filepath.Join(dir, "api.json")); err == nil {
		t.Error("an action not in the file is not an error")
	}
}

func TestWildcard(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"a*c", "abc", true},
		{"a*c", "ac", true},
		{"a*c", "abd", false},
		{"*x*", "axb", true},
		{"exact", "exact", true},
		{"exact", "exact2", false},
	}
	for _, c := range cases {
		if got := wildcard(c.pattern, c.s); got != c.want {
			t.Errorf("wildcard(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
}

// refExcerptJSON exercises every part of the reference-excerpt format: path and header parameters, a
// request body and answers naming schemas, a header entry, a note, a status without a body, a JSON body
// without a schema, schemas mapped to our names, enums, conditions, arrays of schemas, of primitives and
// of unknown items, a map, a reference to a schema the excerpt does not define, and array bounds.
const refExcerptJSON = `{
 "vendor": "v", "sources": [{"id": "s", "url": "https://example.com"}],
 "operations": [
  {"method": "GET", "path": "/jobs/{id}", "ours": "getJob",
   "params": {"id": {"in": "path", "type": "string", "required": true}},
   "headers": {"x-app-key": {"type": "string", "required": true}},
   "responses": {"200": ["application/json:JobRef", "text/csv:file", "example content type text/plain"],
                 "202": ["application/json", "header:location"], "400": []}},
  {"method": "post", "path": "/jobs", "ours": "createJob", "requestBody": "application/json:JobRef",
   "responses": {"202": ["header:Location"]}}
 ],
 "schemas": {
  "JobRef": {"ours": "Job", "properties": {
    "id": {"type": "string", "required": true},
    "state": {"type": "string"},
    "created": {"type": "string", "format": "date-time"},
    "users": {"type": "array", "items": "UserRef", "maxItems": 100},
    "tags": {"type": "array", "items": "string", "uniqueItems": true},
    "blob": {"type": "array"},
    "ids": {"type": "object", "items": "string"},
    "policy": {"type": "object", "ref": "NotInExcerpt"}},
   "enums": {"state": ["TODO", "DONE"]},
   "conditions": ["users is required when state is TODO"]},
  "UserRef": {"ours": "User", "properties": {"owner": {"type": "object", "ref": "JobRef"}}}
 }
}`

// TestReferenceExcerpt reads the reference-excerpt format into operations and named schemas.
func TestReferenceExcerpt(t *testing.T) {
	dir := writeFiles(t, map[string]string{"ref.json": refExcerptJSON})
	ops, err := readReference(filepath.Join(dir, "ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys(ops), ", "); got != "GET /jobs/{id}, POST /jobs, schema Job, schema User" {
		t.Fatalf("keys: %s", got)
	}
	get := ops["GET /jobs/{id}"]
	if get.ID != "getJob" || !get.Params["path id"].Required || get.Params["path id"].Type != "string" ||
		!get.Params["header X-App-Key"].Required || len(get.Params) != 2 {
		t.Errorf("GET: id %q params %+v", get.ID, get.Params)
	}
	if b := get.Responses["200"]; b == nil || b.Schema != "Job" || b.Type != "object" {
		t.Errorf("200 body = %+v, want the schema Job by our name", b)
	}
	if b := get.Responses["202"]; b == nil || !b.Unnamed {
		t.Errorf("202 body = %+v, want a JSON body with no published schema", b)
	}
	if b, ok := get.Responses["400"]; !ok || b != nil {
		t.Errorf("400 = %+v, %v: want the status with no body", b, ok)
	}
	if h := strings.Join(get.Headers["202"], ","); h != "Location" {
		t.Errorf("202 headers %q", h)
	}
	post := ops["POST /jobs"]
	if post.Body == nil || post.Body.Schema != "Job" || strings.Join(post.Headers["202"], ",") != "Location" || post.Responses["202"] != nil {
		t.Errorf("POST = %+v", post)
	}
	job := ops["schema Job"].Schema
	p := job.Props
	if !p["id"].Required || p["state"].Required || strings.Join(p["state"].Enum, ",") != "TODO,DONE" || p["created"].Format != "date-time" {
		t.Errorf("job properties %+v", p)
	}
	if it := p["users"].Items; it == nil || it.Schema != "User" || p["users"].MaxItems == nil || *p["users"].MaxItems != 100 {
		t.Errorf("users = %+v", p["users"])
	}
	if p["tags"].Items.Type != "string" || !p["tags"].UniqueItems || p["blob"].Items == nil || p["blob"].Items.Type != "" {
		t.Errorf("tags %+v, blob %+v", p["tags"], p["blob"])
	}
	if p["ids"].Values == nil || p["ids"].Values.Type != "string" || p["policy"].Type != "object" || p["policy"].Schema != "" {
		t.Errorf("ids %+v, policy %+v", p["ids"], p["policy"])
	}
	if strings.Join(job.Conditions, "|") != "users is required when state is TODO" {
		t.Errorf("conditions %q", job.Conditions)
	}
	if o := ops["schema User"].Schema.Props["owner"]; o.Schema != "Job" {
		t.Errorf("owner = %+v", o)
	}
}

// TestReferenceExcerptErrors: a malformed excerpt is an error naming what is wrong, never a panic.
func TestReferenceExcerptErrors(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"not JSON", `{`, "not a reference excerpt"},
		{"no operations", `{"schemas": {}}`, "no operations"},
		{"no path", `{"operations": [{"method": "GET"}]}`, "operations[0]"},
		{"twice", `{"operations": [{"method": "GET", "path": "/a"}, {"method": "get", "path": "/a"}]}`, "GET /a is listed twice"},
		{"bad in", `{"operations": [{"method": "GET", "path": "/a", "params": {"x": {"in": "body", "type": "string"}}}]}`, `parameter x: in "body"`},
		{"undefined schema", `{"operations": [{"method": "GET", "path": "/a", "responses": {"200": ["application/json:Nope"]}}]}`, "schema Nope is not defined"},
		{"bad entry", `{"operations": [{"method": "GET", "path": "/a", "responses": {"200": ["json"]}}]}`, `"json" is not <media type>`},
		{"bad type", `{"operations": [{"method": "GET", "path": "/a"}], "schemas": {"S": {"properties": {"x": {"type": "map"}}}}}`, `schema S: x: unknown type "map"`},
		{"bad items", `{"operations": [{"method": "GET", "path": "/a"}], "schemas": {"S": {"properties": {"x": {"type": "array", "items": "Nope"}}}}}`, `items "Nope"`},
		{"enum of nothing", `{"operations": [{"method": "GET", "path": "/a"}], "schemas": {"S": {"properties": {}, "enums": {"x": ["A"]}}}}`, "enums: x is not a property"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"ref.json": c.body})
			_, err := readReference(filepath.Join(dir, "ref.json"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
}

// refOursYAML is a spec to hold to refExcerptJSON; each difference below is deliberate.
const refOursYAML = `openapi: 3.0.3
info: {title: ours, version: "1"}
components:
  securitySchemes:
    appKey: {type: apiKey, in: header, name: X-APP-Key}
    bearer: {type: http, scheme: bearer}
  schemas:
    Job:
      type: object
      required: [id]
      properties:
        id: {type: string}
        state: {$ref: "#/components/schemas/State"}
        created: {type: string, nullable: true}
        users: {type: array, minItems: 1, maxItems: 100, items: {$ref: "#/components/schemas/User"}}
        tags: {type: array, uniqueItems: true, items: {type: string}}
        blob: {type: array, items: {}}
        ids: {type: object, additionalProperties: {type: string}}
        policy: {anyOf: [{type: string}, {type: object}]}
        extra: {type: string}
    State: {type: string, enum: [TODO, DONE]}
    User:
      type: object
      properties:
        owner: {$ref: "#/components/schemas/Other"}
    Other: {type: object}
paths:
  /jobs/{id}:
    get:
      operationId: getJob
      security: [{appKey: [], bearer: []}]
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Job"}}}}
        "202":
          description: running
          headers: {Location: {schema: {type: string}}}
          content: {application/json: {schema: {$ref: "#/components/schemas/Job"}}}
        "400": {description: bad, content: {application/json: {schema: {type: object}}}}
        "401": {description: no}
  /jobs:
    post:
      operationId: startJob
      requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/Job"}}}}
      responses:
        "202": {description: ok, headers: {Location: {schema: {type: string}}}}
`

// TestReferenceComparison holds an OpenAPI spec to a reference excerpt: every kind of difference the
// excerpt can show is listed once, where it is (named schemas once, not in every operation).
func TestReferenceComparison(t *testing.T) {
	src := []source{{Vendor: "v", Spec: "ours.yaml", Upstream: "upstream/ref.json", Ours: readOpenAPIFull, Theirs: readReference}}
	want := []string{
		"v ours.yaml: GET /jobs/{id} parameter header Authorization: in the spec, not upstream",
		"v ours.yaml: GET /jobs/{id} response 202: schema not published upstream, spec Job",
		"v ours.yaml: GET /jobs/{id} response 400 body: in the spec, not upstream",
		"v ours.yaml: GET /jobs/{id} response 401: in the spec, not upstream",
		"v ours.yaml: POST /jobs: operationId upstream createJob, spec startJob",
		"v ours.yaml: schema Job: condition upstream, not expressed in the spec: users is required when state is TODO",
		"v ours.yaml: schema Job.created: format upstream date-time, spec (none)",
		"v ours.yaml: schema Job.created: nullable upstream false, spec true",
		"v ours.yaml: schema Job.extra: in the spec, not upstream",
		"v ours.yaml: schema Job.policy: type upstream object, spec anyOf string|object",
		"v ours.yaml: schema Job.users: minItems upstream (none), spec 1",
		"v ours.yaml: schema User.owner: schema upstream Job, spec Other",
	}
	dir := writeFiles(t, map[string]string{"ours.yaml": refOursYAML, "upstream/ref.json": refExcerptJSON})
	out := wantNew(t, dir, src, want)
	if !strings.Contains(out, "compared v ours.yaml with upstream/ref.json: 12 differences, 0 accepted, 12 new\n") {
		t.Errorf("no summary line for the comparison:\n%s", out)
	}
}

// TestNewOracleDifferenceIsCaught: a change to a copy of the repository's oracle.yaml that departs from
// Oracle's reference is reported as new drift, and the check fails.
func TestNewOracleDifferenceIsCaught(t *testing.T) {
	cases := []struct{ name, old, new, want string }{
		{
			name: "property removed",
			old:  "        statusInfoOK:\n          type: boolean\n",
			new:  "        statusInfoOLD:\n          type: boolean\n",
			want: "oracle oracle.yaml: schema UserRO.statusInfoOK: upstream, not in the spec",
		},
		{
			name: "required dropped",
			old:  "required: [emailAddress, firstName, lastName, loginId, organization]",
			new:  "required: [emailAddress, firstName, lastName, organization]",
			want: "oracle oracle.yaml: schema UserRO.loginId: required upstream true, spec false",
		},
		{
			name: "type changed",
			old:  "        localizedException:\n          type: boolean\n          description: Whether `exception` is localized.\n",
			new:  "        localizedException:\n          type: integer\n          description: Whether `exception` is localized.\n",
			want: "oracle oracle.yaml: schema UserDataStore.localizedException: type upstream boolean, spec integer",
		},
		{
			name: "status removed",
			old:  "        \"500\":\n          $ref: \"#/components/responses/ServerError\"\n  /cloudapi/restapi/v3/user:",
			new:  "  /cloudapi/restapi/v3/user:",
			want: "oracle oracle.yaml: POST /cloudapi/restapi/user response 500: upstream, not in the spec",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copySpecs(t)
			p := filepath.Join(dir, "oracle.yaml")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(string(b), c.old) != 1 {
				t.Fatalf("oracle.yaml has %d copies of %q; update the test", strings.Count(string(b), c.old), c.old)
			}
			if err := os.WriteFile(p, []byte(strings.Replace(string(b), c.old, c.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errs bytes.Buffer
			if code := run([]string{"-specs", dir}, &out, &errs, table()); code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errs.String())
			}
			if !strings.Contains(out.String(), "NEW      "+c.want+"\n") {
				t.Errorf("missing %q in\n%s", c.want, out.String())
			}
		})
	}
}

// copySpecs copies the repository's specs directory (specs and upstream files) into a temporary one.
func copySpecs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir("../../specs", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel("../../specs", path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
