#!/usr/bin/env bash
# Runs the demo app and the collector side by side on 127.0.0.1, then shows
# which exemplars the exemplar_link processor linked.
#
#   demo/run-demo.sh demo    # `make demo`: run DEMO_DURATION seconds or until Ctrl-C, then report
#   demo/run-demo.sh smoke   # `make collector-smoke`: fail unless exemplars were linked
#
# `make demo` (DEMO_VIEW=console, the default) runs the production pipeline
# of examples/googlecloud.yaml: googlemanagedprometheus for the metrics,
# googlecloud for the spans, both pointed at the local stand-in for Cloud
# Monitoring and Cloud Trace (bin/gcp-standin, package gcpstandin) through
# GCP_MONITORING_ENDPOINT, GCP_TRACE_ENDPOINT and GCP_USE_INSECURE, with the
# fixed project PROJECT and no credentials. It prints the stand-in's console
# URL and, at the end, how many exemplars Cloud Monitoring received, how many
# are linked and how many links resolve to a span that Cloud Trace received.
# DEMO_VIEW=text runs examples/local.yaml instead and reads the debug
# exporter's text; the smoke test always does.
#
# Settings (environment):
#   COLLECTOR        collector binary            [_build/otelcol-exemplarlink]
#   DEMO_APP         demo app binary             [bin/exemplar-demo]
#   STANDIN          stand-in binary             [bin/gcp-standin]
#   DEMO_VIEW        console or text             [console]
#   CONFIG           collector config            [examples/googlecloud.yaml; text view and smoke: examples/local.yaml]
#   DEMO_DURATION    seconds the demo runs       [60]
#   SMOKE_DURATION   seconds the smoke run may take at most [40]
#   DEMO_STYLE       exemplar label style        [mixed]  (see exemplar-demo -help)
#   DEMO_RATE        demo requests per second    [5]
#   PROJECT          project for the Cloud Trace span names [demo-project]
#   DEMO_LOG_DIR     where the logs go           [_build/demo or _build/smoke]
#   DEMO_APP_PORT, OTLP_GRPC_PORT, OTLP_HTTP_PORT, HEALTH_PORT, TELEMETRY_PORT,
#   STANDIN_PORT, CONSOLE_PORT
#                    ports on 127.0.0.1; "auto" (the default) picks free ones
#
# Everything it starts is stopped on exit, on Ctrl-C and on failure; every
# wait is bounded.
set -euo pipefail

mode=${1:-demo}
case $mode in
demo | smoke) ;;
*)
	echo "usage: $0 demo|smoke" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COLLECTOR=${COLLECTOR:-$root/_build/otelcol-exemplarlink}
DEMO_APP=${DEMO_APP:-$root/bin/exemplar-demo}
STANDIN=${STANDIN:-$root/bin/gcp-standin}
DEMO_VIEW=${DEMO_VIEW:-console}
case $DEMO_VIEW in
console | text) ;;
*)
	echo "$mode: DEMO_VIEW must be console or text, not '$DEMO_VIEW'" >&2
	exit 2
	;;
esac
[ "$mode" = demo ] || DEMO_VIEW=text
if [ "$DEMO_VIEW" = console ]; then
	CONFIG=${CONFIG:-$root/examples/googlecloud.yaml}
else
	CONFIG=${CONFIG:-$root/examples/local.yaml}
fi
DEMO_STYLE=${DEMO_STYLE:-mixed}
DEMO_RATE=${DEMO_RATE:-5}
PROJECT=${PROJECT:-demo-project}
if [ "$mode" = smoke ]; then
	duration=${SMOKE_DURATION:-40}
	DEMO_STYLE=mixed
else
	duration=${DEMO_DURATION:-60}
fi
log_dir=${DEMO_LOG_DIR:-$root/_build/$mode}

need=("$COLLECTOR" "$DEMO_APP")
[ "$DEMO_VIEW" = text ] || need+=("$STANDIN")
for f in "${need[@]}"; do
	if [ ! -x "$f" ]; then
		echo "$mode: $f is missing; run 'make collector demo-app gcp-standin' first" >&2
		exit 1
	fi
done
case $duration in '' | *[!0-9]*)
	echo "$mode: duration must be whole seconds, not '$duration'" >&2
	exit 2
	;;
esac

mkdir -p "$log_dir"
collector_log=$log_dir/collector.log
app_log=$log_dir/app.log
standin_log=$log_dir/standin.log
: >"$collector_log"
: >"$app_log"
: >"$standin_log"

# Ports: the ones given, or free ones.
mapfile -t free < <("$DEMO_APP" -free-ports 7)
[ "${#free[@]}" -eq 7 ] || { echo "$mode: could not pick free ports" >&2; exit 1; }
port() { # port VALUE INDEX
	if [ "${1:-auto}" = auto ]; then echo "${free[$2]}"; else echo "$1"; fi
}
app_port=$(port "${DEMO_APP_PORT:-}" 0)
grpc_port=$(port "${OTLP_GRPC_PORT:-}" 1)
http_port=$(port "${OTLP_HTTP_PORT:-}" 2)
health_port=$(port "${HEALTH_PORT:-}" 3)
telemetry_port=$(port "${TELEMETRY_PORT:-}" 4)
standin_port=$(port "${STANDIN_PORT:-}" 5)
console_port=$(port "${CONSOLE_PORT:-}" 6)

export EL_APP_ADDR=127.0.0.1:$app_port
export EL_OTLP_GRPC_ADDR=127.0.0.1:$grpc_port
export EL_OTLP_HTTP_ADDR=127.0.0.1:$http_port
export EL_HEALTH_ADDR=127.0.0.1:$health_port
export EL_TELEMETRY_PORT=$telemetry_port
# The processor's per-exemplar "Exemplar linked" lines are at debug level;
# the smoke test needs them.
export EL_LOG_LEVEL=${EL_LOG_LEVEL:-debug}
[ "$mode" = demo ] || EL_LOG_LEVEL=debug

if [ "$DEMO_VIEW" = console ]; then
	# The production pipeline, pointed at the stand-in: a fixed project,
	# plaintext gRPC, no credentials.
	export GOOGLE_CLOUD_PROJECT=$PROJECT
	export GCP_MONITORING_ENDPOINT=127.0.0.1:$standin_port
	export GCP_TRACE_ENDPOINT=127.0.0.1:$standin_port
	export GCP_USE_INSECURE=true
	unset GOOGLE_APPLICATION_CREDENTIALS
fi

collector_pid=
app_pid=
standin_pid=
stopping=

# stop PID NAME: SIGTERM, up to 10 s to exit, then SIGKILL.
stop() {
	local pid=$1 name=$2 i
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || {
		wait "$pid" 2>/dev/null || true
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "$mode: $name did not stop within 10 s; killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	[ -z "$stopping" ] || return 0
	stopping=1
	# The app first, so its last spans reach the collector; then the
	# collector, which logs a final summary as it shuts down.
	stop "$app_pid" "demo app"
	app_pid=
	stop "$collector_pid" collector
	collector_pid=
	# The stand-in last: the collector flushes to it as it shuts down. It
	# prints its summary as it stops.
	stop "$standin_pid" stand-in
	standin_pid=
}
trap cleanup EXIT
interrupted=
trap 'interrupted=1' INT TERM

# fail LOG MESSAGE: says what went wrong, shows the end of LOG, exits 1.
fail() {
	echo "$mode: $2; last lines of its log ($1):" >&2
	tail -n 30 "$1" >&2
	exit 1
}

# wait_http URL SECONDS PID: until URL answers 2xx; fails early if PID exits.
wait_http() {
	local url=$1 secs=$2 pid=$3 i
	for ((i = 0; i < secs; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		"$DEMO_APP" -wait "$url" -wait-timeout 1s 2>/dev/null && return 0
	done
	return 1
}

echo "$mode: collector log: $collector_log"
echo "$mode: app log:       $app_log"

if [ "$DEMO_VIEW" = console ]; then
	echo "$mode: stand-in log:  $standin_log"
	# A session of its own: Ctrl-C reaches the app and the collector, and
	# the stand-in stays up for the collector's last flush until cleanup
	# stops it.
	setsid "$STANDIN" -addr "127.0.0.1:$standin_port" -console "127.0.0.1:$console_port" -interval 0 >"$standin_log" 2>&1 &
	standin_pid=$!
	if ! wait_http "http://127.0.0.1:$console_port/api/summary" 15 "$standin_pid"; then
		fail "$standin_log" "the stand-in did not start"
	fi
	echo "$mode: Cloud Monitoring and Cloud Trace stand-in on 127.0.0.1:$standin_port (project $PROJECT, no credentials)"
fi

"$COLLECTOR" --config="$CONFIG" >"$collector_log" 2>&1 &
collector_pid=$!
if ! wait_http "http://$EL_HEALTH_ADDR/" 30 "$collector_pid"; then
	fail "$collector_log" "the collector did not become healthy"
fi
echo "$mode: collector up (OTLP/HTTP $EL_OTLP_HTTP_ADDR, health $EL_HEALTH_ADDR, own metrics http://127.0.0.1:$EL_TELEMETRY_PORT/metrics)"

"$DEMO_APP" -listen "$EL_APP_ADDR" -otlp-endpoint "$EL_OTLP_HTTP_ADDR" \
	-style "$DEMO_STYLE" -rate "$DEMO_RATE" -duration "$((duration + 30))s" >>"$app_log" 2>&1 &
app_pid=$!
if ! wait_http "http://$EL_APP_ADDR/healthz" 15 "$app_pid"; then
	fail "$app_log" "the demo app did not start"
fi
if [ "$DEMO_VIEW" = console ]; then
	echo "$mode: demo app up on http://$EL_APP_ADDR (style $DEMO_STYLE, $DEMO_RATE req/s); scraped every 10 s"
	echo
	echo "    Console: http://127.0.0.1:$console_port/   (the first points arrive after ~20 s)"
	echo
else
	echo "$mode: demo app up on http://$EL_APP_ADDR (style $DEMO_STYLE, $DEMO_RATE req/s); scraped every 5 s"
fi

# linked_summary: the processor's summary lines that report linked > 0.
linked_summary() {
	grep 'Exemplar linkage summary' "$collector_log" | grep -E '"linked": [1-9]' || true
}
# exporter_ids: the debug exporter's non-empty exemplar IDs.
exporter_ids() {
	grep -E -- '-> (Trace|Span) ID: [0-9a-f]{16,32}$' "$collector_log" || true
}
# label_linked_ids: trace IDs the processor took from a label (not ones the
# receiver had already put in the fields) that reached the debug exporter.
label_linked_ids() {
	grep 'Exemplar linked' "$collector_log" | grep -v '"trace_label": ""' |
		sed -nE 's/.*"trace_id": "([0-9a-f]{32})".*/\1/p' | sort -u >"$log_dir/label-linked.txt" || true
	exporter_ids | sed -nE 's/.*Trace ID: ([0-9a-f]{32})$/\1/p' | sort -u | comm -12 - "$log_dir/label-linked.txt" || true
}

if [ "$mode" = demo ]; then
	echo "$mode: running for ${duration}s (Ctrl-C stops it early)"
else
	echo "$mode: waiting up to ${duration}s for linked exemplars"
fi
start=$SECONDS
while [ -z "$interrupted" ] && [ $((SECONDS - start)) -lt "$duration" ]; do
	if ! kill -0 "$collector_pid" 2>/dev/null && [ -n "$interrupted" ]; then
		break # Ctrl-C reached the collector too
	fi
	if ! kill -0 "$collector_pid" 2>/dev/null; then
		fail "$collector_log" "the collector exited early"
	fi
	if [ -n "$standin_pid" ] && ! kill -0 "$standin_pid" 2>/dev/null; then
		fail "$standin_log" "the stand-in exited early"
	fi
	if ! kill -0 "$app_pid" 2>/dev/null; then
		fail "$app_log" "the demo app exited early"
	fi
	if [ "$mode" = smoke ] && [ -n "$(linked_summary)" ] &&
		[ "$(exporter_ids | grep -c 'Trace ID')" -gt 0 ] &&
		[ "$(exporter_ids | grep -c 'Span ID')" -gt 0 ] &&
		[ -n "$(label_linked_ids)" ]; then
		break
	fi
	sleep 1 || true # Ctrl-C ends it early
done
elapsed=$((SECONDS - start))
cleanup
trap - INT TERM
# From here on only the log is read: a grep that finds nothing, or a head
# that closes its pipe early, must not end the script.
set +e +o pipefail

# report: the linked exemplars, with their Cloud Trace span names.
report() {
	echo
	echo "== Exemplars linked by exemplar_link (its debug lines), with the Cloud Trace span each would link to:"
	grep 'Exemplar linked' "$collector_log" |
		sed -nE 's/.*"metric": "([^"]*)".*"trace_label": "([^"]*)".*"span_label": "([^"]*)".*"trace_id": "([0-9a-f]+)".*"span_id": "([0-9a-f]+)".*/\1\t\2\t\3\t\4\t\5/p' |
		awk -F'\t' -v project="$PROJECT" '
			!seen[$4 "/" $5]++ {
				from = $2 == "" ? "(already in the fields)" : ($3 == $2 ? $2 : $2 "+" $3)
				line[n++] = sprintf("  %-24s projects/%s/traces/%s/spans/%s", from, project, $4, $5)
				by[from]++
			}
			END {
				if (!n) { print "  (none: the processor logs them at debug level; EL_LOG_LEVEL=debug)"; exit }
				for (i = (n > 20 ? n - 20 : 0); i < n; i++) print line[i]
				printf "  %d distinct exemplars linked (metric %s), from:", n, $1
				for (f in by) printf " %s=%d", f, by[f]
				print ""
			}'

	echo
	echo "== Exemplars as the debug exporter shows them (last 10 with both IDs):"
	awk -v project="$PROJECT" '
		/^Exemplar #/ { t = ""; s = "" }
		/-> Trace ID: / { t = $NF; if (t == "ID:") t = "" }
		/-> Span ID: / { s = $NF; if (s == "ID:") s = ""; if (t != "" && s != "") printf "  projects/%s/traces/%s/spans/%s\n", project, t, s }
	' "$collector_log" | tail -n 10

	echo
	echo "== Exemplars left unlinked, with the labels they kept (debug exporter, last 5 kinds):"
	awk '
		function flush() {
			if (inex && (t == "" || s == "") && attrs != "") print " " attrs
			inex = 0; attrs = ""
		}
		/^Exemplar #/ { flush(); inex = 1; t = ""; s = ""; next }
		inex && /^     -> Trace ID:/ { t = $4; next }
		inex && /^     -> Span ID:/ { s = $4; next }
		inex && /^          -> / { attrs = attrs " " $2 $3; next }
		inex && !/^     / { flush() }
		END { flush() }
	' "$collector_log" | sed -E 's/[0-9a-fA-F]{12,}/<hex>/g' | sort | uniq -c | sort -rn | head -n 5

	echo
	echo "== Processor summary (last):"
	grep 'Exemplar linkage summary' "$collector_log" | tail -n 1 | sed 's/^/  /'
}

# console_report: the stand-in's closing summary.
console_report() {
	local summary stats
	summary=$(grep '^gcp-standin: summary:' "$standin_log" | tail -n 1)
	stats=$(grep '^gcp-standin: requests=' "$standin_log" | tail -n 1)
	echo
	echo "== What the stand-in's Cloud Monitoring and Cloud Trace received (project $PROJECT):"
	if [ -z "$summary" ]; then
		echo "  (no summary from the stand-in; its log: $standin_log)"
		return
	fi
	echo "$summary" | awk '{
		for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "  exemplars Cloud Monitoring received: %d (distinct; %d on points counting repeats)\n", v["exemplars"], v["occurrences"]
		printf "  linked (with a Cloud Trace span link): %d; without a link: %d\n", v["linked"], v["unlinked"]
		printf "  links that resolve to a span Cloud Trace received: %d of %d; dangling: %d\n", v["resolved"], v["linked"], v["dangling"]
		printf "  spans Cloud Trace received and holds: %d\n", v["spans"]
	}'
	echo "  ${stats#gcp-standin: }"
}

if [ "$mode" = demo ] && [ "$DEMO_VIEW" = console ]; then
	console_report
	echo
	echo "Logs: $log_dir (the console closed with the stand-in; run again to see it)"
	exit 0
fi
if [ "$mode" = demo ]; then
	report
	echo
	echo "Full collector log: $collector_log"
	exit 0
fi

# smoke: decide.
summary=$(linked_summary | tail -n 1)
n_trace=$(exporter_ids | grep -c 'Trace ID' || true)
n_span=$(exporter_ids | grep -c 'Span ID' || true)
n_label=$(label_linked_ids | grep -c . || true)
if [ -n "$summary" ] && [ "$n_trace" -gt 0 ] && [ "$n_span" -gt 0 ] && [ "$n_label" -gt 0 ]; then
	echo "$mode: summary: $summary"
	exporter_ids | head -n 4 | sed "s/^/$mode: debug exporter: /"
	echo "$mode: PASS after ${elapsed}s: linked exemplars in the summary; $n_trace Trace ID and $n_span Span ID lines from the debug exporter; $n_label trace IDs taken from labels by exemplar_link reached the exporter"
	exit 0
fi
echo "$mode: FAIL after ${elapsed}s: summary with linked > 0: ${summary:-none}; exporter Trace ID lines: $n_trace, Span ID lines: $n_span; label-linked trace IDs at the exporter: $n_label" >&2
echo "$mode: last lines of the collector log:" >&2
tail -n 40 "$collector_log" >&2
exit 1
