# collector.mk: the collector that everything else runs (the demo, the
# smoke and soak tests, the image), built by ocb from builder-config.yaml on
# COLLECTOR_RELEASE. Included by the root Makefile.
#
#   make ocb                 install ocb COLLECTOR_RELEASE into bin/
#   make collector           build _build/otelcol-exemplarlink
#   make collector-validate  check examples/*.yaml with the collector's validate command

OCB           := $(BIN)/builder-$(COLLECTOR_RELEASE)
COLLECTOR_DIR := $(ROOT)/_build
COLLECTOR     := $(COLLECTOR_DIR)/otelcol-exemplarlink

# What the collector is built from: the manifest and the processor module
# (tests excluded). A change to any of them rebuilds it.
COLLECTOR_SOURCES := $(ROOT)/builder-config.yaml $(ROOT)/release.mk $(ROOT)/go.mod $(ROOT)/go.sum \
	$(filter-out %_test.go,$(wildcard $(ROOT)/*.go $(ROOT)/internal/*/*.go $(ROOT)/internal/*/*/*.go))

INTEGRATION_TARGETS += collector-validate

.PHONY: ocb collector collector-validate

ocb: $(OCB)

$(OCB):
	@mkdir -p $(BIN)/.ocb
	GOBIN=$(BIN)/.ocb $(GO) install go.opentelemetry.io/collector/cmd/builder@$(COLLECTOR_RELEASE)
	mv $(BIN)/.ocb/builder $@

collector: $(COLLECTOR)

# ocb resolves the manifest's relative paths against the directory it runs
# in, so it runs from the repository root. It takes minutes: nice keeps the
# machine usable. builder-config.yaml must name COLLECTOR_RELEASE (checked
# first), and ocb's `go mod tidy` must not have moved anything off it.
$(COLLECTOR): $(COLLECTOR_SOURCES) | $(OCB)
	@cd $(ROOT) && GO=$(GO) $(GO) run ./tools/release check-manifest
	@echo "building $@ with ocb $(COLLECTOR_RELEASE) (takes several minutes)"
	cd $(ROOT) && nice -n 10 $(OCB) --config=builder-config.yaml
	@cd $(ROOT) && GO=$(GO) $(GO) run ./tools/release check-module $(COLLECTOR_DIR) || { rm -f $@; exit 1; }
	@touch $@

# The example configs must load and build their pipelines. `validate`
# creates the components but starts none, so the Google Cloud exporters look
# for no credentials and contact nothing; the project is a dummy.
collector-validate: $(COLLECTOR)
	$(COLLECTOR) validate --config=$(ROOT)/examples/local.yaml
	GOOGLE_CLOUD_PROJECT=validate-only $(COLLECTOR) validate --config=$(ROOT)/examples/googlecloud.yaml
	$(COLLECTOR) validate --config=$(ROOT)/examples/prometheus.yaml
