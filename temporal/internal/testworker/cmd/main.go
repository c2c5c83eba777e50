// Command cmd is the real-server tests' worker process (package testworker); its one argument is the
// worker's Config as JSON.
package main

import (
	"fmt"
	"os"

	"github.com/jobwatch/jobwatch/temporal/internal/testworker"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: cmd <config as JSON>")
		os.Exit(2)
	}
	if err := testworker.Run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}
