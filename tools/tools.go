//go:build tools

// Package tools pins the programs that only jobwatch's own developers and CI run (oasdiff for
// `make spec-diff`/`make spec-check`, staticcheck for `make lint`, benchstat for `make bench-status`).
// They live in this module of their own so that a module requiring jobwatch does not inherit their
// dependencies; run them with `GOWORK=off go -C tools run ...` (the Makefile does).
package tools

import (
	_ "github.com/oasdiff/oasdiff"
	_ "golang.org/x/perf/cmd/benchstat"
	_ "honnef.co/go/tools/cmd/staticcheck"
)
