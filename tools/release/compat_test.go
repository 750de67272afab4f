package main

import (
	"strings"
	"testing"
)

func TestCompatManifest(t *testing.T) {
	for _, tc := range []struct {
		release    string
		prometheus bool
	}{
		{"v0.162.0", false},
		{"v0.164.0", false},
		{"v0.165.0", true},
		{"v0.166.0", true},
	} {
		m, err := compatManifest(tc.release, "/repo", "/work/out")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"output_path: /work/out/dist\n",
			"  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver " + tc.release + "\n",
			"  - gomod: github.com/exemplarlink/exemplarlinkprocessor v0.0.0\n    path: /repo\n",
			"  - gomod: go.opentelemetry.io/collector/exporter/debugexporter " + tc.release + "\n",
			"  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusremotewriteexporter " + tc.release + "\n",
		} {
			if !strings.Contains(m, want) {
				t.Errorf("%s: manifest lacks %q:\n%s", tc.release, want, m)
			}
		}
		prom := "  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter " + tc.release + "\n"
		if got := strings.Contains(m, prom); got != tc.prometheus {
			t.Errorf("%s: prometheus exporter in manifest = %v, want %v", tc.release, got, tc.prometheus)
		}
		c, err := compatComponents(tc.release)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"exemplar_link", "prometheus_remote_write"}
		if tc.prometheus {
			want = append(want, "- name: prometheus$")
		}
		if strings.Join(c, ",") != strings.Join(want, ",") {
			t.Errorf("%s: components %q, want %q", tc.release, c, want)
		}
	}
	if _, err := compatManifest("v1.71.0", "/repo", "/out"); err == nil {
		t.Error("a 1.x version is no collector release, and was taken for one")
	}
	if _, err := compatComponents("latest"); err == nil {
		t.Error("\"latest\" was taken for a release")
	}
}
