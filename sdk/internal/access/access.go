// Package access lets the packages under sdk set what sdk's error types keep unexported: an
// *sdk.APIError's kind and cause, an *sdk.FailuresError's cause. Users match those with errors.Is and
// errors.As; only the packages that build the errors (through sdk/internal/vendorkit) set them.
//
// sdk assigns SetCause in its init, before any other package's code runs: access cannot import sdk,
// which imports it. It is never reassigned.
package access

// SetCause sets e's kind (the sentinel it matches; nil for an *sdk.APIError means its status's) and its
// cause. e is an *sdk.APIError or an *sdk.FailuresError (which has no kind); any other type panics.
var SetCause func(e error, kind, cause error)

// SetNoAnswer sets an *sdk.APIError's cause as why the call got no usable answer (refused, reset,
// timed out, cut short, redirected elsewhere): its text and its RetryableError follow the cause.
var SetNoAnswer func(e error, cause error)
