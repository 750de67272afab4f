package deploy

import (
	"maps"
	"os"
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
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// The node-agent topology: deploy/node-agent/ (a DaemonSet) and
// deploy/operator/node-agent/ (the operator's daemonset mode with the
// per-node target allocator).
const (
	nodeAgentRBAC      = "node-agent/01-rbac.yaml"
	nodeAgentConfigMap = "node-agent/02-configmap.yaml"
	nodeAgentDaemonSet = "node-agent/03-daemonset.yaml"
	nodeAgentOperator  = "operator/node-agent/collector.yaml"
	// exampleApp is not applied with the rest: users copy from it.
	exampleApp = "node-agent/example-app/deployment.yaml"

	nodeNameEnv = "K8S_NODE_NAME"
	// nodeSelector limits pod discovery to the agent's node.
	nodeSelector = "spec.nodeName=${env:" + nodeNameEnv + "}"
)

// nodeAgentConfig is the collector configuration of the node agents'
// ConfigMap.
func nodeAgentConfig(t *testing.T, ms []manifest) string {
	t.Helper()
	cm := only[*corev1.ConfigMap](t, ms, nodeAgentConfigMap)
	cfg, ok := cm.Data[configKey]
	require.True(t, ok, "ConfigMap %s has no %s", cm.Name, configKey)
	return cfg
}

func parseConfig(t *testing.T, cfg string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(cfg), &m))
	return m
}

// at walks cfg along keys (map keys, or list indexes as numbers).
func at(t *testing.T, cfg any, keys ...string) any {
	t.Helper()
	v := cfg
	for i, k := range keys {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			v, ok = c[k]
			require.True(t, ok, "%v: no %q", keys[:i+1], k)
		case []any:
			n, err := strconv.Atoi(k)
			require.NoError(t, err, "%v: %q indexes a list", keys[:i+1], k)
			require.Less(t, n, len(c), "%v", keys[:i+1])
			v = c[n]
		default:
			require.Failf(t, "not a map or list", "%v: %T", keys[:i], v)
		}
	}
	return v
}

func stringList(t *testing.T, v any) []string {
	t.Helper()
	l, ok := v.([]any)
	require.True(t, ok, "%v is not a list", v)
	var out []string
	for _, e := range l {
		s, ok := e.(string)
		require.True(t, ok, "%v is not a string", e)
		out = append(out, s)
	}
	return out
}

// scrapeSDConfigs lists every kubernetes_sd_configs entry of the
// prometheus receiver's scrape configs.
func scrapeSDConfigs(t *testing.T, cfg map[string]any) []map[string]any {
	t.Helper()
	var out []map[string]any
	jobs, ok := at(t, cfg, "receivers", "prometheus", "config", "scrape_configs").([]any)
	require.True(t, ok)
	require.NotEmpty(t, jobs)
	for _, j := range jobs {
		sds, ok := j.(map[string]any)["kubernetes_sd_configs"].([]any)
		require.True(t, ok, "job %v has no kubernetes_sd_configs", j)
		for _, sd := range sds {
			out = append(out, sd.(map[string]any))
		}
	}
	return out
}

// dropNodeSelectors returns cfg without the selectors of its
// kubernetes_sd_configs (a deep copy: cfg is left as it is).
func dropNodeSelectors(t *testing.T, cfg map[string]any) map[string]any {
	t.Helper()
	out, err := yaml.Marshal(cfg)
	require.NoError(t, err)
	c := parseConfig(t, string(out))
	for _, sd := range scrapeSDConfigs(t, c) {
		delete(sd, "selectors")
	}
	return c
}

// checkLinkPipelines checks where exemplar_link sits: the same component
// ID in the metrics and the traces pipeline (one span index between them),
// memory_limiter first, and nothing but batch between it and the exporter,
// so that the span index holds what is exported.
func checkLinkPipelines(t *testing.T, cfg map[string]any) {
	t.Helper()
	for pipeline, exporter := range map[string]string{"metrics": "googlemanagedprometheus", "traces": "googlecloud"} {
		procs := stringList(t, at(t, cfg, "service", "pipelines", pipeline, "processors"))
		require.NotEmpty(t, procs, pipeline)
		assert.Equal(t, "memory_limiter", procs[0], "%s: memory_limiter comes first", pipeline)
		i := slices.Index(procs, "exemplar_link")
		require.GreaterOrEqual(t, i, 0, "%s pipeline %v has no exemplar_link", pipeline, procs)
		assert.Equal(t, []string{"batch"}, procs[i+1:], "%s: only batch between exemplar_link and the exporter", pipeline)
		assert.Equal(t, []string{exporter}, stringList(t, at(t, cfg, "service", "pipelines", pipeline, "exporters")), pipeline)
	}
}

// hostPorts maps a container's port names to their host ports.
func hostPorts(c corev1.Container) map[string]int32 {
	out := map[string]int32{}
	for _, p := range c.Ports {
		if p.HostPort != 0 {
			out[p.Name] = p.HostPort
		}
	}
	return out
}

func envVar(env []corev1.EnvVar, name string) (corev1.EnvVar, int) {
	for i, e := range env {
		if e.Name == name {
			return e, i
		}
	}
	return corev1.EnvVar{}, -1
}

func fieldRef(e corev1.EnvVar) string {
	if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil {
		return ""
	}
	return e.ValueFrom.FieldRef.FieldPath
}

func TestNodeAgentFitsTogether(t *testing.T) {
	t.Parallel()
	ms := loadManifests(t)
	uid, gid := imageUser(t)
	sa := only[*corev1.ServiceAccount](t, ms, "gke/01-serviceaccount.yaml")

	// RBAC: the agents (deploy/gke/'s Workload Identity account) may read
	// pods, and nothing else.
	role := only[*rbacv1.ClusterRole](t, ms, nodeAgentRBAC)
	require.Len(t, role.Rules, 1)
	assert.Equal(t, []string{""}, role.Rules[0].APIGroups)
	assert.Equal(t, []string{"pods"}, role.Rules[0].Resources)
	assert.ElementsMatch(t, []string{"get", "list", "watch"}, role.Rules[0].Verbs)
	binding := only[*rbacv1.ClusterRoleBinding](t, ms, nodeAgentRBAC)
	assert.Equal(t, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name}, binding.RoleRef)
	assert.Equal(t, []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: namespace}}, binding.Subjects)
	assert.NotEqual(t, only[*rbacv1.ClusterRole](t, ms, "gke/02-rbac.yaml").Name, role.Name, "one ClusterRole would overwrite the other")

	// The DaemonSet: the service account, the ConfigMap's config where
	// --config looks, the image's user.
	ds := only[*appsv1.DaemonSet](t, ms, nodeAgentDaemonSet)
	require.NotNil(t, ds.Spec.Selector)
	assert.Equal(t, ds.Spec.Selector.MatchLabels, subset(ds.Spec.Template.Labels, ds.Spec.Selector.MatchLabels))
	require.NotNil(t, ds.Spec.UpdateStrategy.RollingUpdate)
	assert.Equal(t, ptr(intstr.FromInt32(0)), ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge,
		"a surge pod could not bind the hostPorts, and would scrape the node's pods a second time")
	pod := ds.Spec.Template.Spec
	assert.Equal(t, sa.Name, pod.ServiceAccountName)
	assert.False(t, pod.HostNetwork, "hostPort forwards OTLP; the pod needs no host network")
	require.NotNil(t, pod.SecurityContext)
	assert.Equal(t, ptr(true), pod.SecurityContext.RunAsNonRoot)
	assert.Equal(t, ptr(uid), pod.SecurityContext.RunAsUser)
	assert.Equal(t, ptr(gid), pod.SecurityContext.RunAsGroup)
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]
	require.Len(t, c.Args, 1)
	configPath, ok := strings.CutPrefix(c.Args[0], "--config=")
	require.True(t, ok, "args %v", c.Args)
	cm := only[*corev1.ConfigMap](t, ms, nodeAgentConfigMap)
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
	assert.True(t, mounted, "--config=%s is not the ConfigMap %s's %s", configPath, cm.Name, configKey)
	assert.False(t, c.Resources.Requests.Cpu().IsZero(), "cpu request")
	assert.False(t, c.Resources.Requests.Memory().IsZero(), "memory request")
	assert.False(t, c.Resources.Limits.Memory().IsZero(), "memory limit")
	require.NotNil(t, c.SecurityContext)
	assert.Equal(t, ptr(false), c.SecurityContext.AllowPrivilegeEscalation)
	assert.Equal(t, ptr(true), c.SecurityContext.ReadOnlyRootFilesystem)

	// Ports: OTLP is on the node's ports, the same numbers as the
	// receiver's; health_check only on the pod, for the probes.
	cfg := parseConfig(t, nodeAgentConfig(t, ms))
	assert.Equal(t, healthPort, endpointPort(t, cfg, "extensions", "health_check", "endpoint"))
	grpcPort := endpointPort(t, cfg, "receivers", "otlp", "protocols", "grpc", "endpoint")
	httpPort := endpointPort(t, cfg, "receivers", "otlp", "protocols", "http", "endpoint")
	assert.Equal(t, otlpGRPCPort, grpcPort)
	assert.Equal(t, otlpHTTPPort, httpPort)
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	assert.Equal(t, map[string]int32{"otlp-grpc": int32(grpcPort), "otlp-http": int32(httpPort), "health": healthPort}, ports)
	assert.Equal(t, map[string]int32{"otlp-grpc": int32(grpcPort), "otlp-http": int32(httpPort)}, hostPorts(c))
	for name, probe := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		require.NotNil(t, probe, name)
		require.NotNil(t, probe.HTTPGet, name)
		assert.Equal(t, int32(healthPort), ports[probe.HTTPGet.Port.String()], "%s probe port %s", name, probe.HTTPGet.Port.String())
	}

	// The environment: every ${env:NAME} is set; the node's name and the
	// pod's IP come from the downward API.
	assert.Subset(t, envNames(c.Env), envRefs(nodeAgentConfig(t, ms)))
	assert.Contains(t, envRefs(nodeAgentConfig(t, ms)), nodeNameEnv)
	nodeName, _ := envVar(c.Env, nodeNameEnv)
	assert.Equal(t, "spec.nodeName", fieldRef(nodeName))
	podIP, _ := envVar(c.Env, "MY_POD_IP")
	assert.Equal(t, "status.podIP", fieldRef(podIP))

	// Discovery: every kubernetes_sd_configs entry finds only the pods of
	// the agent's node.
	for _, sd := range scrapeSDConfigs(t, cfg) {
		assert.Equal(t, "pod", sd["role"])
		assert.Equal(t, []any{map[string]any{"role": "pod", "field": nodeSelector}}, sd["selectors"], "kubernetes_sd_configs %v", sd)
	}
	checkLinkPipelines(t, cfg)
	si, ok := at(t, cfg, "processors", "exemplar_link", "span_index").(map[string]any)
	require.True(t, ok)
	assert.ElementsMatch(t, []string{"max_spans", "max_age", "max_resolutions"}, slices.Collect(maps.Keys(si)), "span_index is spelled out, as the memory to budget per node")

	// Apart from the node, the same collector as deploy/gke/: its config
	// plus the node selector, exemplar_link in the traces pipeline and its
	// span_index.
	gke := parseConfig(t, configMapConfig(t, ms))
	want := dropNodeSelectors(t, cfg)
	delete(at(t, want, "processors", "exemplar_link").(map[string]any), "span_index")
	traces := at(t, want, "service", "pipelines", "traces").(map[string]any)
	traces["processors"] = slices.DeleteFunc(traces["processors"].([]any), func(p any) bool { return p == "exemplar_link" })
	assert.Equal(t, want, gke, "%s is no longer %s's config with the node-agent changes", nodeAgentConfigMap, "gke/03-configmap.yaml")
	assert.Equal(t, only[*appsv1.Deployment](t, ms, manifestDeploy).Spec.Template.Spec.Containers[0].Env,
		slices.DeleteFunc(slices.Clone(c.Env), func(e corev1.EnvVar) bool { return e.Name == nodeNameEnv }),
		"the DaemonSet and deploy/gke/'s Deployment set the same environment, apart from the node's name")

	// The operator's node agents: daemonset mode, the per-node target
	// allocator, the node's OTLP ports, the same config without the
	// selector (the target allocator hands each agent its node's pods).
	cr := only[*OpenTelemetryCollector](t, ms, nodeAgentOperator)
	assert.Equal(t, "daemonset", cr.Spec.Mode)
	assert.Nil(t, cr.Spec.Replicas, "a daemonset has no replica count")
	assert.Equal(t, sa.Name, cr.Spec.ServiceAccount)
	assert.True(t, cr.Spec.TargetAllocator.Enabled)
	assert.Equal(t, "per-node", cr.Spec.TargetAllocator.AllocationStrategy)
	assert.Equal(t, only[*corev1.ServiceAccount](t, ms, "operator/targetallocator-rbac.yaml").Name, cr.Spec.TargetAllocator.ServiceAccount)
	crPorts := map[string]int32{}
	for _, p := range cr.Spec.Ports {
		assert.Equal(t, p.Port, p.HostPort, "port %s: the node forwards the same port number", p.Name)
		crPorts[p.Name] = p.HostPort
	}
	assert.Equal(t, hostPorts(c), crPorts)
	require.NotNil(t, cr.Spec.PodSecurityContext)
	assert.Equal(t, ptr(uid), cr.Spec.PodSecurityContext.RunAsUser)
	assert.Equal(t, ptr(true), cr.Spec.PodSecurityContext.RunAsNonRoot)
	crCfg := parseConfig(t, crConfig(t, ms, nodeAgentOperator))
	assert.Subset(t, envNames(cr.Spec.Env), envRefs(crConfig(t, ms, nodeAgentOperator)))
	assert.Equal(t, slices.DeleteFunc(slices.Clone(c.Env), func(e corev1.EnvVar) bool { return e.Name == nodeNameEnv }), cr.Spec.Env,
		"the operator's agents set the DaemonSet's environment, apart from the node's name")
	for _, sd := range scrapeSDConfigs(t, crCfg) {
		assert.NotContains(t, sd, "selectors", "the target allocator discovers the targets, without the agent's environment")
	}
	checkLinkPipelines(t, crCfg)
	assert.Equal(t, dropNodeSelectors(t, cfg), crCfg, "%s and %s carry different collector configurations", nodeAgentOperator, nodeAgentConfigMap)
}

// The example app finds its node's agent through the downward API.
func TestExampleAppFindsNodeAgent(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(exampleApp)
	require.NoError(t, err)
	docs, err := splitDocs(data)
	require.NoError(t, err)
	require.Len(t, docs, 1)
	obj, err := decodeDoc(docs[0])
	require.NoError(t, err, exampleApp)
	dep, ok := obj.(*appsv1.Deployment)
	require.True(t, ok, "%s holds a %T", exampleApp, obj)
	require.Len(t, dep.Spec.Template.Spec.Containers, 1)
	c := dep.Spec.Template.Spec.Containers[0]

	ds := only[*appsv1.DaemonSet](t, loadManifests(t), nodeAgentDaemonSet)
	agentPorts := hostPorts(ds.Spec.Template.Spec.Containers[0])

	// $(NODE_IP) expands only when NODE_IP is defined before the variable
	// that uses it.
	nodeIP, nodeIPAt := envVar(c.Env, "NODE_IP")
	require.GreaterOrEqual(t, nodeIPAt, 0, "no NODE_IP")
	assert.Equal(t, "status.hostIP", fieldRef(nodeIP))
	endpoint, endpointAt := envVar(c.Env, "OTEL_EXPORTER_OTLP_ENDPOINT")
	require.Greater(t, endpointAt, nodeIPAt, "OTEL_EXPORTER_OTLP_ENDPOINT must come after NODE_IP")
	m := regexp.MustCompile(`^http://\$\(NODE_IP\):(\d+)$`).FindStringSubmatch(endpoint.Value)
	require.NotNil(t, m, "OTEL_EXPORTER_OTLP_ENDPOINT = %q", endpoint.Value)
	protocol, _ := envVar(c.Env, "OTEL_EXPORTER_OTLP_PROTOCOL")
	portName := map[string]string{"grpc": "otlp-grpc", "http/protobuf": "otlp-http"}[protocol.Value]
	require.NotEmpty(t, portName, "OTEL_EXPORTER_OTLP_PROTOCOL = %q", protocol.Value)
	assert.Equal(t, strconv.Itoa(int(agentPorts[portName])), m[1], "the agent's %s hostPort", portName)

	// The agent scrapes it.
	ann := dep.Spec.Template.Annotations
	assert.Equal(t, "true", ann["prometheus.io/scrape"])
	var declared []string
	for _, p := range c.Ports {
		declared = append(declared, strconv.Itoa(int(p.ContainerPort)))
	}
	assert.Contains(t, declared, ann["prometheus.io/port"])
}
