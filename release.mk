# The collector release that everything which builds or runs a collector
# uses: the ocb distribution (builder-config.yaml), e2e/, demo/, bench/ and
# the tools. Contrib and core's unstable modules are on it, core's stable
# (1.x) modules on the matching v1 (the minor minus 94: v0.165.0 is v1.71.0).
# To move to a newer release: change this line, run `make release-sync`,
# then `make compat` (see README "Compatibility").
COLLECTOR_RELEASE := v0.165.0

# The oldest release the processor module supports; its go.mod requires
# it, so a user's collector is never forced up by this library.
# The compat matrix's collector (tools/compat.sh) holds the distribution's
# exporters to Prometheus too: prometheusremotewriteexporter on every
# release it builds (served from v0.162.0 on, its dependencies too: checked
# with go list -m and go list -deps), the prometheus exporter only from
# v0.165.0 on (prometheusExporterFrom, tools/release/compat.go), because the registry
# here refuses it at v0.162.0 to v0.164.0 (403, checked with go list -m).
# `tools/compat.sh --manifest RELEASE` prints the manifest for a release.
COLLECTOR_MIN_RELEASE := v0.162.0

# Held back: bench/ compares exemplar_link with the transform processor,
# whose v0.162.0 and later releases need pkg/ottl/contexts/xprofile and
# pkg/expohisto, which the module registry here does not serve (403, checked
# for v0.162.0 to v0.165.1). v0.161.0 is the newest that builds; its own
# contrib dependencies (pkg/ottl, internal/filter, ...) come at v0.161.0 too.
COLLECTOR_HELD := github.com/open-telemetry/opentelemetry-collector-contrib/processor/transformprocessor@v0.161.0
