# demo/demo.mk: the demo app, `make demo` and the collector smoke test.
# Included by the root Makefile, which defines GO, ROOT, BIN and
# INTEGRATION_TARGETS; the collector comes from collector.mk.
#
#   make demo-app         build bin/exemplar-demo
#   make demo             run the demo app and the collector (examples/googlecloud.yaml) against the
#                         local Cloud Monitoring + Cloud Trace stand-in for DEMO_DURATION seconds (or
#                         Ctrl-C), with its console page; then the summary of the links
#                         (DEMO_VIEW=text: examples/local.yaml, the debug exporter's text in the log, the processor's counters;
#                         DEMO_BACKEND=prometheus: examples/prometheus.yaml into a local Prometheus, query_exemplars by style;
#                         DEMO_LINK_ONLY_EXPORTED=1: exemplar_link with link_only_exported_spans, no dangling links)
#   make collector-smoke  fail unless the collector links the demo app's exemplars (part of `make integration`)

DEMO_APP        := $(BIN)/exemplar-demo
# The runner of `make demo` and `make collector-smoke` (demo/cmd/run-demo):
# it starts the stand-in, the collector and the app, waits until they are
# healthy, stops them all, and reports.
DEMO_RUNNER     := $(BIN)/run-demo

DEMO_SOURCES := $(ROOT)/demo/go.mod $(ROOT)/demo/go.sum $(wildcard $(ROOT)/demo/cmd/exemplar-demo/*.go)
DEMO_RUNNER_SOURCES := $(ROOT)/demo/go.mod $(ROOT)/demo/go.sum \
	$(filter-out %_test.go,$(wildcard $(ROOT)/demo/cmd/run-demo/*.go $(ROOT)/demo/proc/*.go))

# `make demo` settings; the runner's package doc (demo/cmd/run-demo/main.go)
# documents them all, and the runner reads them from the environment.
DEMO_DURATION  ?= 60
SMOKE_DURATION ?= 40
DEMO_STYLE     ?= mixed
DEMO_VIEW      ?= console
DEMO_BACKEND   ?= google
PROJECT        ?= demo-project
export DEMO_DURATION SMOKE_DURATION DEMO_STYLE DEMO_VIEW DEMO_BACKEND PROJECT
# Unset unless given: the runner's defaults apply (see its package doc).
export DEMO_LINK_ONLY_EXPORTED DEMO_DANGLING_AFTER PROMETHEUS

INTEGRATION_TARGETS += collector-smoke

.PHONY: demo-app demo-vet demo collector-smoke

demo-app: $(DEMO_APP)

$(DEMO_APP): $(DEMO_SOURCES)
	cd $(ROOT)/demo && $(GO) build -o $@ ./cmd/exemplar-demo

$(DEMO_RUNNER): $(DEMO_RUNNER_SOURCES)
	cd $(ROOT)/demo && $(GO) build -o $@ ./cmd/run-demo

# The demo module is its own Go module, which the root `go vet ./...` skips.
demo-vet: gotest/demo

demo: $(COLLECTOR) $(DEMO_APP) $(STANDIN) $(DEMO_RUNNER)
	COLLECTOR=$(COLLECTOR) DEMO_APP=$(DEMO_APP) STANDIN=$(STANDIN) exec $(DEMO_RUNNER) -root $(ROOT) demo

# Judged by the collector's own counters (its Prometheus endpoint), not by
# its log: see demo/cmd/run-demo.
collector-smoke: demo-vet collector-validate $(COLLECTOR) $(DEMO_APP) $(DEMO_RUNNER)
	COLLECTOR=$(COLLECTOR) DEMO_APP=$(DEMO_APP) exec $(DEMO_RUNNER) -root $(ROOT) smoke
