# deploy/deploy.mk: the Kubernetes manifests (deploy/gke/, deploy/operator/,
# deploy/node-agent/) and their test. Included by the root Makefile, which
# defines GO, ROOT and INTEGRATION_TARGETS; the collector comes from
# collector.mk.
#
#   make deploy-test   decode every manifest strictly into the k8s.io/api
#                      types (and the operator's OpenTelemetryCollector), check
#                      that they fit together, and run the collector's
#                      validate command on every collector configuration
#                      they carry (part of `make integration`)
#
# deploy/ is a module of its own, which the root's `go vet ./...` and
# `go test ./...` do not reach.

INTEGRATION_TARGETS += deploy-test

.PHONY: deploy-test
GOTEST_ENV_deploy = EXEMPLARLINK_COLLECTOR=$(COLLECTOR)
deploy-test: $(COLLECTOR) gotest/deploy
