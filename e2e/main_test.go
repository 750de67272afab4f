package e2e

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests: every
// pipeline component, the fake Cloud Monitoring and the scrape target must
// stop completely on shutdown.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
