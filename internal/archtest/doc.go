// Package archtest holds tests of the repository's shape rather than of its behaviour: the import
// rules of ARCHITECTURE.md, that a program importing one vendor package stays light (no OpenAPI, YAML
// or JSON-schema package, a binary close to a plain net/http program's), and that a module requiring
// jobwatch inherits few modules. It has no code of its own; `make size` runs the measuring tests
// verbosely and prints their figures.
package archtest
