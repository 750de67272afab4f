package image

// The image test: what `make image` wrote to the OCI archive, read from the
// archive itself (so the checks do not depend on the engine), then the image
// run with docker, podman or buildah against the demo app on 127.0.0.1.
//
// Settings (environment; image/image.mk sets them):
//   IMAGE_TEST_ARCHIVE    the OCI archive (unset: the test is skipped)
//   IMAGE_TEST_DEMO_APP   the demo app binary (bin/exemplar-demo)
//   IMAGE_TEST_CONFIG     the collector config to run (examples/local.yaml)
//   IMAGE_NAME, IMAGE_VERSION, IMAGE_REVISION   what the image must be tagged and labelled
//   IMAGE_ENGINE          docker, podman, buildah or auto (see image/engine.sh)
//   BUILDAH_FLAGS         global buildah flags [--storage-driver vfs]

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	binaryPath   = "otelcol-exemplarlink"
	caBundlePath = "etc/ssl/certs/ca-certificates.crt"
	configPath   = "etc/otelcol-exemplarlink/config.yaml"
	// linkTimeout bounds the wait for linked exemplars (the demo config
	// scrapes every 5 s and logs a summary every 5 s).
	linkTimeout = 45 * time.Second
)

// ociImage is what the test needs of an OCI image archive.
type ociImage struct {
	refNames     []string // the index's annotations of the manifest
	config       imageConfig
	archiveBytes int64
	layerBytes   int64 // uncompressed
	files        map[string]layerFile
}

type imageConfig struct {
	Config struct {
		User         string              `json:"User"`
		ExposedPorts map[string]struct{} `json:"ExposedPorts"`
		Entrypoint   []string            `json:"Entrypoint"`
		Cmd          []string            `json:"Cmd"`
		Labels       map[string]string   `json:"Labels"`
	} `json:"config"`
}

type layerFile struct {
	mode int64
	data []byte // only for the small files the test reads
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations"`
}

// readArchive reads an OCI image archive (an image layout in a tar) with one
// image in it.
func readArchive(t *testing.T, file string) ociImage {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	blobs := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		blobs[strings.TrimPrefix(h.Name, "./")] = b
	}
	blob := func(d descriptor) []byte {
		algo, hex, ok := strings.Cut(d.Digest, ":")
		require.True(t, ok, "digest %q", d.Digest)
		b, ok := blobs["blobs/"+algo+"/"+hex]
		require.True(t, ok, "%s: no blob %s", file, d.Digest)
		return b
	}

	var index struct {
		Manifests []descriptor `json:"manifests"`
	}
	require.Contains(t, blobs, "index.json", "%s is not an OCI image layout", file)
	require.NoError(t, json.Unmarshal(blobs["index.json"], &index))
	require.Len(t, index.Manifests, 1, "%s: images", file)
	img := ociImage{archiveBytes: st.Size(), files: map[string]layerFile{}}
	for _, v := range index.Manifests[0].Annotations {
		img.refNames = append(img.refNames, v)
	}
	var manifest struct {
		MediaType string       `json:"mediaType"`
		Manifests []descriptor `json:"manifests"` // an image index
		Config    descriptor   `json:"config"`
		Layers    []descriptor `json:"layers"`
	}
	require.NoError(t, json.Unmarshal(blob(index.Manifests[0]), &manifest))
	// Docker with the containerd image store saves an image index (one
	// manifest per platform, attestations beside them): take the first
	// image manifest.
	for manifest.MediaType == "application/vnd.oci.image.index.v1+json" {
		require.NotEmpty(t, manifest.Manifests, "%s: empty image index", file)
		next := manifest.Manifests[0]
		manifest.Manifests = nil
		require.NoError(t, json.Unmarshal(blob(next), &manifest))
	}
	require.NoError(t, json.Unmarshal(blob(manifest.Config), &img.config))
	require.NotEmpty(t, manifest.Layers)
	for _, l := range manifest.Layers {
		var r io.Reader = bytes.NewReader(blob(l))
		if strings.HasSuffix(l.MediaType, "gzip") {
			zr, err := gzip.NewReader(r)
			require.NoError(t, err)
			r = zr
		}
		lr := tar.NewReader(r)
		for {
			h, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			name := path.Clean(strings.TrimPrefix(h.Name, "./"))
			if h.Typeflag != tar.TypeReg {
				continue
			}
			lf := layerFile{mode: h.Mode}
			if h.Size < 1<<20 {
				lf.data, err = io.ReadAll(lr)
				require.NoError(t, err)
			}
			img.layerBytes += h.Size
			img.files[name] = lf
		}
	}
	return img
}

// engine runs the image's entrypoint in a container with the host's
// network (everything listens on 127.0.0.1) and the given config mounted
// over the default one.
type engine interface {
	name() string
	// childProcess: the container's process is a descendant of the
	// command (buildah run), so the test can see its user on the host.
	childProcess() bool
	command(ctx context.Context, env map[string]string, config string, args ...string) *exec.Cmd
}

func pickEngine(t *testing.T) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "bash", "-c", ". ./engine.sh && pick_engine").Output()
	require.NoError(t, err, "image/engine.sh: no engine")
	return strings.TrimSpace(string(out))
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
}

// newEngine loads the archive into the engine and returns how to run it.
func newEngine(t *testing.T, archive string, img ociImage, tag string) engine {
	t.Helper()
	switch e := pickEngine(t); e {
	case "buildah":
		flags := strings.Fields("--storage-driver vfs")
		if v, ok := os.LookupEnv("BUILDAH_FLAGS"); ok {
			flags = strings.Fields(v)
		}
		ctr := fmt.Sprintf("exemplarlink-imagetest-%d", os.Getpid())
		run(t, "buildah", append(flags, "from", "--quiet", "--pull=true", "--name", ctr, "oci-archive:"+archive)...)
		t.Cleanup(func() {
			out, err := exec.Command("buildah", append(flags, "rm", ctr)...).CombinedOutput()
			if err != nil {
				t.Logf("buildah rm %s: %v: %s", ctr, err, out)
			}
		})
		return &buildahEngine{flags: flags, ctr: ctr, entrypoint: img.config.Config.Entrypoint, cmd: img.config.Config.Cmd}
	case "podman":
		return &cliEngine{cli: "podman", image: "oci-archive:" + archive}
	case "docker":
		run(t, "docker", "load", "-i", archive)
		return &cliEngine{cli: "docker", image: tag}
	default:
		t.Fatalf("engine %q", e)
		return nil
	}
}

// buildahEngine runs in a working container made from the archive; buildah
// run takes the command, so it puts the image's entrypoint first and, with
// no arguments, the image's cmd after it, as docker run does.
type buildahEngine struct {
	flags      []string
	ctr        string
	entrypoint []string
	cmd        []string
}

func (b *buildahEngine) name() string { return "buildah" }

func (b *buildahEngine) childProcess() bool { return true }

func (b *buildahEngine) command(ctx context.Context, env map[string]string, config string, args ...string) *exec.Cmd {
	a := append(slices.Clone(b.flags), "run", "--isolation", "chroot", "--network", "host")
	if config != "" {
		a = append(a, "-v", config+":/"+configPath+":ro")
	}
	for k, v := range env {
		a = append(a, "-e", k+"="+v)
	}
	a = append(a, b.ctr, "--")
	a = append(a, b.entrypoint...)
	if len(args) == 0 {
		args = b.cmd
	}
	return exec.CommandContext(ctx, "buildah", append(a, args...)...)
}

// cliEngine is docker or podman: run uses the image's entrypoint.
type cliEngine struct{ cli, image string }

func (c *cliEngine) name() string { return c.cli }

func (c *cliEngine) childProcess() bool { return false }

func (c *cliEngine) command(ctx context.Context, env map[string]string, config string, args ...string) *exec.Cmd {
	a := []string{"run", "--rm", "--network", "host"}
	if config != "" {
		a = append(a, "-v", config+":/"+configPath+":ro")
	}
	for k, v := range env {
		a = append(a, "-e", k+"="+v)
	}
	a = append(a, c.image)
	return exec.CommandContext(ctx, c.cli, append(a, args...)...)
}

func TestImage(t *testing.T) {
	archive := os.Getenv("IMAGE_TEST_ARCHIVE")
	if archive == "" {
		t.Skip("IMAGE_TEST_ARCHIVE is not set: run `make image-test`")
	}
	tag := os.Getenv("IMAGE_NAME") + ":" + os.Getenv("IMAGE_VERSION")
	img := readArchive(t, archive)
	fmt.Printf("image: %s: archive %.1f MB (compressed layers), %.1f MB unpacked\n",
		archive, float64(img.archiveBytes)/1e6, float64(img.layerBytes)/1e6)

	t.Run("archive", func(t *testing.T) { checkArchive(t, img, tag) })

	e := newEngine(t, archive, img, tag)
	t.Logf("engine: %s", e.name())

	t.Run("components lists exemplar_link", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		out, err := e.command(ctx, nil, "", "components").CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Regexp(t, `(?m)^processors:\n(?:\s+.*\n)*?\s+- name: exemplar_link$`, string(out))
	})

	t.Run("the default config validates", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		out, err := e.command(ctx, nil, "", "validate", "--config=/"+configPath).CombinedOutput()
		require.NoError(t, err, "%s", out)
	})

	t.Run("links the demo app's exemplars", func(t *testing.T) { checkLinks(t, e, img.config.Config.User) })
}

func checkArchive(t *testing.T, img ociImage, tag string) {
	c := img.config.Config
	if assert.NotEmpty(t, img.refNames) {
		assert.True(t, slices.ContainsFunc(img.refNames, func(n string) bool {
			return n == tag || strings.HasSuffix(n, "/"+tag)
		}), "archive names %v, want %s", img.refNames, tag)
	}

	// A numeric non-root user: Kubernetes' runAsNonRoot can only verify a
	// numeric one.
	m := regexp.MustCompile(`^(\d+):(\d+)$`).FindStringSubmatch(c.User)
	if assert.NotNil(t, m, "USER %q is not uid:gid", c.User) {
		uid, _ := strconv.Atoi(m[1])
		assert.NotZero(t, uid, "runs as root")
	}
	assert.Equal(t, []string{"/" + binaryPath}, c.Entrypoint)
	assert.Equal(t, []string{"--config=/" + configPath}, c.Cmd)
	for _, p := range []string{"4317/tcp", "4318/tcp", "13133/tcp"} {
		assert.Contains(t, c.ExposedPorts, p)
	}
	assert.Equal(t, "https://github.com/exemplarlink/exemplarlinkprocessor", c.Labels["org.opencontainers.image.source"])
	assert.Equal(t, os.Getenv("IMAGE_VERSION"), c.Labels["org.opencontainers.image.version"])
	assert.Equal(t, os.Getenv("IMAGE_REVISION"), c.Labels["org.opencontainers.image.revision"])

	// FROM scratch: the three files and nothing else (no shell, no
	// package manager).
	var files []string
	for name := range img.files {
		files = append(files, name)
	}
	assert.ElementsMatch(t, []string{binaryPath, caBundlePath, configPath}, files)
	assert.NotZero(t, img.files[binaryPath].mode&0o111, "the collector is not executable")

	// The CA bundle: the TLS roots the googleapis.com endpoints are checked
	// against.
	bundle := img.files[caBundlePath].data
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(bundle), "%s holds no certificate", caBundlePath)
	n := 0
	for rest := bundle; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		n++
	}
	assert.Greater(t, n, 50, "certificates in %s", caBundlePath)
	fmt.Printf("image: %d CA certificates in /%s\n", n, caBundlePath)
	assert.NotEmpty(t, img.files[configPath].data, "default config")
}

// freePorts returns n TCP ports free on 127.0.0.1.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs cmd in its own process group and stops the group when the
// test ends: SIGTERM, up to 10 s, then SIGKILL. done is closed when it
// exits.
func start(t *testing.T, cmd *exec.Cmd) (out *lockedBuffer, done <-chan struct{}) {
	t.Helper()
	out = &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	require.NoError(t, cmd.Start(), "%v", cmd.Args)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Logf("%s did not stop within 10 s; killing it", cmd.Args[0])
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	return out, exited
}

// waitHTTP polls url until it answers 2xx, d passes or the process behind
// it exits.
func waitHTTP(ctx context.Context, url string, d time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer within %s", url, d)
		case <-exited:
			return fmt.Errorf("the process serving %s exited", url)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

var (
	linkedSummary = regexp.MustCompile(`Exemplar linkage summary.*"linked": [1-9]`)
	traceIDLine   = regexp.MustCompile(`(?m)-> Trace ID: [0-9a-f]{32}$`)
	spanIDLine    = regexp.MustCompile(`(?m)-> Span ID: [0-9a-f]{16}$`)
)

// checkLinks runs the containerised collector with the local demo config
// (prometheus receiver → exemplar_link → debug exporter) and the demo app on
// the host, and waits until the container's log shows linked exemplars.
func checkLinks(t *testing.T, e engine, user string) {
	demo, config := os.Getenv("IMAGE_TEST_DEMO_APP"), os.Getenv("IMAGE_TEST_CONFIG")
	require.FileExists(t, demo, "IMAGE_TEST_DEMO_APP")
	require.FileExists(t, config, "IMAGE_TEST_CONFIG")
	p := freePorts(t, 5)
	env := map[string]string{
		"EL_APP_ADDR":       fmt.Sprintf("127.0.0.1:%d", p[0]),
		"EL_OTLP_GRPC_ADDR": fmt.Sprintf("127.0.0.1:%d", p[1]),
		"EL_OTLP_HTTP_ADDR": fmt.Sprintf("127.0.0.1:%d", p[2]),
		"EL_HEALTH_ADDR":    fmt.Sprintf("127.0.0.1:%d", p[3]),
		"EL_TELEMETRY_PORT": strconv.Itoa(p[4]),
	}
	ctx, cancel := context.WithTimeout(t.Context(), linkTimeout+60*time.Second)
	defer cancel()
	began := time.Now()

	collector := e.command(ctx, env, config)
	log, collectorExited := start(t, collector)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("container log (last 40 lines):\n%s", tail(log.String(), 40))
		}
	})
	require.NoError(t, waitHTTP(ctx, "http://"+env["EL_HEALTH_ADDR"]+"/", 30*time.Second, collectorExited), "collector health")
	t.Logf("collector up in the container after %s", time.Since(began).Round(100*time.Millisecond))
	if e.childProcess() {
		uid, ok := descendantUID(collector.Process.Pid, "/"+binaryPath)
		require.True(t, ok, "no /%s process under %s", binaryPath, collector.Args[0])
		wantUID, _, _ := strings.Cut(user, ":")
		assert.Equal(t, wantUID, uid, "the collector's user on the host")
	}

	app, appExited := start(t, exec.CommandContext(ctx, demo, "-listen", env["EL_APP_ADDR"], "-otlp-endpoint", env["EL_OTLP_HTTP_ADDR"],
		"-style", "mixed", "-rate", "5", "-duration", (linkTimeout+30*time.Second).String()))
	require.NoError(t, waitHTTP(ctx, "http://"+env["EL_APP_ADDR"]+"/healthz", 15*time.Second, appExited), "demo app:\n%s", app)

	deadline := time.Now().Add(linkTimeout)
wait:
	for time.Now().Before(deadline) {
		s := log.String()
		if linkedSummary.MatchString(s) && traceIDLine.MatchString(s) && spanIDLine.MatchString(s) {
			break
		}
		select {
		case <-collectorExited:
			break wait
		case <-appExited:
			break wait
		case <-time.After(time.Second):
		}
	}
	s := log.String()
	require.Regexp(t, linkedSummary, s, "no summary with linked > 0 within %s", linkTimeout)
	assert.Regexp(t, traceIDLine, s, "the debug exporter showed no exemplar Trace ID")
	assert.Regexp(t, spanIDLine, s, "the debug exporter showed no exemplar Span ID")
	summary := lastMatch(s, linkedSummary)
	fmt.Printf("image: linked exemplars in the container's log after %s: %s\n",
		time.Since(began).Round(100*time.Millisecond), summary)
}

// descendantUID finds a descendant of pid whose command line starts with
// exe and returns its real user ID, from /proc.
func descendantUID(pid int, exe string) (string, bool) {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		_, rest, ok := strings.Cut(string(stat), ") ")
		if f := strings.Fields(rest); ok && len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	for p := range parent {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		if err != nil || !strings.HasPrefix(string(cmdline), exe+"\x00") {
			continue
		}
		for a := parent[p]; a > 1; a = parent[a] {
			if a != pid {
				continue
			}
			status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
			if err != nil {
				return "", false
			}
			m := regexp.MustCompile(`(?m)^Uid:\s+(\d+)`).FindSubmatch(status)
			if m == nil {
				return "", false
			}
			return string(m[1]), true
		}
	}
	return "", false
}

func lastMatch(s string, re *regexp.Regexp) string {
	var last string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if re.MatchString(sc.Text()) {
			last = sc.Text()
		}
	}
	return last
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
