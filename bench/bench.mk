# bench/bench.mk: performance benchmarks of the exemplar_link processor,
# included by the root Makefile (which defines GO, ROOT and BIN).
#
#   make bench        run the benchmarks BENCH_COUNT times, print the
#                     benchstat tables and check the performance targets
#                     (fails when one is missed); takes several minutes
#   make bench-smoke  compile and run every benchmark once, and check that
#                     the OTTL statements match exemplar_link; no timing.
#                     Part of `make integration` (about 10 s with a warm build cache)
#
# bench is not part of `make test` or `make integration`: timed checks are
# flaky on a shared machine. Results are kept in $(BENCH_OUT).

BENCH_COUNT       ?= 6
BENCH_OUT         ?= $(ROOT)/.cache/bench
BENCHSTAT_VERSION := v0.0.0-20260908200009-22c9c6c9d4da
BENCHSTAT         := $(BIN)/benchstat

# The processor module's benchmarks (benchmark_test.go; the per-style ones
# run once, they only show what each label style costs) and the bench
# module's side-by-side comparison (bench/bench_test.go).
BENCH_PROCESSOR := ^Benchmark(ExemplarLink|Floor)$$
BENCH_STYLES    := ^BenchmarkExemplarLinkStyle$$
BENCH_COMPARE   := ^BenchmarkCompare$$
# The traces side beside the googlecloud exporter, per span (bench/traces_test.go).
BENCH_TRACES    := ^BenchmarkCompareTraces$$
# What detect_ids_by_value costs: the same batches with it off and on.
BENCH_BYVALUE   := ^BenchmarkDetectIDsByValue$$
# What holding batches for late spans costs a batch with nothing waiting:
# max_wait 0s (no holder) beside the default.
BENCH_HOLD      := ^BenchmarkHoldNothingPending$$
# removeLabels' Clear branch, a pure speed path that benchcheck keeps
# honest: a style whose every label goes beside one that keeps a label.
BENCH_CLEAR     := ^BenchmarkExemplarLinkStyle$$/^style=(traceparent|upper-case_hex)$$

.PHONY: bench bench-smoke

$(BENCHSTAT):
	GOBIN=$(BIN) $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

bench: $(BENCHSTAT)
	@mkdir -p $(BENCH_OUT)
	@echo "== $$(nproc) CPUs, $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $$($(GO) env GOVERSION)" | tee $(BENCH_OUT)/machine.txt
	cd $(ROOT) && $(GO) test -run '^$$' -bench '$(BENCH_PROCESSOR)' -benchmem -count=$(BENCH_COUNT) -timeout 60m . > $(BENCH_OUT)/processor.txt \
		|| { cat $(BENCH_OUT)/processor.txt; exit 1; }
	cd $(ROOT) && $(GO) test -run '^$$' -bench '$(BENCH_STYLES)' -benchmem -count=1 -timeout 60m . > $(BENCH_OUT)/styles.txt \
		|| { cat $(BENCH_OUT)/styles.txt; exit 1; }
	cd $(ROOT) && $(GO) test -run '^$$' -bench '$(BENCH_CLEAR)' -benchmem -count=$(BENCH_COUNT) -timeout 60m . > $(BENCH_OUT)/clear.txt \
		|| { cat $(BENCH_OUT)/clear.txt; exit 1; }
	cd $(ROOT) && $(GO) test -run '^$$' -bench '$(BENCH_BYVALUE)' -benchmem -count=$(BENCH_COUNT) -timeout 60m . > $(BENCH_OUT)/byvalue.txt \
		|| { cat $(BENCH_OUT)/byvalue.txt; exit 1; }
	cd $(ROOT) && $(GO) test -run '^$$' -bench '$(BENCH_HOLD)' -benchmem -count=$(BENCH_COUNT) -timeout 60m . > $(BENCH_OUT)/hold.txt \
		|| { cat $(BENCH_OUT)/hold.txt; exit 1; }
	cd $(ROOT)/bench && $(GO) test -run '^$$' -bench '$(BENCH_COMPARE)' -benchmem -count=$(BENCH_COUNT) -timeout 60m . > $(BENCH_OUT)/compare.txt \
		|| { cat $(BENCH_OUT)/compare.txt; exit 1; }
	cd $(ROOT)/bench && $(GO) test -run '^$$' -bench '$(BENCH_TRACES)' -benchmem -count=$(BENCH_COUNT) -timeout 60m . > $(BENCH_OUT)/traces.txt \
		|| { cat $(BENCH_OUT)/traces.txt; exit 1; }
	@echo; echo "== exemplar_link processor module (benchmark_test.go)"
	@$(BENCHSTAT) $(BENCH_OUT)/processor.txt
	@echo; echo "== cost by label style (10,000 exemplars of one style; one run, allocs/op ÷ 10,000 = allocs per exemplar)"
	@$(BENCHSTAT) $(BENCH_OUT)/styles.txt
	@echo; echo "== labels cleared (traceparent: every label goes) beside labels visited (upper-case_hex: route stays)"
	@$(BENCHSTAT) $(BENCH_OUT)/clear.txt
	@echo; echo "== detect_ids_by_value off and on"
	@$(BENCHSTAT) -col /detect_ids_by_value $(BENCH_OUT)/byvalue.txt
	@echo; echo "== holding for late spans, nothing waiting: max_wait 0s (no holder) and the default"
	@$(BENCHSTAT) -col /max_wait $(BENCH_OUT)/hold.txt
	@echo; echo "== side by side, one run (bench/): floor, exemplar_link, OTTL (transform processor), googlemanagedprometheus exporter"
	@$(BENCHSTAT) -col /impl $(BENCH_OUT)/compare.txt
	@echo; echo "== traces side beside the googlecloud exporter (bench/): ns/span, allocs/op per batch"
	@$(BENCHSTAT) -col /impl $(BENCH_OUT)/traces.txt
	@echo; echo "== performance targets"
	cd $(ROOT)/bench && $(GO) run ./cmd/benchcheck -processor $(BENCH_OUT)/processor.txt -compare $(BENCH_OUT)/compare.txt -traces $(BENCH_OUT)/traces.txt -clear $(BENCH_OUT)/clear.txt

bench-smoke:
	cd $(ROOT) && $(GO) test -run '^$$' -bench '$(BENCH_PROCESSOR)|$(BENCH_STYLES)|$(BENCH_BYVALUE)|$(BENCH_HOLD)' -benchtime=1x .
	cd $(ROOT)/bench && $(GO) vet ./... && $(GO) test -count=1 -bench '$(BENCH_COMPARE)|$(BENCH_TRACES)' -benchtime=1x ./...

INTEGRATION_TARGETS += bench-smoke
