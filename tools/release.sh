#!/usr/bin/env bash
# release.sh: keep every collector module the repository builds on the
# release that release.mk names.
#
#   tools/release.sh check            fail unless every module is on its release
#   tools/release.sh sync             move the other modules and builder-config.yaml
#                                     to COLLECTOR_RELEASE, then check
#   tools/release.sh check-manifest   fail unless every builder-config.yaml line is on it
#   tools/release.sh check-module DIR fail unless the module in DIR (e.g. the one
#                                     ocb generates) builds on COLLECTOR_RELEASE
#   tools/release.sh move DIR vX.Y.Z  move the module in DIR to that release
#                                     (tools/compat.sh uses it on scratch copies)
#   tools/release.sh stable v0.165.0  print the matching 1.x version (v1.71.0)
#
# The processor module (the repository root) must build on
# COLLECTOR_MIN_RELEASE; every other module with a go.mod, and
# builder-config.yaml, on COLLECTOR_RELEASE. What counts is what the build
# compiles (`go list -deps -test`), not what go.mod happens to require:
# core's stable modules at v1.<minor-94>.x, core's others and every contrib
# module at v0.<minor>.x. COLLECTOR_HELD names a module held back, with the
# reason in release.mk; the contrib modules it brings along at its version
# are tolerated in the modules that require it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-go}

release_var() { sed -n "s/^$1 *:= *//p" "$root/release.mk"; }
release=$(release_var COLLECTOR_RELEASE)
min_release=$(release_var COLLECTOR_MIN_RELEASE)
held=$(release_var COLLECTOR_HELD) # path@version, or empty
held_path=${held%@*}
held_version=${held#*@}

contrib=github.com/open-telemetry/opentelemetry-collector-contrib/
core=go.opentelemetry.io/collector/

minor() { # v0.165.0 -> 165
	local m=${1#v0.}
	echo "${m%%.*}"
}

stable() { # v0.165.0 -> v1.71.0
	echo "v1.$(($(minor "$1") - 94)).0"
}

# version_at_release path release: the module's version in release: v0.<minor>.0,
# or v1.<minor-94>.0 for a module that is stable by then (modules graduate
# to 1.x between releases).
version_at_release() {
	local versions
	versions=" $($GO list -m -versions "$1" | cut -d' ' -f2-) "
	if [[ $versions == *" $(stable "$2") "* ]]; then stable "$2"; else echo "$2"; fi
}

# built_modules dir [flags]: "path version" of every collector module whose
# packages dir's build (tests included) compiles. A failing go list fails it.
built_modules() {
	local dir=$1 out
	shift
	out=$(cd "$dir" && $GO list "$@" -deps -test -f '{{with .Module}}{{.Path}} {{.Version}}{{end}}' ./...) ||
		{ echo "$dir: go list failed" >&2; return 1; }
	sort -u <<<"$out" | grep -E "^($core|$contrib)" || true
}

# Other modules: every tracked go.mod but the root's.
other_modules() {
	(cd "$root" && git ls-files '*/go.mod') | xargs -r -n1 dirname | sort -u
}

# off_release dir release: print each built collector module not on release.
off_release() {
	local dir=$1 want=$2 mods minor
	minor=$(minor "$want")
	mods=$(built_modules "$dir") || return 1
	while read -r path version; do
		[ -n "$path" ] || continue
		case "$version" in
		"v0.$minor."* | "v1.$((minor - 94))."*) continue ;;
		esac
		if [ -n "$held" ] && [[ $path == "$contrib"* && $version == "$held_version" ]] &&
			grep -q "^$held_path " <<<"$mods"; then
			continue
		fi
		echo "${dir#"$root"/}: $path $version (want $want)"
	done <<<"$mods"
}

off_release_builder_config() {
	local path version
	grep -E "^\s*- gomod: ($core|$contrib)" "$root/builder-config.yaml" | awk '{print $3, $4}' |
		while read -r path version; do
			[ "$version" = "$release" ] || echo "builder-config.yaml: $path $version (want $release)"
		done
}

cmd_check() {
	local bad
	bad=$(
		set -e
		off_release "$root" "$min_release"
		for d in $(other_modules); do off_release "$root/$d" "$release"; done
		off_release_builder_config
	) || { echo "release check: could not list the modules"; return 1; }
	if [ -n "$bad" ]; then
		echo "collector modules off their release (release.mk: processor module $min_release, everything else $release):"
		echo "$bad"
		echo "run 'make release-sync' to move them"
		return 1
	fi
	echo "release check: processor module on $min_release; $(other_modules | wc -l) other modules and builder-config.yaml on $release${held:+ ($held held, see release.mk)}"
}

# sync_module dir release: go get every built collector module at release
# (the held one and what it brings along stay), then tidy.
sync_module() {
	local dir=$1 to=$2 args=() path version
	while read -r path version; do
		[ -n "$path" ] || continue
		[ "$path" = "$held_path" ] && { args+=("$path@$held_version"); continue; }
		[ -n "$held" ] && [ "$version" = "$held_version" ] && [[ $path == "$contrib"* ]] && continue
		args+=("$path@$(version_at_release "$path" "$to")")
	done < <(built_modules "$dir" -mod=mod)
	[ ${#args[@]} -gt 0 ] || return 0
	echo "${dir#"$root"/}: go get ${#args[@]} collector modules at $to"
	(cd "$dir" && $GO get "${args[@]}" && $GO mod tidy)
}

cmd_sync() {
	for d in $(other_modules); do sync_module "$root/$d" "$release"; done
	# Every collector and contrib line of the manifest takes the release
	# (core's stable modules are not named there).
	sed -i -E "s#^(\s*- gomod: ($core|$contrib)\S+) v[0-9]+\.[0-9]+\.[0-9]+#\1 $release#" "$root/builder-config.yaml"
	cmd_check
}

case "${1:-}" in
check) cmd_check ;;
sync) cmd_sync ;;
move) sync_module "$(cd "$2" && pwd)" "$3" ;;
check-manifest)
	bad=$(off_release_builder_config)
	[ -z "$bad" ] || { echo "$bad"; echo "run 'make release-sync'"; exit 1; }
	;;
check-module)
	bad=$(off_release "$(cd "$2" && pwd)" "$release") || exit 1
	[ -z "$bad" ] || { echo "$bad"; exit 1; }
	;;
stable) stable "$2" ;;
*)
	echo "usage: $0 check|sync|check-manifest|check-module DIR|move DIR vX.Y.Z|stable vX.Y.Z" >&2
	exit 2
	;;
esac
