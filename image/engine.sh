# engine.sh: which image builder to use; sourced by build.sh (and read by
# the image test through IMAGE_ENGINE).
#
#   IMAGE_ENGINE=auto (default)  docker if its engine answers (`docker info`;
#                                a docker CLI without a daemon does not count),
#                                else podman if it works, else buildah
#   IMAGE_ENGINE=docker|podman|buildah   that one
#   BUILDAH_FLAGS                global buildah flags [--storage-driver vfs]:
#                                vfs works as root anywhere, in containers too
pick_engine() {
	local want=${IMAGE_ENGINE:-auto}
	case $want in
	auto)
		if command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; then
			echo docker
		elif command -v podman >/dev/null 2>&1 && timeout 20 podman info >/dev/null 2>&1; then
			echo podman
		elif command -v buildah >/dev/null 2>&1; then
			echo buildah
		else
			echo "image: no image builder: install buildah (Debian: apt-get install buildah) or podman, or start a Docker engine" >&2
			return 1
		fi
		;;
	docker | podman | buildah)
		command -v "$want" >/dev/null 2>&1 || {
			echo "image: IMAGE_ENGINE=$want, but $want is not installed" >&2
			return 1
		}
		echo "$want"
		;;
	*)
		echo "image: IMAGE_ENGINE must be auto, docker, podman or buildah, not '$want'" >&2
		return 2
		;;
	esac
}

# buildah with the global flags.
buildah_() {
	# shellcheck disable=SC2086 # BUILDAH_FLAGS is a list of flags
	buildah ${BUILDAH_FLAGS---storage-driver vfs} "$@"
}
