# demo/demo.mk: the collector build (ocb), the demo app, `make demo` and the
# collector smoke test. Included by the root Makefile, which defines GO,
# ROOT, BIN and TEST_TARGETS.
#
#   make ocb              install the pinned OpenTelemetry Collector Builder into bin/
#   make collector        build _build/otelcol-exemplarlink from builder-config.yaml
#   make demo-app         build bin/exemplar-demo
#   make demo             run both for DEMO_DURATION seconds (or Ctrl-C), then show the linked exemplars
#   make collector-validate  check examples/*.yaml with the collector's validate command
#   make collector-smoke  fail unless the collector links the demo app's exemplars (part of `make test`)

OCB_VERSION     := v0.162.0
OCB             := $(BIN)/builder
COLLECTOR_DIR   := $(ROOT)/_build
COLLECTOR       := $(COLLECTOR_DIR)/otelcol-exemplarlink
DEMO_APP        := $(BIN)/exemplar-demo

# What the collector is built from: the manifest and the processor module
# (tests excluded). A change to any of them rebuilds it.
COLLECTOR_SOURCES := $(ROOT)/builder-config.yaml $(ROOT)/go.mod $(ROOT)/go.sum \
	$(filter-out %_test.go,$(wildcard $(ROOT)/*.go $(ROOT)/internal/*/*.go $(ROOT)/internal/*/*/*.go))
DEMO_SOURCES := $(ROOT)/demo/go.mod $(ROOT)/demo/go.sum $(wildcard $(ROOT)/demo/cmd/exemplar-demo/*.go)

# `make demo` settings; run-demo.sh documents them all.
DEMO_DURATION  ?= 60
SMOKE_DURATION ?= 40
DEMO_STYLE     ?= mixed
PROJECT        ?= demo-project
export DEMO_DURATION SMOKE_DURATION DEMO_STYLE PROJECT

TEST_TARGETS += collector-smoke

.PHONY: ocb collector demo-app demo-vet demo collector-validate collector-smoke

ocb: $(OCB)

$(OCB):
	GOBIN=$(BIN) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)

collector: $(COLLECTOR)

# ocb resolves the manifest's relative paths against the directory it runs
# in, so it runs from the repository root. It takes minutes: nice keeps the
# machine usable. Afterwards the generated go.mod must still hold the one
# pinned collector release (ocb runs `go mod tidy` there).
$(COLLECTOR): $(COLLECTOR_SOURCES) | $(OCB)
	@echo "building $@ with ocb $(OCB_VERSION) (takes several minutes)"
	cd $(ROOT) && nice -n 10 $(OCB) --config=builder-config.yaml
	@if grep -E 'go\.opentelemetry\.io/collector/[a-z/]+ v(1\.(69|[7-9][0-9])|0\.(16[3-9]|1[7-9][0-9]))\.' $(COLLECTOR_DIR)/go.mod; then \
		echo "$(COLLECTOR_DIR)/go.mod: collector modules must stay at v0.162.0 / v1.68.0"; rm -f $@; exit 1; fi
	@touch $@

demo-app: $(DEMO_APP)

$(DEMO_APP): $(DEMO_SOURCES)
	cd $(ROOT)/demo && $(GO) build -o $@ ./cmd/exemplar-demo

# The demo module is its own Go module, which the root `go vet ./...` skips.
demo-vet:
	cd $(ROOT)/demo && $(GO) vet ./...

# Both example configs must load and build their pipelines. `validate`
# creates the components but starts none, so the Google Cloud exporters look
# for no credentials and contact nothing; the project is a dummy.
collector-validate: $(COLLECTOR)
	$(COLLECTOR) validate --config=$(ROOT)/examples/local.yaml
	GOOGLE_CLOUD_PROJECT=validate-only $(COLLECTOR) validate --config=$(ROOT)/examples/googlecloud.yaml

demo: $(COLLECTOR) $(DEMO_APP)
	COLLECTOR=$(COLLECTOR) DEMO_APP=$(DEMO_APP) exec bash $(ROOT)/demo/run-demo.sh demo

collector-smoke: demo-vet collector-validate $(COLLECTOR) $(DEMO_APP)
	COLLECTOR=$(COLLECTOR) DEMO_APP=$(DEMO_APP) exec bash $(ROOT)/demo/run-demo.sh smoke
