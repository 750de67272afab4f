# image/image.mk: the container image. Included by the root Makefile, which
# defines GO, ROOT, BIN and INTEGRATION_TARGETS; the collector comes from
# collector.mk, the demo app from demo/demo.mk.
#
#   make image        pack _build/otelcol-exemplarlink into the Containerfile's
#                     image with docker, podman or buildah (whichever works):
#                     tag otelcol-exemplarlink:$(IMAGE_VERSION), OCI archive
#                     _build/image/otelcol-exemplarlink.tar
#   make image-test   check the archive (user, CA bundle, labels, components)
#                     and run it against the demo app on 127.0.0.1 until the
#                     container's log shows linked exemplars (part of
#                     `make integration`)
#
# IMAGE_ENGINE=docker|podman|buildah picks the builder (default auto);
# image/build.sh and image/engine.sh describe the other settings.

IMAGE_NAME     ?= otelcol-exemplarlink
IMAGE_VERSION  ?= $(shell git -C $(ROOT) describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
IMAGE_REVISION ?= $(shell git -C $(ROOT) rev-parse HEAD 2>/dev/null || echo unknown)
IMAGE_ENGINE   ?= auto
IMAGE_ARCHIVE  := $(ROOT)/_build/image/otelcol-exemplarlink.tar
IMAGE_TEST_TIMEOUT ?= 180s
export IMAGE_NAME IMAGE_VERSION IMAGE_REVISION IMAGE_ENGINE IMAGE_ARCHIVE

INTEGRATION_TARGETS += image-test

.PHONY: image image-test

image: $(COLLECTOR)
	COLLECTOR=$(COLLECTOR) bash $(ROOT)/image/build.sh

# The test is a Go module of its own (image/), which neither the root's
# `go test ./...` nor `make test` reaches.
GOTEST_ENV_image = IMAGE_TEST_ARCHIVE=$(IMAGE_ARCHIVE) IMAGE_TEST_DEMO_APP=$(DEMO_APP) IMAGE_TEST_CONFIG=$(ROOT)/examples/local.yaml
GOTEST_FLAGS_image = -v -timeout $(IMAGE_TEST_TIMEOUT)
image-test: image $(DEMO_APP) gotest/image
