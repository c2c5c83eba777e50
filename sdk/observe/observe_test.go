package observe_test

import (
	"context"
	"testing"

	"github.com/jobwatch/jobwatch/sdk/observe"
)

// TestContext: an Observer put in a context is found there, and a context without one has none.
func TestContext(t *testing.T) {
	if o := observe.FromContext(context.Background()); o != nil {
		t.Errorf("FromContext(Background) = %v, want nil", o)
	}
	o := &observe.Observer{}
	ctx := observe.NewContext(context.Background(), o)
	type otherKey struct{}
	if got := observe.FromContext(context.WithValue(ctx, otherKey{}, 1)); got != o {
		t.Errorf("FromContext = %p, want %p", got, o)
	}
	if allocs := testing.AllocsPerRun(100, func() { _ = observe.FromContext(ctx) }); allocs != 0 {
		t.Errorf("FromContext allocates %v times", allocs)
	}
}
