// Package specs holds jobwatch's handwritten OpenAPI 3 documents, one per vendor API, and exposes their
// bytes so that validators and the simulator check traffic against exactly what the generated clients
// were made from.
package specs

import (
	"embed"
	"fmt"
	"sort"
)

//go:embed *.yaml
var files embed.FS

// Names of the spec files, one per vendor action group.
const (
	Oracle        = "oracle.yaml"
	Huawei        = "huawei.yaml"
	Webex         = "webex.yaml"
	Tencent       = "tencent.yaml"
	TencentImport = "tencent-createapiimportuserjob.yaml"
)

// Read returns the bytes of the named spec file (one of the constants above).
func Read(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("specs: no spec named %q", name)
	}
	return b, nil
}

// Names lists every embedded spec file, sorted.
func Names() []string {
	entries, _ := files.ReadDir(".")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}
