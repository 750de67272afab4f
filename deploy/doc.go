// Package deploy holds the Kubernetes manifests for running the collector
// with exemplar_link on GKE (gke/: a single-replica Deployment; operator/:
// an OpenTelemetry Operator collector scaled out with the target allocator;
// node-agent/ and operator/node-agent/: a collector on every node, where a
// pod's spans and metrics meet) and the test that decodes them strictly and validates the collector
// configuration they carry. It has no non-test code.
package deploy
