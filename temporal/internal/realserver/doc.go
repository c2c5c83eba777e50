// Package realserver holds the temporal module's tests on a real Temporal server: the embedded dev
// server of temporal/devserver, started as a child process (package devenv), with workers in child
// processes of the test binary and the simulator as every vendor. It has no code of its own; the
// in-memory testsuite tests of package waitflow stay the fast path.
package realserver
