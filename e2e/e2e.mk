# e2e: end-to-end test of exemplar_link between the real prometheus receiver
# and the real googlemanagedprometheus exporter (see e2e/README.md).
# Included by the root Makefile, which defines GO, ROOT, BIN and
# INTEGRATION_TARGETS; the collector comes from collector.mk.
# e2e/ is a module of its own, so the root's `go vet ./...` and
# `go test ./...` do not reach it.
#
# No -race here: on the shared 2-core machine the first build took ~17 min
# and a -race build adds ~14 min more (the test itself passes under -race in
# 2 s); the processor's own tests run with -race in `make unit`.
# Run `cd e2e && go test -race -count=1 ./...` by hand when touching it.

.PHONY: e2e-test
e2e-test: gotest/e2e

INTEGRATION_TARGETS += e2e-test

# soak: the built collector scraping a load target (22,000 exemplars per
# scrape, one scrape a second, a third malformed) and exporting through the
# googlemanagedprometheus exporter to the in-process fake Cloud Monitoring,
# for SOAK_DURATION. It samples RSS and goroutines every 10 s and fails
# unless every served exemplar is accounted for, memory stays flat and the
# target served at least 20,000 exemplars a second.
# soak-smoke is the one-minute version that `make integration` runs.
SOAK_DURATION ?= 10m
SOAK_DIR      := $(ROOT)/_build/soak

.PHONY: soak soak-smoke soak-bin
soak-bin:
	cd $(ROOT)/e2e && $(GO) build -o $(BIN)/soak ./cmd/soak

soak: collector soak-bin
	@mkdir -p $(SOAK_DIR)
	$(BIN)/soak -collector $(COLLECTOR) -duration $(SOAK_DURATION) -workdir $(SOAK_DIR) -report $(SOAK_DIR)/report.md

# The smoke run's bounds are looser than the soak's (memory may still be
# warming up after a minute; a CI machine may be busy): it checks the
# accounting and that the pipeline keeps flowing, not capacity.
soak-smoke: collector soak-bin
	@mkdir -p $(SOAK_DIR)
	$(BIN)/soak -collector $(COLLECTOR) -duration 60s -sample-every 5s -max-rss-growth 0.5 -min-rate 10000 -workdir $(SOAK_DIR)

INTEGRATION_TARGETS += soak-smoke

# e2e-test also runs TestPrometheusExemplars against Debian's prometheus
# (.ci/install-deps installs it); with CI=true a missing binary fails it.
# prometheus-e2e runs only that test.
.PHONY: prometheus-e2e
prometheus-e2e:
	cd $(ROOT)/e2e && $(GO) test -count=1 -v -run 'TestPrometheusExemplars' ./...
