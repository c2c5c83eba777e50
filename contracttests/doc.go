// Package contracttests holds the tests that keep specs/, their documented examples, the generated
// clients and the contract validator in agreement. It has no code of its own to import: run it with
// `go test ./contracttests/` (part of `make test`).
package contracttests
