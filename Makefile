# exemplarlink: build, test and demo targets. Tools are installed into ./bin
# so a fresh machine needs only Go.
#
# Each part of the project keeps its own targets in a fragment beside its
# code (e2e/e2e.mk, demo/demo.mk, bench/bench.mk); this file ties them together.

GO      ?= go
GOFMT   ?= gofmt
ROOT    := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BIN     := $(ROOT)/bin

# Targets that `make test` runs after the processor module's own checks;
# fragments append to it.
TEST_TARGETS :=

-include $(ROOT)/e2e/e2e.mk
-include $(ROOT)/demo/demo.mk
-include $(ROOT)/bench/bench.mk

.PHONY: test lint unit fuzz
test: lint unit fuzz $(TEST_TARGETS)

lint:
	@unformatted="$$($(GOFMT) -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@# The collector release is pinned (see go.mod); fail if anything moved it.
	@if grep -E 'go\.opentelemetry\.io/collector/[a-z/]+ v(1\.(69|[7-9][0-9])|0\.(16[3-9]|1[7-9][0-9]))\.' go.mod; then \
		echo "go.mod: collector modules must stay at v0.162.0 / v1.68.0"; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...

# Each fuzz target runs for FUZZTIME (10s in make test; raise it for a long
# run, e.g. make fuzz FUZZTIME=10m). Seeds live in testdata/fuzz.
FUZZTIME ?= 10s
FUZZ_TARGETS := .:FuzzProcessor \
	./internal/traceref:FuzzParseTraceID \
	./internal/traceref:FuzzParseSpanID \
	./internal/traceref:FuzzParseTraceContext \
	./internal/traceref:FuzzBuiltinKind

fuzz:
	@for target in $(FUZZ_TARGETS); do \
		pkg=$${target%%:*}; name=$${target##*:}; \
		echo "fuzz $$name ($(FUZZTIME))"; \
		out=$$(mktemp); \
		if ! $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg >$$out 2>&1; then \
			cat $$out; rm -f $$out; exit 1; \
		fi; \
		grep -E '^fuzz: elapsed' $$out | tail -n 1; rm -f $$out; \
	done
