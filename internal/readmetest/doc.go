// Package readmetest builds the Go snippets of README.md and of the pages under docs/, so that what
// the documentation shows compiles against the code as it is, and checks what the README says of the
// code (the simulator's one default job duration). It has no code of its own; the convention for
// writing a snippet is in readme_test.go.
package readmetest
