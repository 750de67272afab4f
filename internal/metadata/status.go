// Package metadata holds the component's type, stability and internal
// telemetry as declared in metadata.yaml. It is written by hand in the shape
// mdatagen produces, because mdatagen is not available to this project;
// metadata_test.go fails when the two disagree.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("exemplar_link")
	ScopeName = "github.com/exemplarlink/exemplarlinkprocessor"
)

const (
	MetricsStability = component.StabilityLevelAlpha
	TracesStability  = component.StabilityLevelAlpha
)
