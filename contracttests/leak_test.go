package contracttests

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/jobwatch/jobwatch/simulator"
)

// sharedSpecs loads each vendor's specs once for the package's simulators and validating transports
// (the fault matrix alone makes 176 simulators); no test changes a spec it gets from here.
var sharedSpecs = simulator.SharedSpecs()

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
