# demo/demo.mk: the demo app, `make demo` and the collector smoke test.
# Included by the root Makefile, which defines GO, ROOT, BIN and
# INTEGRATION_TARGETS; the collector comes from collector.mk.
#
#   make demo-app         build bin/exemplar-demo
#   make demo             run the demo app and the collector (examples/googlecloud.yaml) against the
#                         local Cloud Monitoring + Cloud Trace stand-in for DEMO_DURATION seconds (or
#                         Ctrl-C), with its console page; then the summary of the links
#                         (DEMO_VIEW=text: examples/local.yaml and the debug exporter's text instead)
#   make collector-smoke  fail unless the collector links the demo app's exemplars (part of `make integration`)

DEMO_APP        := $(BIN)/exemplar-demo

DEMO_SOURCES := $(ROOT)/demo/go.mod $(ROOT)/demo/go.sum $(wildcard $(ROOT)/demo/cmd/exemplar-demo/*.go)

# `make demo` settings; run-demo.sh documents them all.
DEMO_DURATION  ?= 60
SMOKE_DURATION ?= 40
DEMO_STYLE     ?= mixed
DEMO_VIEW      ?= console
PROJECT        ?= demo-project
export DEMO_DURATION SMOKE_DURATION DEMO_STYLE DEMO_VIEW PROJECT

INTEGRATION_TARGETS += collector-smoke

.PHONY: demo-app demo-vet demo collector-smoke

demo-app: $(DEMO_APP)

$(DEMO_APP): $(DEMO_SOURCES)
	cd $(ROOT)/demo && $(GO) build -o $@ ./cmd/exemplar-demo

# The demo module is its own Go module, which the root `go vet ./...` skips.
demo-vet: gotest/demo

demo: $(COLLECTOR) $(DEMO_APP) $(STANDIN)
	COLLECTOR=$(COLLECTOR) DEMO_APP=$(DEMO_APP) STANDIN=$(STANDIN) exec bash $(ROOT)/demo/run-demo.sh demo

collector-smoke: demo-vet collector-validate $(COLLECTOR) $(DEMO_APP)
	COLLECTOR=$(COLLECTOR) DEMO_APP=$(DEMO_APP) exec bash $(ROOT)/demo/run-demo.sh smoke
