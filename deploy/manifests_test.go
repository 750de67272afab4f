package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// manifestDirs are the directories a user applies with kubectl apply -f.
var manifestDirs = []string{"gke", "operator", "node-agent", "operator/node-agent"}

// newObject returns the typed object a manifest of this apiVersion and kind
// decodes into: the k8s.io/api types, and the local copy of the operator's
// OpenTelemetryCollector (otelcol_v1beta1_test.go).
func newObject(apiVersion, kind string) (any, error) {
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		return &corev1.Namespace{}, nil
	case "v1 ServiceAccount":
		return &corev1.ServiceAccount{}, nil
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "v1 Service":
		return &corev1.Service{}, nil
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}, nil
	case "apps/v1 DaemonSet":
		return &appsv1.DaemonSet{}, nil
	case "rbac.authorization.k8s.io/v1 ClusterRole":
		return &rbacv1.ClusterRole{}, nil
	case "rbac.authorization.k8s.io/v1 ClusterRoleBinding":
		return &rbacv1.ClusterRoleBinding{}, nil
	case "opentelemetry.io/v1beta1 OpenTelemetryCollector":
		return &OpenTelemetryCollector{}, nil
	}
	return nil, fmt.Errorf("no Go type for apiVersion %q kind %q", apiVersion, kind)
}

// decodeStrict decodes one YAML document as the API server's strict field
// validation does: duplicate keys, unknown fields and keys that differ from
// a field's JSON name only in letter case are errors.
func decodeStrict(doc []byte, into any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strictErrs, err := sigsjson.UnmarshalStrict(j, into, sigsjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}

// decodeDoc decodes one document into the type its apiVersion and kind name.
func decodeDoc(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	obj, err := newObject(tm.APIVersion, tm.Kind)
	if err != nil {
		return nil, err
	}
	if err := decodeStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
	}
	return obj, nil
}

// splitDocs splits a multi-document YAML file as kubectl does, dropping
// documents that hold only comments.
func splitDocs(data []byte) ([][]byte, error) {
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		var v any
		if err := yaml.Unmarshal(doc, &v); err != nil {
			return nil, err
		}
		if v != nil {
			docs = append(docs, doc)
		}
	}
}

type manifest struct {
	file string
	obj  any
}

// loadManifests decodes every document of every YAML file in manifestDirs.
func loadManifests(t *testing.T) []manifest {
	t.Helper()
	var all []manifest
	for _, dir := range manifestDirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		require.NoError(t, err)
		require.NotEmpty(t, files, "no manifests in %s", dir)
		for _, file := range files {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			docs, err := splitDocs(data)
			require.NoError(t, err, file)
			require.NotEmpty(t, docs, "%s holds no object", file)
			for i, doc := range docs {
				obj, err := decodeDoc(doc)
				require.NoError(t, err, "%s, document %d", file, i+1)
				all = append(all, manifest{file: file, obj: obj})
			}
		}
	}
	return all
}

// only returns the one object of type T in file.
func only[T any](t *testing.T, ms []manifest, file string) T {
	t.Helper()
	var found []T
	for _, m := range ms {
		if o, ok := m.obj.(T); ok && m.file == file {
			found = append(found, o)
		}
	}
	require.Len(t, found, 1, "objects of type %T in %s", *new(T), file)
	return found[0]
}

func TestManifestsDecodeStrictly(t *testing.T) {
	t.Parallel()
	ms := loadManifests(t)
	var kinds []string
	for _, m := range ms {
		kinds = append(kinds, fmt.Sprintf("%s %T", m.file, m.obj))
	}
	assert.ElementsMatch(t, []string{
		"gke/00-namespace.yaml *v1.Namespace",
		"gke/01-serviceaccount.yaml *v1.ServiceAccount",
		"gke/02-rbac.yaml *v1.ClusterRole",
		"gke/02-rbac.yaml *v1.ClusterRoleBinding",
		"gke/03-configmap.yaml *v1.ConfigMap",
		"gke/04-deployment.yaml *v1.Deployment",
		"gke/05-service.yaml *v1.Service",
		"operator/collector.yaml *deploy.OpenTelemetryCollector",
		"operator/targetallocator-rbac.yaml *v1.ServiceAccount",
		"operator/targetallocator-rbac.yaml *v1.ClusterRole",
		"operator/targetallocator-rbac.yaml *v1.ClusterRoleBinding",
		"node-agent/01-rbac.yaml *v1.ClusterRole",
		"node-agent/01-rbac.yaml *v1.ClusterRoleBinding",
		"node-agent/02-configmap.yaml *v1.ConfigMap",
		"node-agent/03-daemonset.yaml *v1.DaemonSet",
		"operator/node-agent/collector.yaml *deploy.OpenTelemetryCollector",
	}, kinds)
}

// The decoder must reject what the API server's strict validation rejects,
// or the test above proves nothing.
func TestDecodeStrictRejects(t *testing.T) {
	t.Parallel()
	const sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n"
	for _, tc := range []struct {
		name, doc, err string
	}{
		{"unknown field", sa + "automountServiceAccountTokens: true\n", `unknown field "automountServiceAccountTokens"`},
		{"key in the wrong case", sa + "AutomountServiceAccountToken: true\n", `unknown field "AutomountServiceAccountToken"`},
		{"duplicate key", sa + "  name: y\n", `key "name" already set in map`},
		{"wrong type", "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: one\n", "cannot unmarshal string into Go struct field"},
		{"unknown field in the collector CR", "apiVersion: opentelemetry.io/v1beta1\nkind: OpenTelemetryCollector\nspec:\n  targetAllocator:\n    allocationStrategyy: consistent-hashing\n", `unknown field "spec.targetAllocator.allocationStrategyy"`},
		{"unknown kind", "apiVersion: v1\nkind: Secret\n", `no Go type for apiVersion "v1" kind "Secret"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeDoc([]byte(tc.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
	_, err := decodeDoc([]byte(sa + "automountServiceAccountToken: true\n"))
	assert.NoError(t, err, "the valid document the cases start from")
}

const (
	namespace      = "exemplarlink"
	configKey      = "config.yaml"
	healthPort     = 13133
	otlpGRPCPort   = 4317
	otlpHTTPPort   = 4318
	wiAnnotation   = "iam.gke.io/gcp-service-account"
	containerfile  = "../Containerfile"
	manifestDeploy = "gke/04-deployment.yaml"
)

// imageUser is the numeric USER of the Containerfile: the manifests must run
// the collector as the user the image was built for.
func imageUser(t *testing.T) (uid, gid int64) {
	t.Helper()
	data, err := os.ReadFile(containerfile)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^USER\s+(\d+):(\d+)\s*$`).FindSubmatch(data)
	require.NotNil(t, m, "%s has no numeric USER uid:gid line", containerfile)
	uid, _ = strconv.ParseInt(string(m[1]), 10, 64)
	gid, _ = strconv.ParseInt(string(m[2]), 10, 64)
	return uid, gid
}

// configMapConfig is the collector configuration the ConfigMap carries.
func configMapConfig(t *testing.T, ms []manifest) string {
	t.Helper()
	cm := only[*corev1.ConfigMap](t, ms, "gke/03-configmap.yaml")
	cfg, ok := cm.Data[configKey]
	require.True(t, ok, "ConfigMap %s has no %s", cm.Name, configKey)
	return cfg
}

// operatorConfig is the collector configuration of the OpenTelemetryCollector,
// as the YAML file the operator renders from it.
func operatorConfig(t *testing.T, ms []manifest) string {
	t.Helper()
	return crConfig(t, ms, "operator/collector.yaml")
}

// crConfig is the collector configuration of the OpenTelemetryCollector in
// file, as the YAML file the operator renders from it.
func crConfig(t *testing.T, ms []manifest, file string) string {
	t.Helper()
	cr := only[*OpenTelemetryCollector](t, ms, file)
	out, err := yaml.Marshal(cr.Spec.Config)
	require.NoError(t, err)
	return string(out)
}

// envRefs lists the ${env:NAME} references of a collector configuration.
func envRefs(cfg string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(cfg, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	return names
}

func envNames(env []corev1.EnvVar) []string {
	var names []string
	for _, e := range env {
		names = append(names, e.Name)
	}
	return names
}

// endpointPort is the port of a host:port endpoint at path (keys) in cfg.
func endpointPort(t *testing.T, cfg map[string]any, path ...string) int {
	t.Helper()
	var v any = cfg
	for _, k := range path {
		m, ok := v.(map[string]any)
		require.True(t, ok, "%v: %q is not under a map", path, k)
		v = m[k]
	}
	s, ok := v.(string)
	require.True(t, ok, "%v is not a string: %v", path, v)
	i := strings.LastIndex(s, ":")
	require.Positive(t, i, "%v = %q has no port", path, s)
	p, err := strconv.Atoi(s[i+1:])
	require.NoError(t, err, "%v = %q", path, s)
	return p
}

func TestManifestsFitTogether(t *testing.T) {
	t.Parallel()
	ms := loadManifests(t)
	uid, gid := imageUser(t)

	ns := only[*corev1.Namespace](t, ms, "gke/00-namespace.yaml")
	assert.Equal(t, namespace, ns.Name)
	for _, m := range ms {
		switch o := m.obj.(type) {
		case *corev1.Namespace, *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding:
		case metav1.Object:
			assert.Equal(t, namespace, o.GetNamespace(), "%s %s", m.file, o.GetName())
		}
	}

	sa := only[*corev1.ServiceAccount](t, ms, "gke/01-serviceaccount.yaml")
	assert.Equal(t, "exemplarlink-collector@YOUR_PROJECT_ID.iam.gserviceaccount.com", sa.Annotations[wiAnnotation])

	// RBAC: the collector's service account may read pods, services and
	// endpoints everywhere, and nothing else.
	role := only[*rbacv1.ClusterRole](t, ms, "gke/02-rbac.yaml")
	require.Len(t, role.Rules, 1)
	assert.Equal(t, []string{""}, role.Rules[0].APIGroups)
	assert.ElementsMatch(t, []string{"pods", "services", "endpoints"}, role.Rules[0].Resources)
	assert.ElementsMatch(t, []string{"get", "list", "watch"}, role.Rules[0].Verbs)
	binding := only[*rbacv1.ClusterRoleBinding](t, ms, "gke/02-rbac.yaml")
	assert.Equal(t, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name}, binding.RoleRef)
	assert.Equal(t, []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: namespace}}, binding.Subjects)

	// The Deployment: one replica, the service account, the ConfigMap's
	// config where --config looks, the image's user.
	dep := only[*appsv1.Deployment](t, ms, manifestDeploy)
	require.NotNil(t, dep.Spec.Replicas)
	assert.Equal(t, int32(1), *dep.Spec.Replicas, "more replicas would each scrape every pod")
	pod := dep.Spec.Template.Spec
	assert.Equal(t, sa.Name, pod.ServiceAccountName)
	assert.Equal(t, dep.Spec.Selector.MatchLabels, subset(dep.Spec.Template.Labels, dep.Spec.Selector.MatchLabels))
	require.NotNil(t, pod.SecurityContext)
	assert.Equal(t, ptr(true), pod.SecurityContext.RunAsNonRoot)
	assert.Equal(t, ptr(uid), pod.SecurityContext.RunAsUser)
	assert.Equal(t, ptr(gid), pod.SecurityContext.RunAsGroup)
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]
	require.Len(t, c.Args, 1)
	configPath, ok := strings.CutPrefix(c.Args[0], "--config=")
	require.True(t, ok, "args %v", c.Args)
	cm := only[*corev1.ConfigMap](t, ms, "gke/03-configmap.yaml")
	mounted := false
	for _, vm := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name != vm.Name || v.ConfigMap == nil || v.ConfigMap.Name != cm.Name {
				continue
			}
			for _, item := range v.ConfigMap.Items {
				if item.Key == configKey && filepath.Join(vm.MountPath, item.Path) == configPath {
					mounted = true
				}
			}
		}
	}
	assert.True(t, mounted, "--config=%s is not the ConfigMap's %s", configPath, configKey)
	assert.False(t, c.Resources.Requests.Cpu().IsZero(), "cpu request")
	assert.False(t, c.Resources.Requests.Memory().IsZero(), "memory request")
	assert.False(t, c.Resources.Limits.Memory().IsZero(), "memory limit")
	require.NotNil(t, c.SecurityContext)
	assert.Equal(t, ptr(false), c.SecurityContext.AllowPrivilegeEscalation)
	assert.Equal(t, ptr(true), c.SecurityContext.ReadOnlyRootFilesystem)

	// Ports: what the config listens on is what the container declares,
	// the probes ask health_check, and the Service forwards OTLP.
	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(configMapConfig(t, ms)), &cfg))
	assert.Equal(t, healthPort, endpointPort(t, cfg, "extensions", "health_check", "endpoint"))
	assert.Equal(t, otlpGRPCPort, endpointPort(t, cfg, "receivers", "otlp", "protocols", "grpc", "endpoint"))
	assert.Equal(t, otlpHTTPPort, endpointPort(t, cfg, "receivers", "otlp", "protocols", "http", "endpoint"))
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	assert.Equal(t, map[string]int32{"otlp-grpc": otlpGRPCPort, "otlp-http": otlpHTTPPort, "health": healthPort}, ports)
	for name, probe := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		require.NotNil(t, probe, name)
		require.NotNil(t, probe.HTTPGet, name)
		assert.Equal(t, int32(healthPort), ports[probe.HTTPGet.Port.String()], "%s probe port %s", name, probe.HTTPGet.Port.String())
	}
	svc := only[*corev1.Service](t, ms, "gke/05-service.yaml")
	assert.Equal(t, svc.Spec.Selector, subset(dep.Spec.Template.Labels, svc.Spec.Selector))
	svcPorts := map[int32]int32{}
	for _, p := range svc.Spec.Ports {
		svcPorts[p.Port] = ports[p.TargetPort.String()]
	}
	assert.Equal(t, map[int32]int32{otlpGRPCPort: otlpGRPCPort, otlpHTTPPort: otlpHTTPPort}, svcPorts)

	// Every ${env:NAME} of the config is set on the container.
	assert.Subset(t, envNames(c.Env), envRefs(configMapConfig(t, ms)))

	// The operator's collector: statefulset with the target allocator, the
	// same Workload Identity account, the image's user, the same config.
	cr := only[*OpenTelemetryCollector](t, ms, "operator/collector.yaml")
	assert.Equal(t, "statefulset", cr.Spec.Mode)
	assert.Equal(t, sa.Name, cr.Spec.ServiceAccount)
	assert.True(t, cr.Spec.TargetAllocator.Enabled)
	assert.Equal(t, "consistent-hashing", cr.Spec.TargetAllocator.AllocationStrategy)
	taSA := only[*corev1.ServiceAccount](t, ms, "operator/targetallocator-rbac.yaml")
	assert.Equal(t, taSA.Name, cr.Spec.TargetAllocator.ServiceAccount)
	taBinding := only[*rbacv1.ClusterRoleBinding](t, ms, "operator/targetallocator-rbac.yaml")
	assert.Equal(t, []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: taSA.Name, Namespace: namespace}}, taBinding.Subjects)
	assert.Equal(t, only[*rbacv1.ClusterRole](t, ms, "operator/targetallocator-rbac.yaml").Name, taBinding.RoleRef.Name)
	require.NotNil(t, cr.Spec.PodSecurityContext)
	assert.Equal(t, ptr(uid), cr.Spec.PodSecurityContext.RunAsUser)
	assert.Equal(t, ptr(true), cr.Spec.PodSecurityContext.RunAsNonRoot)
	assert.Subset(t, envNames(cr.Spec.Env), envRefs(operatorConfig(t, ms)))
	assert.Equal(t, c.Env, cr.Spec.Env, "the Deployment and the operator's collector set the same environment")
	var crCfg map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(operatorConfig(t, ms)), &crCfg))
	assert.Equal(t, cfg, crCfg, "deploy/operator/collector.yaml and deploy/gke/03-configmap.yaml carry different collector configurations")
}

func subset(labels, keys map[string]string) map[string]string {
	out := map[string]string{}
	for k := range keys {
		if v, ok := labels[k]; ok {
			out[k] = v
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// validate runs the collector's validate command on cfg. It creates every
// component of every pipeline but starts none: the Google exporters look
// for no credentials and nothing is contacted. The environment holds only
// what the config refers to, with dummy values.
func validate(t *testing.T, collector, cfg string) (string, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(file, []byte(cfg), 0o600))
	cmd := exec.CommandContext(t.Context(), collector, "validate", "--config="+file)
	cmd.Env = []string{
		"HOME=" + t.TempDir(),
		"MY_POD_IP=127.0.0.1",
		"K8S_NODE_NAME=validate-node",
		"GKE_CLUSTER_NAME=validate-only",
		"GKE_LOCATION=us-central1-a",
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The collector that `make collector` built validates every collector
// configuration the manifests carry. deploy.mk passes it in
// EXEMPLARLINK_COLLECTOR.
func TestCollectorValidatesEmbeddedConfigs(t *testing.T) {
	t.Parallel()
	collector := os.Getenv("EXEMPLARLINK_COLLECTOR")
	if collector == "" {
		t.Skip("EXEMPLARLINK_COLLECTOR is not set: run `make deploy-test` (it builds the collector)")
	}
	ms := loadManifests(t)
	for name, cfg := range map[string]string{
		"gke/03-configmap.yaml":   configMapConfig(t, ms),
		"operator/collector.yaml": operatorConfig(t, ms),
		nodeAgentConfigMap:        nodeAgentConfig(t, ms),
		nodeAgentOperator:         crConfig(t, ms, nodeAgentOperator),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := validate(t, collector, cfg)
			require.NoError(t, err, "%s validate:\n%s%s", collector, out, traceAwareHint(out))
		})
	}
	// validate must catch a mistake in the processor's own settings, or
	// passing proves little.
	t.Run("a wrong exemplar_link key fails", func(t *testing.T) {
		t.Parallel()
		cfg := configMapConfig(t, ms)
		broken := strings.Replace(cfg, "summary_interval:", "summary_intervall:", 1)
		require.NotEqual(t, cfg, broken)
		out, err := validate(t, collector, broken)
		require.Error(t, err)
		assert.Contains(t, out, "summary_intervall")
	})
	// The node agents' field selector, with the node's name from the
	// environment, is parsed too.
	t.Run("a malformed node selector fails", func(t *testing.T) {
		t.Parallel()
		cfg := nodeAgentConfig(t, ms)
		broken := strings.Replace(cfg, "field: spec.nodeName=", "field: spec.nodeName~", 1)
		require.NotEqual(t, cfg, broken)
		out, err := validate(t, collector, broken)
		require.Error(t, err)
		assert.Contains(t, out, "invalid selector: 'spec.nodeName~validate-node'")
	})
}

// traceAwareHint explains validate's refusal of the node agents' configs
// by a collector built before exemplar_link took a traces pipeline and
// span_index, so that the failure is not mistaken for a manifest's.
func traceAwareHint(out string) string {
	if strings.Contains(out, "invalid keys: span_index") ||
		strings.Contains(out, `"exemplar_link" processor, in pipeline "traces": telemetry type is not supported`) {
		return "\n(this collector's exemplar_link predates trace-aware linking: build it with the trace branch merged)"
	}
	return ""
}

// placeholders are what a user replaces before applying the manifests
// (deploy/README.md does it with sed).
var placeholders = []string{"YOUR_CLUSTER_LOCATION", "YOUR_CLUSTER_NAME", "YOUR_IMAGE", "YOUR_PROJECT_ID"}

func TestPlaceholders(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	var found []string
	for _, dir := range manifestDirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		require.NoError(t, err)
		for _, file := range files {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			for _, m := range regexp.MustCompile(`YOUR_[A-Z_]+`).FindAll(data, -1) {
				if !slices.Contains(found, string(m)) {
					found = append(found, string(m))
				}
			}
		}
	}
	slices.Sort(found)
	assert.Equal(t, placeholders, found, "placeholders in the manifests")
	for _, p := range placeholders {
		assert.Contains(t, string(readme), "s|"+p+"|", "README's sed command does not replace %s", p)
	}
}
