#!/usr/bin/env bash
# build.sh: `make image`. Packs the collector `make collector` built into
# the image the Containerfile describes, tags it IMAGE_NAME:IMAGE_VERSION
# and writes it as an OCI archive to IMAGE_ARCHIVE.
#
# Settings (environment, set by image/image.mk):
#   COLLECTOR       the collector binary         [_build/otelcol-exemplarlink]
#   IMAGE_NAME      image name                   [otelcol-exemplarlink]
#   IMAGE_VERSION   tag and version label        [git describe --tags --always --dirty]
#   IMAGE_REVISION  revision label               [git rev-parse HEAD]
#   IMAGE_SOURCE    source label                 [https://github.com/exemplarlink/exemplarlinkprocessor]
#   IMAGE_ARCHIVE   the OCI archive              [_build/image/otelcol-exemplarlink.tar]
#   CA_BUNDLE       the CA certificates to pack  [/etc/ssl/certs/ca-certificates.crt]
#   IMAGE_ENGINE, BUILDAH_FLAGS: see image/engine.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=image/engine.sh
. "$root/image/engine.sh"

COLLECTOR=${COLLECTOR:-$root/_build/otelcol-exemplarlink}
IMAGE_NAME=${IMAGE_NAME:-otelcol-exemplarlink}
IMAGE_VERSION=${IMAGE_VERSION:-$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)}
IMAGE_REVISION=${IMAGE_REVISION:-$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)}
IMAGE_SOURCE=${IMAGE_SOURCE:-https://github.com/exemplarlink/exemplarlinkprocessor}
IMAGE_ARCHIVE=${IMAGE_ARCHIVE:-$root/_build/image/otelcol-exemplarlink.tar}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
tag=$IMAGE_NAME:$IMAGE_VERSION

[ -x "$COLLECTOR" ] || { echo "image: $COLLECTOR is missing; run 'make collector'" >&2; exit 1; }
[ -s "$CA_BUNDLE" ] || { echo "image: no CA bundle at $CA_BUNDLE (Debian: apt-get install ca-certificates)" >&2; exit 1; }
engine=$(pick_engine)

# The build context holds only what the image gets.
context=$(dirname "$IMAGE_ARCHIVE")/context
rm -rf "$context"
mkdir -p "$context"
cp "$COLLECTOR" "$context/otelcol-exemplarlink"
cp -L "$CA_BUNDLE" "$context/ca-certificates.crt"
cp "$root/examples/container.yaml" "$context/config.yaml"

args=(-f "$root/Containerfile" -t "$tag"
	--build-arg "VERSION=$IMAGE_VERSION" --build-arg "REVISION=$IMAGE_REVISION" --build-arg "SOURCE=$IMAGE_SOURCE")
echo "image: building $tag with $engine"
start=$(date +%s.%N)
rm -f "$IMAGE_ARCHIVE"
case $engine in
docker)
	docker build "${args[@]}" "$context"
	# Docker 25 and later save an OCI image layout (index.json) in the tar.
	docker save -o "$IMAGE_ARCHIVE" "$tag"
	;;
podman)
	podman build --format oci "${args[@]}" "$context"
	podman save --format oci-archive -o "$IMAGE_ARCHIVE" "$tag"
	;;
buildah)
	# chroot isolation: nothing in the Containerfile runs, and no daemon,
	# user namespace or OCI runtime is needed.
	old=$(buildah_ images --quiet --no-trunc "$tag" 2>/dev/null || true)
	buildah_ bud --isolation chroot --format oci "${args[@]}" "$context"
	buildah_ push "$tag" "oci-archive:$IMAGE_ARCHIVE:$tag"
	# A rebuild under the same tag leaves the previous image untagged:
	# remove it (vfs keeps every image whole, ~115 MB each).
	new=$(buildah_ images --quiet --no-trunc "$tag")
	if [ -n "$old" ] && [ "$old" != "$new" ]; then
		buildah_ rmi "$old" >/dev/null 2>&1 || echo "image: could not remove the previous $tag ($old)" >&2
	fi
	;;
esac
end=$(date +%s.%N)
bytes=$(stat -c %s "$IMAGE_ARCHIVE")
awk -v b="$bytes" -v s="$start" -v e="$end" -v tag="$tag" -v a="$IMAGE_ARCHIVE" -v eng="$engine" 'BEGIN {
	printf "image: %s (%s): %s, %.1f MB, built in %.1f s\n", tag, eng, a, b / 1e6, e - s
}'
