// Package linksummary counts what the processor did to exemplars and logs it
// as one rate-limited summary line, so that linkage can be checked in the
// collector log at the default level without a line per data point.
package linksummary

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/linkplan"
)

// MaxValueLength bounds any label value written to the log; scrape targets
// control those bytes.
const MaxValueLength = 64

// Example describes one unlinked exemplar, for the summary line.
type Example struct {
	Metric string
	Reason linkplan.Reason
	Label  string
	Value  string
}

// Counts is what happened to the exemplars of one batch. The zero value is
// ready to use; it is filled on the hot path without allocating.
type Counts struct {
	Linked     [linkplan.NumSources]int64
	Unlinked   [linkplan.NumReasons]int64
	Example    Example
	hasExample bool
	// LinksResolved and LinksDangling count the distinct links judged
	// (links_checked); DanglingExample is the trace of one dangling link.
	LinksResolved, LinksDangling int64
	DanglingExample              pcommon.TraceID
}

// AddLinked counts a linked exemplar.
func (c *Counts) AddLinked(s linkplan.Source) { c.Linked[s]++ }

// AddUnlinked counts an unlinked exemplar and keeps the first one as the
// batch's example. label and value may be empty when no label is at fault.
func (c *Counts) AddUnlinked(r linkplan.Reason, metric, label, value string) {
	c.Unlinked[r]++
	if !c.hasExample {
		c.Example = Example{Metric: metric, Reason: r, Label: label, Value: value}
		c.hasExample = true
	}
}

func (c *Counts) empty() bool {
	return c.TotalLinked() == 0 && c.TotalUnlinked() == 0 && c.LinksResolved == 0 && c.LinksDangling == 0
}

// TotalLinked and TotalUnlinked sum the counts.
func (c *Counts) TotalLinked() (n int64) {
	for _, v := range c.Linked {
		n += v
	}
	return n
}

func (c *Counts) TotalUnlinked() (n int64) {
	for _, v := range c.Unlinked {
		n += v
	}
	return n
}

// Logger accumulates batch counts and logs them at most once per interval.
// It is safe for concurrent use.
type Logger struct {
	logger   *zap.Logger
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	pending Counts
	since   time.Time
}

// NewLogger returns a Logger; an interval of 0 turns the summary off.
func NewLogger(logger *zap.Logger, interval time.Duration, now func() time.Time) *Logger {
	return &Logger{logger: logger, interval: interval, now: now, since: now()}
}

// Add merges one batch's counts and logs the summary when the interval has
// passed since the last one.
func (l *Logger) Add(c *Counts) {
	if l.interval <= 0 || c.empty() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, v := range c.Linked {
		l.pending.Linked[i] += v
	}
	for i, v := range c.Unlinked {
		l.pending.Unlinked[i] += v
	}
	if c.LinksDangling > 0 && l.pending.LinksDangling == 0 {
		l.pending.DanglingExample = c.DanglingExample
	}
	l.pending.LinksResolved += c.LinksResolved
	l.pending.LinksDangling += c.LinksDangling
	if c.hasExample && !l.pending.hasExample {
		// Copy the short prefix so the summary does not pin a batch, or a
		// huge label value, in memory until the next line.
		l.pending.Example = Example{
			Metric: strings.Clone(Truncate(c.Example.Metric, 2*MaxValueLength)),
			Reason: c.Example.Reason,
			Label:  strings.Clone(Truncate(c.Example.Label, MaxValueLength)),
			Value:  strings.Clone(Truncate(c.Example.Value, MaxValueLength)),
		}
		l.pending.hasExample = true
	}
	if now := l.now(); now.Sub(l.since) >= l.interval {
		l.logLocked(now)
	}
}

// Flush logs whatever has been counted since the last summary; the
// processor calls it at shutdown so the last interval is not lost.
func (l *Logger) Flush() {
	if l.interval <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending.empty() {
		return
	}
	l.logLocked(l.now())
}

func (l *Logger) logLocked(now time.Time) {
	c := &l.pending
	bySource := make([]zap.Field, 0, linkplan.NumSources)
	for s, v := range c.Linked {
		if v > 0 {
			bySource = append(bySource, zap.Int64(linkplan.Source(s).String(), v))
		}
	}
	byReason := make([]zap.Field, 0, linkplan.NumReasons)
	for r, v := range c.Unlinked {
		if v > 0 {
			byReason = append(byReason, zap.Int64(linkplan.Reason(r).String(), v))
		}
	}
	fields := []zap.Field{
		zap.Int64("linked", c.TotalLinked()),
		zap.Int64("unlinked", c.TotalUnlinked()),
		zap.Dict("linked_by_source", bySource...),
		zap.Dict("unlinked_by_reason", byReason...),
		// A string, because the collector's encoder writes durations as
		// float seconds, which reads badly in a summary meant for people.
		zap.String("interval", now.Sub(l.since).Round(time.Millisecond).String()),
	}
	if c.LinksResolved > 0 || c.LinksDangling > 0 {
		fields = append(fields, zap.Int64("links_resolved", c.LinksResolved), zap.Int64("links_dangling", c.LinksDangling))
		if c.LinksDangling > 0 {
			fields = append(fields, zap.String("example_dangling_trace_id", c.DanglingExample.String()))
		}
	}
	if c.hasExample {
		fields = append(fields,
			zap.String("example_metric", c.Example.Metric),
			zap.String("example_reason", c.Example.Reason.String()),
			zap.String("example_label", c.Example.Label),
			zap.String("example_value", c.Example.Value),
		)
	}
	l.logger.Info("Exemplar linkage summary", fields...)
	l.pending = Counts{}
	l.since = now
}

// Truncate shortens s to at most n bytes without splitting a UTF-8
// character, marking the cut with "…".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
