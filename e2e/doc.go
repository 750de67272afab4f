// Package e2e holds the end-to-end tests of the exemplar_link processor:
// the real prometheus receiver scrapes a real OpenMetrics endpoint, the
// processor links the exemplars, and the real googlemanagedprometheus
// exporter writes them to the local Cloud Monitoring stand-in (package
// gcpstandin). TestStandinPipeline runs the built collector with the
// production config against gcpstandin's Cloud Monitoring and Cloud Trace.
// TestTraceOnlyLinksTheObservedSpan runs the demo app's guide-style
// trace-only exemplars through both pipelines and compares each link with
// the span the app's twin histogram names for the same request.
// It is a module of its own so that these heavy dependencies stay out of
// the processor's go.mod.
package e2e // import "github.com/exemplarlink/exemplarlinkprocessor/e2e"
