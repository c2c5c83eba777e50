// Package version holds jobwatch's version: the CLI prints it and the vendor clients send it in their
// User-Agent ("jobwatch/<Version>").
package version

// Version is jobwatch's version.
const Version = "0.1.0"
