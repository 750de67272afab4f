package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const (
	core    = "go.opentelemetry.io/collector/"
	contrib = "github.com/open-telemetry/opentelemetry-collector-contrib/"
	// stableOffset is how far core's 1.x minor trails the release's:
	// v0.165.0 is v1.71.0.
	stableOffset = 94
)

// releases is what release.mk names.
type releases struct {
	newest, min           string
	heldPath, heldVersion string
}

func (r releases) held() held { return held{r.heldPath, r.heldVersion} }

type held struct{ path, version string }

var releaseVar = regexp.MustCompile(`(?m)^(COLLECTOR_RELEASE|COLLECTOR_MIN_RELEASE|COLLECTOR_HELD)\s*:=\s*(\S*)\s*$`)

func readReleases(path string) (releases, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return releases{}, err
	}
	return parseReleases(string(raw))
}

func parseReleases(mk string) (releases, error) {
	var r releases
	for _, m := range releaseVar.FindAllStringSubmatch(mk, -1) {
		switch m[1] {
		case "COLLECTOR_RELEASE":
			r.newest = m[2]
		case "COLLECTOR_MIN_RELEASE":
			r.min = m[2]
		case "COLLECTOR_HELD":
			if m[2] != "" {
				path, version, ok := strings.Cut(m[2], "@")
				if !ok {
					return r, fmt.Errorf("release.mk: COLLECTOR_HELD %q is not path@version", m[2])
				}
				r.heldPath, r.heldVersion = path, version
			}
		}
	}
	for name, v := range map[string]string{"COLLECTOR_RELEASE": r.newest, "COLLECTOR_MIN_RELEASE": r.min} {
		if _, err := minor(v); err != nil {
			return r, fmt.Errorf("release.mk: %s: %w", name, err)
		}
	}
	return r, nil
}

// minor is 165 for v0.165.0.
func minor(release string) (int, error) {
	rest, ok := strings.CutPrefix(release, "v0.")
	n, _, _ := strings.Cut(rest, ".")
	m, err := strconv.Atoi(n)
	if !ok || err != nil || m < stableOffset {
		return 0, fmt.Errorf("%q is not a collector release v0.N.x", release)
	}
	return m, nil
}

// stable is the core 1.x version of a release: v1.71.0 for v0.165.0.
func stable(release string) (string, error) {
	m, err := minor(release)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("v1.%d.0", m-stableOffset), nil
}

// pickVersion chooses, among a module's versions (go list -m -versions
// output, the path first), the stable one of release if it exists, else
// release itself.
func pickVersion(versions []string, release string) (string, error) {
	s, err := stable(release)
	if err != nil {
		return "", err
	}
	if slices.Contains(versions, s) {
		return s, nil
	}
	return release, nil
}

// module is one line of go list's "path version" output.
type module struct{ path, version string }

// collectorModules keeps the distinct core and contrib modules of go
// list's "path version" lines, sorted.
func collectorModules(out string) []module {
	var mods []module
	for _, line := range strings.Split(out, "\n") {
		path, version, _ := strings.Cut(strings.TrimSpace(line), " ")
		if strings.HasPrefix(path, core) || strings.HasPrefix(path, contrib) {
			mods = append(mods, module{path, version})
		}
	}
	slices.SortFunc(mods, func(a, b module) int { return strings.Compare(a.path+" "+a.version, b.path+" "+b.version) })
	return slices.Compact(mods)
}

// offRelease lists each of mods that is not on want, for the module named
// name. A contrib module at the held version is tolerated where the held
// module itself is built.
func offRelease(name string, mods []module, want string, h held) ([]string, error) {
	m, err := minor(want)
	if err != nil {
		return nil, err
	}
	unstable, stablePrefix := fmt.Sprintf("v0.%d.", m), fmt.Sprintf("v1.%d.", m-stableOffset)
	buildsHeld := h.path != "" && slices.ContainsFunc(mods, func(x module) bool { return x.path == h.path })
	var bad []string
	for _, x := range mods {
		switch {
		case strings.HasPrefix(x.version, unstable), strings.HasPrefix(x.version, stablePrefix):
		case buildsHeld && strings.HasPrefix(x.path, contrib) && x.version == h.version:
		default:
			bad = append(bad, fmt.Sprintf("%s: %s %s (want %s)", name, x.path, x.version, want))
		}
	}
	return bad, nil
}

var manifestLine = regexp.MustCompile(`(?m)^(\s*- gomod: )((?:` + regexp.QuoteMeta(core) + `|` + regexp.QuoteMeta(contrib) + `)\S+) (v\d+\.\d+\.\d+)`)

// manifestOffRelease lists each core or contrib line of builder-config.yaml
// not on release.
func manifestOffRelease(manifest, release string) []string {
	var bad []string
	sc := bufio.NewScanner(strings.NewReader(manifest))
	for sc.Scan() {
		if m := manifestLine.FindStringSubmatch(sc.Text()); m != nil && m[3] != release {
			bad = append(bad, fmt.Sprintf("builder-config.yaml: %s %s (want %s)", m[2], m[3], release))
		}
	}
	return bad
}

// moveManifest puts every core and contrib line of builder-config.yaml on
// release (core's stable modules are not named there).
func moveManifest(manifest, release string) string {
	return manifestLine.ReplaceAllString(manifest, "${1}${2} "+release)
}
