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

	accepted := "# comment\n"
	for _, w := range want {
		accepted += strings.Replace(w, "GET /jobs/{id}", "*", 1) + " | reason\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "upstream", "accepted.txt"), []byte(accepted), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
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
