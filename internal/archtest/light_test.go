package archtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// heavy are the substrings of import paths that a program importing one vendor package must not
// link: the OpenAPI toolkit, YAML parsers and JSON-schema validators (they belong to contract, the
// simulator and the tests).
var heavy = []string{"github.com/getkin/", "yaml", "jsonschema"}

// TestVendorPackagesAreLight: each sdk/<vendor> (and sdk) depends on no OpenAPI, YAML or JSON-schema
// package. It failed while the generated code embedded its spec.
func TestVendorPackagesAreLight(t *testing.T) {
	for _, v := range append([]string{""}, vendors...) {
		path := "./sdk"
		if v != "" {
			path += "/" + v
		}
		out := goCmd(t, repoRoot(t), nil, "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", path)
		var bad []string
		var all, nonStd int
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			dep, std, _ := strings.Cut(line, " ")
			all++
			if std != "true" {
				nonStd++
			}
			for _, h := range heavy {
				if strings.Contains(dep, h) {
					bad = append(bad, dep)
				}
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s links %s", path, strings.Join(bad, ", "))
		}
		t.Logf("%s links %d packages, %d of them outside the standard library", path, all, nonStd)
	}
}

// consumer writes a scratch module that requires jobwatch through a replace directive to this
// checkout and has one main package with the given source; it returns the module's directory.
func consumer(t *testing.T, mainSrc string) string {
	t.Helper()
	dir := t.TempDir()
	gomod := fmt.Sprintf("module example.com/consumer\n\ngo 1.26.0\n\nrequire %s v0.0.0\n\nreplace %s => %s\n", module, module, repoRoot(t))
	// jobwatch's go.sum holds every checksum the consumer needs, so no checksum database is asked.
	sum, err := os.ReadFile(filepath.Join(repoRoot(t), "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"go.mod": gomod, "go.sum": string(sum), "main.go": mainSrc} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goCmd(t, dir, []string{"GOWORK=off", "GOFLAGS=-mod=mod"}, "mod", "tidy")
	return dir
}

const tencentMain = `package main

import (
	"context"
	"fmt"
	"os"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
)

func main() {
	c, err := tencent.New(tencent.Config{UserStoreID: os.Getenv("STORE")}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	job, err := sdk.Wait(context.Background(), c, os.Args[1], nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(job.State, job.Failures)
}
`

// plainMain is what a user would write without jobwatch: one signed JSON call with net/http,
// encoding/json and crypto/hmac.
const plainMain = `package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

func main() {
	body, _ := json.Marshal(map[string]any{"JobIds": os.Args[1:]})
	mac := hmac.New(sha256.New, []byte(os.Getenv("KEY")))
	mac.Write(body)
	req, err := http.NewRequest(http.MethodPost, "https://ciam.tencentcloudapi.com/", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	req.Header.Set("Authorization", hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(out)
}
`

// maxModules is the most modules a module requiring jobwatch and importing sdk/tencent may list.
const maxModules = 75

// TestConsumerModuleCount: a module that requires jobwatch and imports sdk/tencent lists at most
// maxModules modules in `go list -m all`. It failed (137, then 104 with oapi-codegen/runtime v1.8.0,
// whose go.mod requires echo, gin and iris) while the developer tools were in jobwatch's go.mod.
func TestConsumerModuleCount(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scratch module")
	}
	dir := consumer(t, tencentMain)
	mods := strings.Split(strings.TrimSpace(string(goCmd(t, dir, []string{"GOWORK=off"}, "list", "-m", "all"))), "\n")
	t.Logf("modules listed by a consumer of sdk/tencent (go list -m all): %d (limit %d)", len(mods), maxModules)
	if len(mods) > maxModules {
		t.Errorf("a consumer of sdk/tencent lists %d modules, more than %d:\n%s", len(mods), maxModules, strings.Join(mods, "\n"))
	}
}

// maxRatio bounds the stripped size of a program importing sdk/tencent against plainMain's.
const maxRatio = 1.1

// TestBinarySize builds tencentMain and plainMain stripped (-trimpath -ldflags='-s -w') and holds
// their size ratio under maxRatio.
func TestBinarySize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	build := func(dir string) int64 {
		bin := filepath.Join(t.TempDir(), "prog")
		goCmd(t, dir, []string{"GOWORK=off", "CGO_ENABLED=0"}, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
		st, err := os.Stat(bin)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	sdkSize := build(consumer(t, tencentMain))
	plainSize := build(consumer(t, plainMain))
	ratio := float64(sdkSize) / float64(plainSize)
	t.Logf("stripped binary: sdk/tencent %d bytes, net/http+encoding/json+crypto/hmac %d bytes, ratio %.3f (limit %.2f)", sdkSize, plainSize, ratio, maxRatio)
	if ratio > maxRatio {
		t.Errorf("a program importing sdk/tencent is %.3f× a plain one, more than %.2f×", ratio, maxRatio)
	}
}
