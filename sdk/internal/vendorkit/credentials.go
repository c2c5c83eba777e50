package vendorkit

import (
	"context"
	"fmt"
)

// Credentials returns the credentials of one request: a copy of static (a vendor's Config) without a
// provider, else the provider's answer, which must not lack what missing names (it returns "" when
// nothing lacks). A provider's error is wrapped, naming the vendor; no credential is ever quoted.
func Credentials[C any](ctx context.Context, vendor string, static *C, provider func(context.Context) (C, error), missing func(*C) string) (C, error) {
	if provider == nil {
		return *static, nil
	}
	c, err := provider(ctx)
	if err != nil {
		var zero C
		return zero, fmt.Errorf("%s: credentials provider: %w", vendor, err)
	}
	if m := missing(&c); m != "" {
		var zero C
		return zero, fmt.Errorf("%s: credentials provider returned no %s", vendor, m)
	}
	return c, nil
}
