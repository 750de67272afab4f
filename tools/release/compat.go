package main

import (
	"fmt"
	"strings"
)

// make compat's collector (tools/compat.sh): on the oldest and the newest
// release it builds, with that release's ocb, OTLP receiver ->
// exemplar_link -> debug, prometheus_remote_write and, where the module
// registry serves it, prometheus exporters, and checks that the built
// collector lists them.

// prometheusExporterFrom is the first minor release whose
// prometheusexporter the registry serves: it refuses v0.162.0 to v0.164.0
// (403; release.mk says so).
const prometheusExporterFrom = 165

// compatManifest is the ocb manifest of the compat collector for release,
// the processor module at module, built into out/dist.
func compatManifest(release, module, out string) (string, error) {
	m, err := minor(release)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, `dist:
  name: otelcol-compat
  module: example.com/otelcol-compat
  output_path: %s/dist
receivers:
  - gomod: %[2]sreceiver/otlpreceiver %[5]s
processors:
  - gomod: github.com/exemplarlink/exemplarlinkprocessor v0.0.0
    path: %[4]s
exporters:
  - gomod: %[2]sexporter/debugexporter %[5]s
  - gomod: %[3]sexporter/prometheusremotewriteexporter %[5]s
`, out, core, contrib, module, release)
	if m >= prometheusExporterFrom {
		fmt.Fprintf(&b, "  - gomod: %sexporter/prometheusexporter %s\n", contrib, release)
	}
	return b.String(), nil
}

// compatComponents are the patterns (grep's) that the compat collector's
// `components` output must match for release, one per component.
func compatComponents(release string) ([]string, error) {
	m, err := minor(release)
	if err != nil {
		return nil, err
	}
	c := []string{"exemplar_link", "prometheus_remote_write"}
	if m >= prometheusExporterFrom {
		c = append(c, "- name: prometheus$")
	}
	return c, nil
}
