#!/usr/bin/env bash
# compat.sh: prove the processor module on every collector release from
# COLLECTOR_MIN_RELEASE to COLLECTOR_RELEASE (release.mk).
#
# For each release, in a scratch copy of the processor module (its tracked
# files as they are in the work tree): move every collector module it builds
# to that release, build it, run its unit tests. On the oldest and the newest
# release, also build a small collector with that release's ocb (OTLP
# receiver -> exemplar_link -> debug, prometheus_remote_write and, where
# the registry serves it, prometheus exporters) and check it lists them.
# Prints a table and exits 1 on any failure.
#
#   tools/compat.sh [workdir]            (make compat; default _build/compat)
#   tools/compat.sh --manifest RELEASE   print the collector's ocb manifest for RELEASE
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-go}
manifest_only=
if [ "${1:-}" = --manifest ]; then
	manifest_only=${2:?usage: tools/compat.sh --manifest RELEASE}
	set --
fi
work=${1:-$root/_build/compat}
release_var() { sed -n "s/^$1 *:= *//p" "$root/release.mk"; }
newest=$(release_var COLLECTOR_RELEASE)
oldest=$(release_var COLLECTOR_MIN_RELEASE)
minor() { local m=${1#v0.}; echo "${m%%.*}"; }
failed=0

# step log command...: run command with its output in log; print ok or FAIL.
step() {
	local log=$1; shift
	if "$@" >"$log" 2>&1; then echo ok; else echo FAIL; fi
}

# release (Go, tested) writes the compat collector's manifest and lists
# what it must hold: tools/release/compat.go.
release_tool() { (cd "$root" && $GO run ./tools/release "$@"); }

scratch_module() { # release dir
	local release=$1 dir=$2
	mkdir -p "$dir"
	# The whole tree: the other modules' directories come along, but Go
	# leaves a directory with a go.mod of its own out of this module.
	(cd "$root" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
		xargs -0 cp --parents -t "$dir")
	release_tool move "$dir" "$release"
}

collector() { # release module-dir out-dir
	local release=$1 module=$2 out=$3 ocb="$work/bin/ocb-$1"
	mkdir -p "$out"
	GOBIN="$work/bin/ocb-$release.d" $GO install "go.opentelemetry.io/collector/cmd/builder@$release" &&
		mv "$work/bin/ocb-$release.d/builder" "$ocb" || return 1
	release_tool compat-manifest "$release" "$module" "$out" >"$out/manifest.yaml" || return 1
	"$ocb" --config="$out/manifest.yaml" &&
		"$out/dist/otelcol-compat" components >"$out/components.txt" || return 1
	local c
	while read -r c; do
		grep -q -- "$c" "$out/components.txt" || { echo "compat collector $release lists no $c"; return 1; }
	done < <(release_tool compat-components "$release")
	grep -E 'go\.opentelemetry\.io/collector/(component|pdata) ' "$out/dist/go.mod"
}

if [ -n "$manifest_only" ]; then
	release_tool compat-manifest "$manifest_only" "$root" "$work/$manifest_only/collector"
	exit
fi

rm -rf "$work" && mkdir -p "$work/logs"
rows=()
for ((m = $(minor "$oldest"); m <= $(minor "$newest"); m++)); do
	release="v0.$m.0"
	dir="$work/$release/module"
	build=$(step "$work/logs/$release-module.log" scratch_module "$release" "$dir")
	[ "$build" = ok ] && build=$(step "$work/logs/$release-build.log" bash -c "cd '$dir' && $GO build ./... && $GO vet ./...")
	tests=skipped
	[ "$build" = ok ] && tests=$(step "$work/logs/$release-test.log" bash -c "cd '$dir' && $GO test -count=1 ./...")
	coll="-"
	if [ "$release" = "$oldest" ] || [ "$release" = "$newest" ]; then
		coll=skipped
		[ "$build" = ok ] && coll=$(step "$work/logs/$release-collector.log" collector "$release" "$dir" "$work/$release/collector")
	fi
	for r in "$build" "$tests" "$coll"; do [ "$r" = FAIL ] || [ "$r" = skipped ] && failed=1; done
	rows+=("$(printf '| %-8s | %-12s | %-5s | %-15s |' "$release" "$build" "$tests" "$coll")")
	echo "compat: $release module build $build, tests $tests, collector build $coll" >&2
done

echo
echo "| release  | module build | tests | collector build |"
echo "|----------|--------------|-------|-----------------|"
printf '%s\n' "${rows[@]}"
if [ "$failed" -ne 0 ]; then
	echo "compat: failures; logs in ${work#"$root"/}/logs:"
	grep -l . "$work"/logs/*.log | while read -r f; do
		case "$(tail -n 1 "$f")" in *FAIL* | *rror*) echo "== $f"; tail -n 20 "$f" ;; esac
	done
	exit 1
fi
