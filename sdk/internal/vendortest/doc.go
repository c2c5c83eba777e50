// Package vendortest holds the tests that hold all four vendor clients to the same network and
// credential rules over real sockets: redirects, per-attempt timeouts, unknown hosts, rotating
// credentials, base URLs from the environment, and printing a client. It has no code of its own.
package vendortest
