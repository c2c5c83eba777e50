//go:build tools

// Package tools pins the code generator so that `make generate` uses the
// version recorded in go.mod and needs nothing but the Go toolchain.
package tools

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
	_ "github.com/oasdiff/oasdiff"
	_ "golang.org/x/perf/cmd/benchstat"
	_ "honnef.co/go/tools/cmd/staticcheck"
)
