module github.com/jobwatch/jobwatch

go 1.26.0

require (
	github.com/creack/pty v1.1.24
	// Held at v0.135.0: from v0.136.0 on, openapi3 imports santhosh-tekuri/jsonschema/v6, whose init
	// compiles five meta-schemas (21k allocations) in every command of the CLI, not only in contract
	// and simulate. internal/archtest's TestCLIStartupParsesNoSpec fails if it comes back. Advisories
	// fixed after v0.135.0 (GHSA-r277-6w6q-xmqw in openapi3filter.ValidationHandler, GHSA-jpcw-4wr7-c3vq
	// on content parameters without a schema) do not reach us: contract calls ValidateRequest and
	// ValidateResponse directly with its own AuthenticationFunc, and no spec has a content parameter.
	github.com/getkin/kin-openapi v0.135.0
	github.com/jarcoal/httpmock v1.4.2
	// v2.7.2 is the newest generator that builds with kin-openapi v0.135.0 (v2.8.0 requires v0.142.0).
	github.com/oapi-codegen/oapi-codegen/v2 v2.7.2
	github.com/oapi-codegen/runtime v1.9.0
	github.com/vbauerster/mpb/v8 v8.16.2
	go.uber.org/goleak v1.3.0
	golang.org/x/term v0.48.0
	golang.org/x/time v0.16.0
)

require (
	github.com/andybalholm/brotli v1.3.0
	github.com/joshdk/go-junit v1.0.0
	github.com/mattn/go-runewidth v0.0.30
	github.com/vbauerster/cupwriter v0.0.5
)

require (
	github.com/VividCortex/ewma v1.2.0 // indirect
	github.com/acarl005/stripansi v0.0.0-20180116102854-5a71ef0e047d // indirect
	github.com/apapsch/go-jsonmerge/v2 v2.0.0 // indirect
	github.com/clipperhouse/uax29/v2 v2.7.0 // indirect
	github.com/dprotaso/go-yit v0.0.0-20220510233725-9ba8df137936 // indirect
	github.com/fsnotify/fsnotify v1.10.1 // indirect
	github.com/go-openapi/jsonpointer v1.0.2 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/josharian/intern v1.0.0 // indirect
	github.com/mailru/easyjson v0.9.1 // indirect
	github.com/mohae/deepcopy v0.0.0-20170929034955-c48cc78d4826 // indirect
	github.com/oasdiff/yaml v0.0.9 // indirect
	github.com/oasdiff/yaml3 v0.0.9 // indirect
	github.com/perimeterx/marshmallow v1.1.5 // indirect
	github.com/speakeasy-api/jsonpath v0.6.3 // indirect
	github.com/speakeasy-api/openapi v1.24.0 // indirect
	github.com/vmware-labs/yaml-jsonpath v0.3.2 // indirect
	github.com/woodsbury/decimal128 v1.4.0 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/mod v0.41.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/tools v0.51.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
