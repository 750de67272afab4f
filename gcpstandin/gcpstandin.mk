# gcpstandin/gcpstandin.mk: the local stand-in for Cloud Monitoring and Cloud
# Trace (package gcpstandin), its command and the tests that run the whole
# production pipeline against it. Included by the root Makefile, which
# defines GO, ROOT, BIN and INTEGRATION_TARGETS; the collector comes from
# collector.mk, the demo app from demo/demo.mk.
#
#   make gcp-standin      build bin/gcp-standin
#   make gcpstandin-test  go vet and the module's tests, the flood test of
#                         the caps included (part of `make integration`)
#   make standin-e2e      demo app → built collector (examples/googlecloud.yaml)
#                         → stand-in: every linked exemplar must open a span
#                         Cloud Trace received, and headless Chromium must
#                         draw the console and open a span from an exemplar
#                         (part of `make integration`; the browser part is
#                         skipped where no chromium is installed)
#
# standin-e2e keeps the console's screenshot in $(STANDIN_ARTEFACTS).

STANDIN           := $(BIN)/gcp-standin
STANDIN_SOURCES   := $(ROOT)/gcpstandin/go.mod $(ROOT)/gcpstandin/go.sum \
	$(wildcard $(ROOT)/gcpstandin/*.go $(ROOT)/gcpstandin/console/* $(ROOT)/gcpstandin/cmd/gcp-standin/*.go)
STANDIN_ARTEFACTS := $(ROOT)/_build/standin-e2e

INTEGRATION_TARGETS += gcpstandin-test standin-e2e

.PHONY: gcp-standin gcpstandin-test standin-e2e

gcp-standin: $(STANDIN)

$(STANDIN): $(STANDIN_SOURCES)
	cd $(ROOT)/gcpstandin && $(GO) build -o $@ ./cmd/gcp-standin

GOTEST_FLAGS_gcpstandin := -race
gcpstandin-test: gotest/gcpstandin

# The collector and the demo app are built first; the test runs them as
# processes (EXEMPLARLINK_COLLECTOR, EXEMPLARLINK_DEMO_APP) and the stand-in
# in-process.
# (demo.mk, included after this file, has the rule for $(BIN)/exemplar-demo.)
standin-e2e: $(COLLECTOR) $(BIN)/exemplar-demo
	@mkdir -p $(STANDIN_ARTEFACTS)
	@cd $(ROOT)/e2e && status=0; \
		EXEMPLARLINK_COLLECTOR=$(COLLECTOR) EXEMPLARLINK_DEMO_APP=$(BIN)/exemplar-demo EXEMPLARLINK_ARTEFACTS=$(STANDIN_ARTEFACTS) \
		$(GO) test -count=1 -timeout 6m -run '^TestStandinPipeline$$' -v . >$(STANDIN_ARTEFACTS)/test.log 2>&1 || status=$$?; \
		cat $(STANDIN_ARTEFACTS)/test.log; exit $$status
