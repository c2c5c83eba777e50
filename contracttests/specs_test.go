package contracttests

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/jobwatch/jobwatch/contract"
	"github.com/jobwatch/jobwatch/specs"
)

var update = flag.Bool("update", false, "rewrite testdata/inventory from the specs")

// checkSpec runs every static check on one spec's bytes: it loads and validates with examples, embeds
// the seed payloads verbatim, declares every field those payloads carry, and matches the recorded
// field inventory. The mutation test runs the same checks on altered specs.
func checkSpec(name string, raw []byte) []error {
	s, err := contract.ParseSpec(name, raw)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, ref := range documentedExamples {
		if ref.spec != name {
			continue
		}
		mt, err := mediaOf(s.Doc, ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", name, ref.seed, err))
			continue
		}
		ex := mt.Examples[ref.example]
		if ex == nil || ex.Value == nil {
			errs = append(errs, fmt.Errorf("%s: example %q for %s is missing", name, ref.example, ref.seed))
			continue
		}
		got, _ := json.Marshal(ex.Value.Value)
		want, err := os.ReadFile(filepath.Join("testdata", "seeds", ref.seed))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if eq, err := jsonEqual(got, want); err != nil || !eq {
			errs = append(errs, fmt.Errorf("%s: example %q differs from the documented payload %s (err=%v)", name, ref.example, ref.seed, err))
		}
		var v any
		_ = json.Unmarshal(want, &v)
		if missing := undeclared(v, mt.Schema.Value, ""); len(missing) > 0 {
			sort.Strings(missing)
			errs = append(errs, fmt.Errorf("%s: %s carries fields the schema does not declare: %s", name, ref.seed, strings.Join(missing, ", ")))
		}
	}
	inv := inventory(s.Doc)
	golden := filepath.Join("testdata", "inventory", strings.TrimSuffix(name, ".yaml")+".txt")
	if *update {
		if err := os.WriteFile(golden, []byte(inv), 0o644); err != nil {
			errs = append(errs, err)
		}
	} else if want, err := os.ReadFile(golden); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w (run go test ./contracttests -update once)", name, err))
	} else if string(want) != inv {
		errs = append(errs, fmt.Errorf("%s: the field inventory changed; if the change is meant, review it and run `go test ./contracttests -run TestSpecs -update`:\n%s", name, lineDiff(string(want), inv)))
	}
	return errs
}

func TestSpecs(t *testing.T) {
	for _, name := range specs.Names() {
		t.Run(name, func(t *testing.T) {
			raw, err := specs.Read(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range checkSpec(name, raw) {
				t.Error(err)
			}
		})
	}
}

func TestEverySeedIsEmbedded(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "seeds"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !slices.ContainsFunc(documentedExamples, func(r exampleRef) bool { return r.seed == e.Name() }) {
			t.Errorf("seed payload %s is embedded in no spec", e.Name())
		}
	}
}

// TestGeneratedCodeEmbedsNoSpec checks that no generated package embeds its spec: the YAML reaches
// contract and the simulator through specs/embed.go, and an embedded spec would make every importer
// of sdk/<vendor> link kin-openapi and a YAML parser. A spec edited without `make generate` is caught
// by `make check-generated` (CI runs it), which regenerates and compares.
func TestGeneratedCodeEmbedsNoSpec(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "generated", "*", "*.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join("..", "generated", "*", "*", "*.gen.go"))
	files = append(files, more...)
	if len(files) < 5 {
		t.Fatalf("found %d generated files, want one per spec", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, marker := range []string{"func GetSpec(", "swaggerSpec", "kin-openapi"} {
			if strings.Contains(string(b), marker) {
				t.Errorf("%s embeds its spec (%q): set embedded-spec: false in its oapi-codegen.yaml", f, marker)
			}
		}
	}
}

// TestTencentSharedSchemas keeps the schemas that both Tencent action specs carry identical.
func TestTencentSharedSchemas(t *testing.T) {
	list, imp := loadSpec(t, specs.Tencent), loadSpec(t, specs.TencentImport)
	for _, n := range []string{"Error", "Job", "JobStatus", "JobType", "JobFormat", "ErrorDetails", "FailedUsers"} {
		a, _ := json.Marshal(list.Doc.Components.Schemas[n])
		b, _ := json.Marshal(imp.Doc.Components.Schemas[n])
		if string(a) != string(b) || string(a) == "null" {
			t.Errorf("schema %s differs between %s and %s", n, specs.Tencent, specs.TencentImport)
		}
	}
	for _, n := range []string{"Version", "Region", "Timestamp", "Token", "Language"} {
		a, _ := json.Marshal(list.Doc.Components.Parameters[n])
		b, _ := json.Marshal(imp.Doc.Components.Parameters[n])
		if string(a) != string(b) || string(a) == "null" {
			t.Errorf("parameter %s differs between %s and %s", n, specs.Tencent, specs.TencentImport)
		}
	}
}

// inventory lists every operation, parameter, response, header and schema field of a spec with its
// type, format, required-ness, nullability and enum: one line each, sorted. Renaming or retyping any
// field changes it.
func inventory(doc *openapi3.T) string {
	var lines []string
	add := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path + " " + op.OperationID
			for _, p := range op.Parameters {
				add("%s param %s:%s required=%v %s", key, p.Value.In, p.Value.Name, p.Value.Required, describe(p.Value.Schema))
			}
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					add("%s request %s required=%v %s", key, ct, op.RequestBody.Value.Required, ref(mt.Schema))
				}
			}
			for status, r := range op.Responses.Map() {
				add("%s response %s %s", key, status, responseShape(r))
			}
			for _, req := range *orEmpty(op.Security, doc.Security) {
				names := make([]string, 0, len(req))
				for n := range req {
					names = append(names, n)
				}
				sort.Strings(names)
				add("%s security %s", key, strings.Join(names, "+"))
			}
		}
	}
	for name, r := range doc.Components.Responses {
		add("response %s %s", name, responseShape(r))
		for h, hr := range r.Value.Headers {
			add("response %s header %s required=%v %s", name, h, hr.Value.Required, describe(hr.Value.Schema))
		}
	}
	for name, ss := range doc.Components.SecuritySchemes {
		add("security %s type=%s scheme=%s in=%s name=%s", name, ss.Value.Type, ss.Value.Scheme, ss.Value.In, ss.Value.Name)
	}
	for name, s := range doc.Components.Schemas {
		walkSchema(name, s, &lines, 0)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

func orEmpty(a *openapi3.SecurityRequirements, b openapi3.SecurityRequirements) *openapi3.SecurityRequirements {
	if a != nil {
		return a
	}
	return &b
}

func responseShape(r *openapi3.ResponseRef) string {
	var parts []string
	if r.Ref != "" {
		parts = append(parts, "ref="+r.Ref)
	}
	for ct, mt := range r.Value.Content {
		parts = append(parts, ct+"="+ref(mt.Schema))
	}
	for h := range r.Value.Headers {
		parts = append(parts, "header="+h)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func ref(s *openapi3.SchemaRef) string {
	if s == nil {
		return "-"
	}
	if s.Ref != "" {
		return s.Ref
	}
	return describe(s)
}

func describe(s *openapi3.SchemaRef) string {
	if s == nil || s.Value == nil {
		return "-"
	}
	v := s.Value
	d := "type=" + strings.Join(v.Type.Slice(), "|")
	if s.Ref != "" {
		d = "ref=" + s.Ref + " " + d
	}
	if v.Format != "" {
		d += " format=" + v.Format
	}
	if v.Nullable {
		d += " nullable"
	}
	if len(v.Enum) > 0 {
		d += fmt.Sprintf(" enum=%v", v.Enum)
	}
	if v.Items != nil {
		d += " items=" + ref(v.Items)
	}
	for _, g := range []struct {
		n string
		r openapi3.SchemaRefs
	}{{"anyOf", v.AnyOf}, {"oneOf", v.OneOf}, {"allOf", v.AllOf}} {
		if len(g.r) > 0 {
			alts := make([]string, len(g.r))
			for i, a := range g.r {
				alts[i] = ref(a)
			}
			d += " " + g.n + "=[" + strings.Join(alts, ", ") + "]"
		}
	}
	if v.Min != nil {
		d += fmt.Sprintf(" min=%v", *v.Min)
	}
	if v.Max != nil {
		d += fmt.Sprintf(" max=%v", *v.Max)
	}
	if v.MinItems != 0 {
		d += fmt.Sprintf(" minItems=%d", v.MinItems)
	}
	if v.MaxItems != nil {
		d += fmt.Sprintf(" maxItems=%d", *v.MaxItems)
	}
	if v.MinLength != 0 {
		d += fmt.Sprintf(" minLength=%d", v.MinLength)
	}
	if v.UniqueItems {
		d += " uniqueItems"
	}
	return d
}

func walkSchema(path string, s *openapi3.SchemaRef, lines *[]string, depth int) {
	if s == nil || s.Value == nil || depth > 8 {
		return
	}
	v := s.Value
	*lines = append(*lines, fmt.Sprintf("schema %s %s required=%v", path, describe(s), v.Required))
	if s.Ref != "" && depth > 0 {
		return // described where it is defined
	}
	for name, p := range v.Properties {
		walkSchema(path+"."+name, p, lines, depth+1)
	}
	if v.Items != nil && v.Items.Ref == "" {
		walkSchema(path+"[]", v.Items, lines, depth+1)
	}
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
