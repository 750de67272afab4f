package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name, mode string
		env        map[string]string
		check      func(t *testing.T, s settings)
		wantErr    string
	}{
		{
			name: "demo defaults", mode: "demo",
			check: func(t *testing.T, s settings) {
				want := settings{
					mode: "demo", view: "console", root: "/r", config: "/r/examples/googlecloud.yaml", duration: 60 * time.Second,
					collector: "/r/_build/otelcol-exemplarlink", app: "/r/bin/exemplar-demo", standin: "/r/bin/gcp-standin",
					prometheus: "prometheus", danglingAfter: 10 * time.Second,
					style: "mixed", rate: "5", project: "demo-project", logLevel: "debug", logDir: "/r/_build/demo",
				}
				wantArgs := []string{"--config=/r/examples/googlecloud.yaml", "--feature-gates=receiver.prometheusreceiver.EnableCreatedTimestampZeroIngestion"}
				if got := s.collectorArgs(); !slices.Equal(got, wantArgs) {
					t.Errorf("collectorArgs = %q, want %q", got, wantArgs)
				}
				if s != want {
					t.Errorf("settings\n%+v\nwant\n%+v", s, want)
				}
			},
		},
		{
			name: "demo, text view, every setting", mode: "demo",
			env: map[string]string{
				"DEMO_VIEW": "text", "DEMO_DURATION": "15", "DEMO_STYLE": "b3", "DEMO_RATE": "20", "PROJECT": "p",
				"DEMO_LOG_DIR": "/logs", "EL_LOG_LEVEL": "info", "COLLECTOR": "/c", "DEMO_APP": "/a", "STANDIN": "/s",
				"CONSOLE_PORT": "18990", "TELEMETRY_PORT": "auto", "DEMO_APP_PORT": "1",
				"DEMO_LINK_ONLY_EXPORTED": "1", "DEMO_DANGLING_AFTER": "3s", "PROMETHEUS": "/p",
			},
			check: func(t *testing.T, s settings) {
				want := settings{
					mode: "demo", view: "text", root: "/r", config: "/r/examples/local.yaml", duration: 15 * time.Second,
					collector: "/c", app: "/a", standin: "/s", prometheus: "/p",
					linkOnlyExported: true, danglingAfter: 3 * time.Second, danglingAfterSet: true,
					style: "b3", rate: "20", project: "p", logLevel: "info", logDir: "/logs",
				}
				want.ports[portConsole], want.ports[portApp] = 18990, 1
				if s != want {
					t.Errorf("settings\n%+v\nwant\n%+v", s, want)
				}
				wantArgs := []string{"--config=/r/examples/local.yaml", "--config=file:/t.yaml",
					"--set=processors::exemplar_link::link_only_exported_spans=true",
					"--set=processors::exemplar_link::dangling_after=3s"}
				if got := s.collectorArgs("file:/t.yaml"); !slices.Equal(got, wantArgs) {
					t.Errorf("collectorArgs =\n%q, want\n%q", got, wantArgs)
				}
			},
		},
		{
			name: "prometheus backend", mode: "demo",
			env: map[string]string{"DEMO_BACKEND": "prometheus", "DEMO_VIEW": "text", "DEMO_LINK_ONLY_EXPORTED": "false"},
			check: func(t *testing.T, s settings) {
				if s.view != "prometheus" || s.config != "/r/examples/prometheus.yaml" || s.linkOnlyExported {
					t.Errorf("settings %+v", s)
				}
			},
		},
		{
			name: "smoke: the defaults of exemplar_link, whatever the demo settings", mode: "smoke",
			env: map[string]string{"DEMO_BACKEND": "prometheus", "DEMO_LINK_ONLY_EXPORTED": "1", "DEMO_DANGLING_AFTER": "1s"},
			check: func(t *testing.T, s settings) {
				if s.view != "text" || s.linkOnlyExported || s.danglingAfterSet || len(s.collectorArgs()) != 1 {
					t.Errorf("settings %+v", s)
				}
			},
		},
		{
			name: "smoke: text view, mixed style, SMOKE_DURATION", mode: "smoke",
			env: map[string]string{"DEMO_VIEW": "console", "DEMO_STYLE": "b3", "DEMO_DURATION": "5", "SMOKE_DURATION": "90", "CONFIG": "/x.yaml"},
			check: func(t *testing.T, s settings) {
				if s.view != "text" || s.style != "mixed" || s.duration != 90*time.Second || s.config != "/x.yaml" || s.logDir != "/r/_build/smoke" {
					t.Errorf("settings %+v", s)
				}
			},
		},
		{name: "bad mode", mode: "run", wantErr: `mode must be demo or smoke, not "run"`},
		{name: "bad backend", mode: "demo", env: map[string]string{"DEMO_BACKEND": "gcp"}, wantErr: `DEMO_BACKEND must be google or prometheus, not "gcp"`},
		{name: "bad link-only", mode: "demo", env: map[string]string{"DEMO_LINK_ONLY_EXPORTED": "yes"}, wantErr: `DEMO_LINK_ONLY_EXPORTED must be 1 or 0 (true or false), not "yes"`},
		{name: "dangling_after without unit", mode: "demo", env: map[string]string{"DEMO_DANGLING_AFTER": "10"}, wantErr: `DEMO_DANGLING_AFTER must be a duration (e.g. 10s, at most 10m), not "10"`},
		{name: "dangling_after zero", mode: "demo", env: map[string]string{"DEMO_DANGLING_AFTER": "0s"}, wantErr: `DEMO_DANGLING_AFTER must be a duration`},
		{name: "bad view", mode: "demo", env: map[string]string{"DEMO_VIEW": "web"}, wantErr: `DEMO_VIEW must be console or text, not "web"`},
		{name: "duration with unit", mode: "demo", env: map[string]string{"DEMO_DURATION": "60s"}, wantErr: `DEMO_DURATION must be whole seconds (1 to 86400), not "60s"`},
		{name: "zero duration", mode: "smoke", env: map[string]string{"SMOKE_DURATION": "0"}, wantErr: `SMOKE_DURATION must be whole seconds`},
		{name: "bad rate", mode: "demo", env: map[string]string{"DEMO_RATE": "fast"}, wantErr: `DEMO_RATE must be requests per second, not "fast"`},
		{name: "bad port", mode: "demo", env: map[string]string{"STANDIN_PORT": "4317x"}, wantErr: `STANDIN_PORT must be a port (1 to 65535) or auto, not "4317x"`},
		{name: "port out of range", mode: "demo", env: map[string]string{"HEALTH_PORT": "65536"}, wantErr: `HEALTH_PORT must be a port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := load(tt.mode, "/r", func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("load error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

// pickPorts fills only the "auto" ports, each with a distinct one.
func TestPickPorts(t *testing.T) {
	s, err := load("demo", "/r", func(k string) string {
		if k == "CONSOLE_PORT" {
			return "18990"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.pickPorts(); err != nil {
		t.Fatal(err)
	}
	seen := make(map[int]bool)
	for i, p := range s.ports {
		if p <= 0 || seen[p] {
			t.Fatalf("ports %v: want distinct positive ports", s.ports)
		}
		seen[p] = true
		if i == portConsole && p != 18990 {
			t.Errorf("CONSOLE_PORT=18990 became %d", p)
		}
	}
}
