package deploy

// The OpenTelemetry Operator's OpenTelemetryCollector, API version
// opentelemetry.io/v1beta1, as far as deploy/operator/ uses it.
//
// The operator's own Go module (github.com/open-telemetry/opentelemetry-operator,
// apis/v1beta1) is not served by the module proxy reachable here, so these
// are local copies of its types: the same JSON names, the same nesting and the
// same k8s.io/api types for the embedded Kubernetes fields, from the operator's
// apis/v1beta1 opentelemetrycollector_types.go, common.go,
// targetallocator_types.go and config.go. Fields the manifests do not use are
// left out, so a manifest using one fails the strict decode here even where
// the operator would accept it: add the field (with its JSON name from the
// operator) when a manifest needs it.

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OpenTelemetryCollector is opentelemetry.io/v1beta1 OpenTelemetryCollector.
type OpenTelemetryCollector struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec OpenTelemetryCollectorSpec `json:"spec,omitempty"`
}

// OpenTelemetryCollectorSpec holds the fields of the operator's
// OpenTelemetryCollectorSpec and its inline OpenTelemetryCommonFields that
// the manifests use.
type OpenTelemetryCollectorSpec struct {
	// From OpenTelemetryCommonFields (inline in the operator's spec).
	Resources          corev1.ResourceRequirements `json:"resources,omitempty"`
	Replicas           *int32                      `json:"replicas,omitempty"`
	SecurityContext    *corev1.SecurityContext     `json:"securityContext,omitempty"`
	PodSecurityContext *corev1.PodSecurityContext  `json:"podSecurityContext,omitempty"`
	PodAnnotations     map[string]string           `json:"podAnnotations,omitempty"`
	ServiceAccount     string                      `json:"serviceAccount,omitempty"`
	Image              string                      `json:"image,omitempty"`
	ImagePullPolicy    corev1.PullPolicy           `json:"imagePullPolicy,omitempty"`
	Env                []corev1.EnvVar             `json:"env,omitempty"`
	Ports              []PortsSpec                 `json:"ports,omitempty"`

	TargetAllocator TargetAllocatorEmbedded `json:"targetAllocator,omitempty"`
	// Mode is deployment, daemonset, statefulset or sidecar.
	Mode   string `json:"mode,omitempty"`
	Config Config `json:"config"`
}

// PortsSpec is the operator's PortsSpec: a port of the Service and the
// container, and the node's port that forwards to it.
type PortsSpec struct {
	HostPort int32 `json:"hostPort,omitempty"`

	corev1.ServicePort `json:",inline"`
}

// TargetAllocatorEmbedded is the operator's TargetAllocatorEmbedded.
type TargetAllocatorEmbedded struct {
	Replicas  *int32                      `json:"replicas,omitempty"`
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
	// AllocationStrategy is least-weighted, consistent-hashing or per-node.
	AllocationStrategy string `json:"allocationStrategy,omitempty"`
	// FilterStrategy is relabel-config or none.
	FilterStrategy  string                      `json:"filterStrategy,omitempty"`
	ServiceAccount  string                      `json:"serviceAccount,omitempty"`
	Image           string                      `json:"image,omitempty"`
	Enabled         bool                        `json:"enabled,omitempty"`
	PrometheusCR    TargetAllocatorPrometheusCR `json:"prometheusCR,omitempty"`
	SecurityContext *corev1.SecurityContext     `json:"securityContext,omitempty"`
}

// TargetAllocatorPrometheusCR is the operator's TargetAllocatorPrometheusCR.
type TargetAllocatorPrometheusCR struct {
	Enabled                bool                  `json:"enabled,omitempty"`
	ScrapeInterval         *metav1.Duration      `json:"scrapeInterval,omitempty"`
	PodMonitorSelector     *metav1.LabelSelector `json:"podMonitorSelector,omitempty"`
	ServiceMonitorSelector *metav1.LabelSelector `json:"serviceMonitorSelector,omitempty"`
}

// Config is the operator's Config: the collector configuration as an
// object. The component sections are free-form (PreserveUnknownFields in
// the CRD); the collector's validate command checks them.
type Config struct {
	Receivers  map[string]any `json:"receivers"`
	Exporters  map[string]any `json:"exporters"`
	Processors map[string]any `json:"processors,omitempty"`
	Connectors map[string]any `json:"connectors,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
	Service    Service        `json:"service"`
}

// Service is the operator's Service.
type Service struct {
	Extensions []string             `json:"extensions,omitempty"`
	Telemetry  map[string]any       `json:"telemetry,omitempty"`
	Pipelines  map[string]*Pipeline `json:"pipelines"`
}

// Pipeline is the operator's Pipeline.
type Pipeline struct {
	Exporters  []string `json:"exporters"`
	Processors []string `json:"processors,omitempty"`
	Receivers  []string `json:"receivers"`
}
