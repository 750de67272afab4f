# tools/loadtest/loadtest.mk: what exemplar_link costs a whole collector
# (docs/performance.md, "Collector cost"). Included by the root Makefile.
#
#   make load           the built distribution under 20,000 spans/s and
#                       10,000 exemplars per 1 s scrape, with exemplar_link
#                       in both pipelines and in the metrics pipeline only,
#                       LOAD_RUNS interleaved runs of each (about 9 minutes
#                       with 5). Not part of CI: too long, and timings on a
#                       shared machine are for reading, not for failing on.
#                       Fails without a figure if the load did not arrive.
#   make loadtest-test  the harness's unit tests (part of make integration)

LOAD_RUNS  ?= 5
LOAD_FLAGS ?=
LOAD_DIR   := $(ROOT)/_build/load

.PHONY: load loadtest-test
load: collector
	@mkdir -p $(LOAD_DIR)
	cd $(ROOT)/tools/loadtest && $(GO) build -o $(BIN)/loadtest .
	$(BIN)/loadtest -collector $(COLLECTOR) -runs $(LOAD_RUNS) -workdir $(LOAD_DIR) -report $(LOAD_DIR)/report.md $(LOAD_FLAGS)

loadtest-test: gotest/tools/loadtest

INTEGRATION_TARGETS += loadtest-test
