# exemplarlink: build, test and demo targets. Tools are installed into ./bin
# so a fresh machine needs only Go.
#
#   make test          the fast loop: gofmt, go vet, unit and golden tests
#                      with -race, 10 s of each fuzz target (no collector build)
#   make integration   the slow checks: release check, version matrix
#                      (compat), the collector build and everything that runs
#                      it (e2e, collector smoke, soak smoke, bench smoke)
#
# CI (.ci/run) runs both. Each part of the project keeps its targets in a
# fragment beside its code; a missing fragment is an error, not a silently
# skipped test.

GO      ?= go
GOFMT   ?= gofmt
ROOT    := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BIN     := $(ROOT)/bin

# Targets that `make integration` runs; fragments append to it.
INTEGRATION_TARGETS :=

include $(ROOT)/release.mk
include $(ROOT)/collector.mk
include $(ROOT)/gcpstandin/gcpstandin.mk
include $(ROOT)/e2e/e2e.mk
include $(ROOT)/demo/demo.mk
include $(ROOT)/bench/bench.mk
include $(ROOT)/image/image.mk
include $(ROOT)/deploy/deploy.mk
include $(ROOT)/cmd/exemplar-check/check.mk
include $(ROOT)/tools/loadtest/loadtest.mk

# Every Go module, by directory. The root is the processor; the others
# hold the product around it and carry their heavy dependencies themselves
# (bench/ keeps the transform processor at an older release on purpose,
# see release.mk).
MODULES := . gcpstandin cmd/exemplar-check demo deploy image e2e bench tools/measure-tolerance tools/loadtest

GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT         := $(BIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)

.PHONY: test integration lint tidy-check unit fuzz release-check release-sync compat
test: lint unit fuzz

integration: release-check compat $(INTEGRATION_TARGETS)

$(GOLANGCI_LINT):
	@mkdir -p $(BIN)/.golangci-lint
	GOBIN=$(BIN)/.golangci-lint $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(BIN)/.golangci-lint/golangci-lint $@

# golangci-lint (.golangci.yml: vet, staticcheck, errcheck, gofmt and
# goimports among them) and `go mod tidy -diff` in every module.
lint: $(GOLANGCI_LINT) tidy-check
	@for m in $(MODULES); do \
		echo "golangci-lint $$m"; \
		(cd $(ROOT)/$$m && nice -n 5 $(GOLANGCI_LINT) run --config $(ROOT)/.golangci.yml ./...) || exit 1; \
	done

tidy-check:
	@for m in $(MODULES); do \
		(cd $(ROOT)/$$m && $(GO) mod tidy -diff) || { echo "go.mod of $$m is not tidy: run go mod tidy there"; exit 1; }; \
	done

# go vet and go test of one module: `make gotest/e2e`. A fragment sets
# GOTEST_FLAGS_<dir> and GOTEST_ENV_<dir> for what its module needs, and
# makes its test target depend on gotest/<dir>.
gotest/%:
	cd $(ROOT)/$* && $(GO) vet ./... && $(GOTEST_ENV_$*) $(GO) test -count=1 $(GOTEST_FLAGS_$*) ./...

unit:
	$(GO) test -race -count=1 ./...

# Each fuzz target runs for FUZZTIME (10s in make test; raise it for a long
# run, e.g. make fuzz FUZZTIME=10m). Seeds live in testdata/fuzz.
# tools/fuzzrun reads the test output: a failure on a named input (a seed or
# a new one) is the code's and is never retried; a run that failed without
# naming one is the fuzz engine's (golang/go#56238) and is retried once.
FUZZTIME ?= 10s
FUZZ_TARGETS := .:FuzzProcessor \
	./internal/traceref:FuzzParseTraceID \
	./internal/traceref:FuzzParseSpanID \
	./internal/traceref:FuzzParseTraceContext \
	./internal/traceref:FuzzBuiltinKind \
	./internal/spanindex:FuzzIndex

fuzz:
	$(GO) run ./tools/fuzzrun -go $(GO) -fuzztime $(FUZZTIME) $(FUZZ_TARGETS)

# Every collector module on its release (release.mk): the processor module
# on COLLECTOR_MIN_RELEASE, everything else on COLLECTOR_RELEASE.
release-check:
	cd $(ROOT) && GO=$(GO) $(GO) run ./tools/release check

# After changing COLLECTOR_RELEASE: move every other module and
# builder-config.yaml to it.
release-sync:
	cd $(ROOT) && GO=$(GO) $(GO) run ./tools/release sync

# The processor module on every release from COLLECTOR_MIN_RELEASE to
# COLLECTOR_RELEASE, and an ocb collector on the oldest and the newest.
compat:
	GO=$(GO) nice -n 10 bash $(ROOT)/tools/compat.sh $(ROOT)/_build/compat
