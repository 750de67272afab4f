package exemplarlinkprocessor // import "github.com/exemplarlink/exemplarlinkprocessor"

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of the wait block, used by createDefaultConfig and stated in the
// README.
//
// defaultWaitMaxWait: the OpenTelemetry SDKs' BatchSpanProcessor sends a
// span up to its schedule delay (OTEL_BSP_SCHEDULE_DELAY, 5 s by default)
// after the span ended. A histogram observes its exemplar when the request
// ends, about when its server span ends, and the scrape that carries it
// comes later still; so 5 s after the scrape reaches exemplar_link, the
// span has been sent. 1 s more covers the export itself and a busy
// collector.
const (
	defaultWaitMaxWait        = 6 * time.Second
	defaultWaitMaxHeldBatches = 1000
	defaultWaitMaxHeldBytes   = 32 << 20
	// maxWaitLimit bounds max_wait: a minute covers tail sampling's usual
	// 30 s decision wait plus the export delay; longer would keep points
	// from the backend for longer than a scrape interval is worth.
	maxWaitLimit = time.Minute
)

// WaitConfig bounds how long, and how much, the processor holds batches
// whose trace-only exemplars wait for spans that have not arrived yet. It
// applies only when the processor is also listed in a traces pipeline.
type WaitConfig struct {
	// MaxWait is how long a batch waits, at most, for the spans of its
	// trace-only exemplars; it leaves as soon as all of them are linked.
	// 0 turns waiting off: such exemplars link only to spans already seen.
	// The default, 6s, is the SDK's 5 s batch span delay plus 1 s.
	MaxWait time.Duration `mapstructure:"max_wait"`

	// MaxHeldBatches bounds how many batches are held at once; past it, a
	// batch passes without waiting.
	MaxHeldBatches int `mapstructure:"max_held_batches"`

	// MaxHeldBytes bounds the held batches' size, as OTLP protobuf bytes;
	// past it, a batch passes without waiting. Memory in the collector is
	// a few times that.
	MaxHeldBytes int64 `mapstructure:"max_held_bytes"`

	// Prevent unkeyed literal initialization.
	_ struct{}
}

func (c *WaitConfig) validate() error {
	var errs error
	if c.MaxWait < 0 || c.MaxWait > maxWaitLimit {
		errs = errors.Join(errs, fmt.Errorf("wait::max_wait: must be between 0s and %s, got %s", maxWaitLimit, c.MaxWait))
	}
	if c.MaxHeldBatches < 1 {
		errs = errors.Join(errs, fmt.Errorf("wait::max_held_batches: must be at least 1, got %d", c.MaxHeldBatches))
	}
	if c.MaxHeldBytes < 1 {
		errs = errors.Join(errs, fmt.Errorf("wait::max_held_bytes: must be at least 1, got %d", c.MaxHeldBytes))
	}
	return errs
}
