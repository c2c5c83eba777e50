// Package readmetest builds the Go snippets of README.md, so that what the README shows compiles
// against the code as it is. It has no code of its own; the convention for writing a snippet is in
// readme_test.go and in the README's "The SDK" section.
package readmetest
