package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/exemplarlink/exemplarlinkprocessor/demo/proc"
)

// Port settings, in the order they are picked when "auto".
const (
	portApp = iota
	portOTLPGRPC
	portOTLPHTTP
	portHealth
	portTelemetry
	portStandin
	portConsole
	numPorts
)

var portVars = [numPorts]string{"DEMO_APP_PORT", "OTLP_GRPC_PORT", "OTLP_HTTP_PORT", "HEALTH_PORT", "TELEMETRY_PORT", "STANDIN_PORT", "CONSOLE_PORT"}

// defaultDanglingAfter is exemplar_link's dangling_after default: how long
// after its batch a link's span may still arrive before the link counts
// as dangling.
const defaultDanglingAfter = 10 * time.Second

// settings are what one run does, read from the environment (see the
// package doc for the variables and their defaults).
type settings struct {
	mode string // "demo" or "smoke"
	// view is "console" (the stand-in), "text" (examples/local.yaml) or
	// "prometheus" (DEMO_BACKEND=prometheus: examples/prometheus.yaml and
	// a local Prometheus).
	view     string
	root     string // the repository
	config   string
	duration time.Duration // demo: how long it runs; smoke: how long it may take

	collector, app, standin string
	prometheus              string // the Prometheus binary, a path or a name on PATH

	// linkOnlyExported sets exemplar_link's link_only_exported_spans.
	linkOnlyExported bool
	// danglingAfter is exemplar_link's dangling_after, set on the
	// collector's command line when danglingAfterSet.
	danglingAfter    time.Duration
	danglingAfterSet bool

	style, rate, project, logLevel string
	logDir                         string
	ports                          [numPorts]int // 0: pick a free one
}

// load reads the settings of mode from getenv; root is the repository.
func load(mode, root string, getenv func(string) string) (settings, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	s := settings{
		mode:       mode,
		root:       root,
		collector:  env("COLLECTOR", filepath.Join(root, "_build", "otelcol-exemplarlink")),
		app:        env("DEMO_APP", filepath.Join(root, "bin", "exemplar-demo")),
		standin:    env("STANDIN", filepath.Join(root, "bin", "gcp-standin")),
		prometheus: env("PROMETHEUS", "prometheus"),
		view:       env("DEMO_VIEW", "console"),
		style:      env("DEMO_STYLE", "mixed"),
		rate:       env("DEMO_RATE", "5"),
		project:    env("PROJECT", "demo-project"),
		logLevel:   env("EL_LOG_LEVEL", "debug"),
		logDir:     env("DEMO_LOG_DIR", filepath.Join(root, "_build", mode)),
	}
	durVar, durDef := "DEMO_DURATION", "60"
	switch b := env("DEMO_BACKEND", "google"); b {
	case "google":
	case "prometheus":
		s.view = "prometheus"
	default:
		return s, fmt.Errorf("DEMO_BACKEND must be google or prometheus, not %q", b)
	}
	if v := getenv("DEMO_LINK_ONLY_EXPORTED"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return s, fmt.Errorf("DEMO_LINK_ONLY_EXPORTED must be 1 or 0 (true or false), not %q", v)
		}
		s.linkOnlyExported = b
	}
	s.danglingAfter = defaultDanglingAfter
	if v := getenv("DEMO_DANGLING_AFTER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 10*time.Minute {
			return s, fmt.Errorf("DEMO_DANGLING_AFTER must be a duration (e.g. 10s, at most 10m), not %q", v)
		}
		s.danglingAfter, s.danglingAfterSet = d, true
	}
	switch mode {
	case "demo":
	case "smoke":
		// The smoke test judges the local pipeline by the collector's
		// own counters, with every label style.
		s.view, s.style = "text", "mixed"
		s.linkOnlyExported, s.danglingAfter, s.danglingAfterSet = false, defaultDanglingAfter, false
		durVar, durDef = "SMOKE_DURATION", "40"
	default:
		return s, fmt.Errorf("mode must be demo or smoke, not %q", mode)
	}
	switch s.view {
	case "console":
		s.config = env("CONFIG", filepath.Join(root, "examples", "googlecloud.yaml"))
	case "text":
		s.config = env("CONFIG", filepath.Join(root, "examples", "local.yaml"))
	case "prometheus":
		s.config = env("CONFIG", filepath.Join(root, "examples", "prometheus.yaml"))
	default:
		return s, fmt.Errorf("DEMO_VIEW must be console or text, not %q", s.view)
	}
	secs, err := strconv.Atoi(env(durVar, durDef))
	if err != nil || secs <= 0 || secs > 24*3600 {
		return s, fmt.Errorf("%s must be whole seconds (1 to 86400), not %q", durVar, getenv(durVar))
	}
	s.duration = time.Duration(secs) * time.Second
	if r, err := strconv.ParseFloat(s.rate, 64); err != nil || r < 0 {
		return s, fmt.Errorf("DEMO_RATE must be requests per second, not %q", s.rate)
	}
	for i, name := range portVars {
		v := env(name, "auto")
		if v == "auto" {
			continue
		}
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return s, fmt.Errorf("%s must be a port (1 to 65535) or auto, not %q", name, v)
		}
		s.ports[i] = p
	}
	return s, nil
}

// pickPorts replaces every "auto" port with a free one.
func (s *settings) pickPorts() error {
	free, err := proc.FreePorts(numPorts)
	if err != nil {
		return err
	}
	for i := range s.ports {
		if s.ports[i] == 0 {
			s.ports[i] = free[i]
		}
	}
	return nil
}

func (s *settings) addr(i int) string { return proc.Addr(s.ports[i]) }

// createdGate makes the prometheus receiver take a series' start time
// from its OpenMetrics _created sample. Without a start time,
// googlemanagedprometheus keeps a series' first point as its reset point
// and writes nothing of it, its exemplars included: exemplar_link would
// have checked exemplars the stand-in never receives, and their dangling
// counts would differ. It needs the app to expose _created samples;
// without them it changes nothing.
const createdGate = "--feature-gates=receiver.prometheusreceiver.EnableCreatedTimestampZeroIngestion"

// collectorArgs are the collector's arguments: the config, more config
// sources (extra, e.g. the prometheus view's scrape targets), the
// exemplar_link settings the demo's variables change, and in the console
// view createdGate.
func (s *settings) collectorArgs(extra ...string) []string {
	args := []string{"--config=" + s.config}
	if s.view == "console" {
		args = append(args, createdGate)
	}
	for _, e := range extra {
		args = append(args, "--config="+e)
	}
	if s.linkOnlyExported {
		args = append(args, "--set=processors::exemplar_link::link_only_exported_spans=true")
	}
	if s.danglingAfterSet {
		args = append(args, "--set=processors::exemplar_link::dangling_after="+s.danglingAfter.String())
	}
	return args
}
