# jobwatch build. Everything here needs only the Go toolchain (and make): tools run through `go run`
# at the versions pinned in go.mod (the code generator) or tools/go.mod (oasdiff, staticcheck,
# benchstat: a module of their own, so importers of jobwatch do not inherit them). TOOLS runs a command
# in the tools module; GOWORK=off because a go.work at the root, if any, does not list tools/.

GO        ?= go
GEN_DIRS  := generated/oracle generated/huawei generated/webex generated/tencent generated/tencent/importjob
# The temporal and otel modules are modules of their own in the workspace (go.work): ./... from the
# root does not reach them.
PKGS      := ./... ./temporal/... ./otel/...
TOOLS     := GOWORK=off $(GO) -C tools

.PHONY: all generate check-generated lint test e2e cover demo temporal-demo spec-diff spec-check spec-drift fuzz bench bench-otel bench-status build-time size api-check api-update api-count

all: check-generated lint spec-check spec-drift test e2e

## demo: run the main job against the built-in vendor simulator (no account needed).
demo:
	$(GO) run ./cmd/jobwatch demo

## temporal-demo: the Temporal example end to end with only Go: builds and starts the embedded Temporal
## dev server (temporal/devserver; minutes the first time, cached after), a worker and the starter
## against the simulator, and prints each job's outcome.
temporal-demo:
	$(GO) -C temporal run ./example/demo

## generate: rebuild generated/ from specs/ with the pinned oapi-codegen.
generate:
	$(GO) generate ./generated/...

## check-generated: regenerate into a temporary copy and fail on any difference from what is committed.
check-generated:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp -R go.mod go.sum tools.go specs generated "$$tmp"/; \
	(cd "$$tmp" && $(GO) generate ./generated/...); \
	if ! diff -r -u generated "$$tmp/generated"; then \
		echo "generated/ is out of date with specs/: run 'make generate' and commit the result" >&2; exit 1; \
	fi; \
	echo "generated/ matches specs/"

## lint: formatting, vet and staticcheck (pinned in go.mod, run with go run).
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(TOOLS) vet ./...
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(TOOLS) build -o "$$tmp/staticcheck" honnef.co/go/tools/cmd/staticcheck; \
	"$$tmp/staticcheck" $(PKGS); (cd tools && GOWORK=off "$$tmp/staticcheck" ./...)

## test: the fast suite, with the race detector. It passes -short, which the end-to-end cases skip on
## (testing.Short()): they run in `make e2e`. CI (.ci/run) runs both.
test:
	$(RACE_ENV) $(GO) test $(RACE_FLAGS) -short -count=1 $(TEST_PKGS)
	$(RACE_ENV) $(TOOLS) test $(RACE_FLAGS) -short -count=1 ./...

# The race runtime sleeps 1 s when a binary exits (GORACE atexit_sleep_ms, for reports from goroutines
# still running); a test binary has reported its tests' races by then, and the sleep held one of the
# two cores' slots for a second per package, some 30 of them. A GORACE of your own still applies.
# -ldflags=-w leaves DWARF out of test binaries, about a third of their link time: no debugger reads
# them, and race reports and panics take file:line from the symbol table, which stays.
RACE_ENV   := GORACE="atexit_sleep_ms=0 $(GORACE)"
RACE_FLAGS := -race -ldflags=-w
# TEST_PKGS is PKGS with the longest-running packages first: go test starts packages in the order
# named (each once), so these do not start last and finish alone.
TEST_PKGS  := ./cmd/jobwatch ./contracttests ./temporal/waitflow ./otel/... ./sdk/bulk $(PKGS)

# E2E_PKGS are the packages with tests that skip under -short: the real Temporal server, the built
# binary in a pty, kill -9 resumes, the README's snippets built in a scratch module, binary sizes, the
# scale cases. archtest's TestShortSkipsRunInE2E fails when a package with such a test is missing here.
E2E_PKGS := ./bench ./cmd/jobwatch ./contracttests ./internal/archtest ./internal/readmetest ./temporal/waitflow ./temporal/internal/realserver

## e2e: the end-to-end cases: E2E_PKGS in full (without -short), with the race detector; then, without
## it, the Temporal fleet budget's real-server test (it measures time at a simulator that runs in the
## test process) and the Tencent client's memory measure for a million failed users; then the scale
## cases that make test skips or runs smaller (sdk/bulk's 10,000 users per vendor, otel's 10,000 jobs).
e2e:
	$(RACE_ENV) $(GO) test $(RACE_FLAGS) -count=1 -timeout 60m $(E2E_PKGS)
	$(GO) test -count=1 -run '^TestFleetBudget' ./temporal/internal/realserver/
	$(GO) test -count=1 -run '^TestMillionFailedUsersMemory$$' ./sdk/tencent/
	$(RACE_ENV) $(GO) test $(RACE_FLAGS) -count=1 -run '^TestRunTenThousandPerVendor$$' ./sdk/bulk/
	$(RACE_ENV) $(GO) test $(RACE_FLAGS) -count=1 -run '^TestWatcherTenThousand$$' ./otel/

## cover: tests with a coverage profile and a per-function summary.
cover:
	$(GO) test -race -count=1 -coverprofile=coverage.out $(PKGS)
	$(GO) tool cover -func=coverage.out | tail -n 1

## spec-diff: breaking changes between each spec at BASE (a git ref) and the working copy, with oasdiff.
spec-diff:
	@if [ -z "$(BASE)" ]; then echo "usage: make spec-diff BASE=<git ref>" >&2; exit 2; fi
	$(TOOLS) run ./specdiff -repo "$(CURDIR)" -base "$(BASE)"

## spec-check: every breaking change in the history of specs/ must be recorded in specs/CHANGELOG.md.
spec-check:
	$(TOOLS) run ./specdiff -repo "$(CURDIR)" -check

## spec-drift: every difference between each spec and the vendor's definition under specs/upstream/;
## fails on one not listed, with its reason, in specs/upstream/accepted.txt (-all lists those too).
spec-drift:
	$(GO) run ./internal/specdrift $(SPECDRIFTFLAGS)

## fuzz: run each fuzz target for FUZZTIME (make test runs their seed corpora only).
FUZZTIME ?= 30s
FUZZ_TARGETS := ./sdk:FuzzParseResumeToken ./sdk/internal/httpx:FuzzParseRetryAfter \
	./sdk/oracle:FuzzMapStatus ./sdk/oracle:FuzzParseError \
	./sdk/huawei:FuzzMapTask ./sdk/huawei:FuzzParseError \
	./sdk/webex:FuzzMapJob ./sdk/webex:FuzzParseISODuration ./sdk/webex:FuzzParseError \
	./sdk/tencent:FuzzMapJob ./sdk/tencent:FuzzParseError ./sdk/tencent:FuzzSign \
	./contract:FuzzDecodeJSONFast
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; echo "== $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) $(FUZZFLAGS) $$pkg; \
	done

## bench: the benchmark program (schedules, Watcher at scale, per-poll overhead); last line is JSON.
bench:
	$(GO) run ./bench -json -results bench/RESULTS.md

## api-check: the exported API of every public package must equal its committed listing in api/.
api-check:
	$(GO) run ./internal/apicheck

## api-count: how many identifiers each public package exports, in all and per file (issue 25's measure).
api-count:
	$(GO) run ./internal/apicheck -count

## api-update: rewrite api/ from the code (commit the listings with the API change that made them).
api-update:
	$(GO) run ./internal/apicheck -update

## size: how light sdk/<vendor> is for importers: the stripped binary of a program importing sdk/tencent
## against a plain net/http + encoding/json + crypto/hmac one, the modules its module lists, and the
## allocations every CLI command pays in package inits before it parses a flag.
size:
	$(GO) test -count=1 -v -run '^(TestBinarySize|TestConsumerModuleCount|TestVendorPackagesAreLight|TestCLIStartupParsesNoSpec)$$' ./internal/archtest

## build-time: the first build of the demo, as on a fresh machine (an empty build cache), against the floor
## no change to jobwatch can remove (bench/buildfloor: the standard library every jobwatch build needs),
## one after the other in one run; figures in docs/development.md.
build-time:
	@for p in ./cmd/jobwatch ./bench/buildfloor; do \
		c=$$(mktemp -d); s=$$(date +%s%N); \
		GOCACHE=$$c $(GO) build -o /dev/null $$p || { rm -rf $$c; exit 1; }; \
		e=$$(date +%s%N); rm -rf $$c; \
		awk -v p=$$p -v s=$$s -v e=$$e 'BEGIN { printf "%-20s cold build %.1f s\n", p, (e - s) / 1e9 }'; \
	done

## bench-otel: the per-poll CPU cost of a wait with the OpenTelemetry observer on, as a ratio to off,
## measured in one run (in the otel module: bench, in the root module, may not import OpenTelemetry).
bench-otel:
	cd otel && $(GO) run ./internal/cost -json

## bench-status: the per-poll Go benchmarks, sdk against hand-written net/http, compared with benchstat.
bench-status:
	$(GO) test -run '^$$' -bench Status -count 10 ./bench > bench/status.txt
	$(TOOLS) run golang.org/x/perf/cmd/benchstat -col /poll "$(CURDIR)/bench/status.txt"
