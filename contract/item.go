package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/jobwatch/jobwatch/specs"
)

// itemSchemas names, per vendor, the spec file and schema of one user in a submit request: the shape
// of one line of `jobwatch run --users`.
var itemSchemas = map[string][2]string{
	"huawei":  {"huawei.yaml", "FederationUserInput"},
	"webex":   {"webex.yaml", "UserItem"},
	"tencent": {"tencent-createapiimportuserjob.yaml", "ImportUser"},
	"oracle":  {"oracle.yaml", "UserRO"},
}

// ItemValidator returns a check of one user (a JSON object) against the spec's schema of vendor's
// submit item: Huawei FederationUserInput, Webex UserItem, Tencent ImportUser, Oracle UserRO. Its
// error names the fields at fault. It is safe for concurrent use.
func ItemValidator(vendor string) (func(user []byte) error, error) {
	ref, ok := itemSchemas[vendor]
	if !ok {
		return nil, fmt.Errorf("contract: no item schema for vendor %q", vendor)
	}
	spec, err := LoadSpec(ref[0])
	if err != nil {
		return nil, err
	}
	sr := spec.Doc.Components.Schemas[ref[1]]
	if sr == nil || sr.Value == nil {
		return nil, fmt.Errorf("contract: %s has no schema %s", ref[0], ref[1])
	}
	schema := sr.Value
	// Visiting with options costs ten times a bare visit, which already checks types, enums, required
	// fields and formats: the options' visit (every issue, and readOnly/writeOnly as in a request) runs
	// only for a line the bare visit refuses, or for a spec that marks a field readOnly or writeOnly.
	raw, err := specs.Read(ref[0])
	if err != nil {
		return nil, err
	}
	directional := bytes.Contains(raw, []byte("readOnly")) || bytes.Contains(raw, []byte("writeOnly"))
	return func(user []byte) error {
		v, ok := decodeJSONFast(user)
		if !ok {
			d := json.NewDecoder(bytes.NewReader(user))
			d.UseNumber()
			if err := d.Decode(&v); err != nil {
				return fmt.Errorf("not JSON: %v", err)
			}
		}
		if !directional && schema.VisitJSON(v) == nil {
			return nil
		}
		if err := schema.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsRequest()); err != nil {
			return itemError(err)
		}
		return nil
	}, nil
}

// itemError flattens kin-openapi's errors into one line: each field's JSON pointer and reason.
func itemError(err error) error {
	var me openapi3.MultiError
	if !errors.As(err, &me) {
		return schemaIssue(err)
	}
	var parts []string
	for _, e := range me {
		parts = append(parts, schemaIssue(e).Error())
	}
	return errors.New(strings.Join(parts, "; "))
}

func schemaIssue(err error) error {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		at := strings.Join(se.JSONPointer(), "/")
		if at == "" {
			return errors.New(se.Reason)
		}
		return fmt.Errorf("%s: %s", at, se.Reason)
	}
	var me openapi3.MultiError
	if errors.As(err, &me) {
		return itemError(me)
	}
	return err
}
