# cmd/exemplar-check/check.mk: the exemplar-check command (see README
# "Check your app before you deploy"). Included by the root Makefile, which
# defines GO, ROOT, BIN and INTEGRATION_TARGETS.
#
#   make exemplar-check       build bin/exemplar-check
#   make exemplar-check-test  vet and test it (part of `make integration`)
#
# cmd/exemplar-check is a module of its own (it compiles the prometheus and
# otlp receivers and the googlemanagedprometheus and googlecloud exporters,
# ~10-15 min cold on a 2-core machine), so the root's `go vet ./...` and `make test` do not reach
# it. Its tests build the demo app (demo/) themselves and run everything on
# 127.0.0.1. No -race here, for the same build-time reason as e2e.mk.

EXEMPLAR_CHECK := $(BIN)/exemplar-check

INTEGRATION_TARGETS += exemplar-check-test

.PHONY: exemplar-check exemplar-check-test

# Always handed to go build: its cache knows the dependencies (the root
# processor module and gcpstandin included) better than make would.
exemplar-check:
	cd $(ROOT)/cmd/exemplar-check && nice -n 10 $(GO) build -o $(EXEMPLAR_CHECK) .

exemplar-check-test: gotest/cmd/exemplar-check
