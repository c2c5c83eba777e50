//go:build tools

// Package tools pins the code generator so that `make generate` uses the version recorded in go.mod
// and needs nothing but the Go toolchain. The tools only jobwatch's developers run (oasdiff,
// staticcheck, benchstat) are pinned in the separate module under tools/, so that importers of
// jobwatch do not inherit them.
package tools

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
