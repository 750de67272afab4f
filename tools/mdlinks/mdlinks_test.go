package mdlinks

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	// link is an inline Markdown link or image: [text](target "title").
	link = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// refDef is a reference definition: [name]: target.
	refDef     = regexp.MustCompile(`(?m)^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s+.*)?$`)
	heading    = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	htmlAnchor = regexp.MustCompile(`<a\s+(?:name|id)="([^"]+)"`)
	inlineCode = regexp.MustCompile("`[^`]*`")
	fence      = regexp.MustCompile("^\\s*(```|~~~)")
)

// TestLinksResolve checks every tracked Markdown file: each relative link
// names a file or directory that exists, and each #anchor a heading (or an
// <a id>) of the file it points into.
func TestLinksResolve(t *testing.T) {
	t.Parallel()
	root, files := markdownFiles(t)
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		anchors[path] = anchorSet(string(raw))
		return anchors[path]
	}
	checked := 0
	for _, file := range files {
		path := filepath.Join(root, file)
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, target := range linkTargets(string(raw)) {
			if isExternal(target) {
				continue
			}
			checked++
			dest, anchor, _ := strings.Cut(target, "#")
			destPath := path
			if dest != "" {
				destPath = filepath.Join(filepath.Dir(path), filepath.FromSlash(dest))
				if _, err := os.Stat(destPath); err != nil {
					assert.Failf(t, "broken link", "%s: %s: no such file", file, target)
					continue
				}
			}
			if anchor == "" {
				continue
			}
			if !strings.HasSuffix(destPath, ".md") {
				continue // a line anchor into a source file: GitHub's, not ours
			}
			assert.True(t, anchorsOf(destPath)[anchor], "%s: %s: no heading makes #%s", file, target, anchor)
		}
	}
	assert.Positive(t, checked, "no relative link was checked")
}

func markdownFiles(t *testing.T) (root string, files []string) {
	t.Helper()
	return trackedFiles(t, "*.md")
}

// trackedFiles lists the repository's files that match patterns (git's
// pathspecs), tracked or new but not ignored, and present in the work tree.
func trackedFiles(t *testing.T, patterns ...string) (root string, files []string) {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	require.NoError(t, err)
	root = strings.TrimSpace(string(out))
	cmd := exec.Command("git", append([]string{"ls-files", "--cached", "--others", "--exclude-standard"}, patterns...)...)
	cmd.Dir = root
	out, err = cmd.Output()
	require.NoError(t, err)
	for _, f := range strings.Fields(string(out)) {
		if _, err := os.Stat(filepath.Join(root, f)); err == nil {
			files = append(files, f)
		}
	}
	require.NotEmpty(t, files)
	return root, files
}

func isExternal(target string) bool {
	for _, scheme := range []string{"http://", "https://", "mailto:"} {
		if strings.HasPrefix(target, scheme) {
			return true
		}
	}
	return false
}

// linkTargets lists the link targets of a Markdown text outside code
// blocks and code spans.
func linkTargets(md string) []string {
	var targets []string
	inFence := false
	for _, line := range strings.Split(md, "\n") {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		line = inlineCode.ReplaceAllString(line, "")
		for _, m := range link.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
		}
		for _, m := range refDef.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
		}
	}
	return targets
}

// anchorSet is every anchor a Markdown text defines: GitHub's slug of each
// heading (numbered -1, -2 ... when repeated) and every <a name|id>.
func anchorSet(md string) map[string]bool {
	set := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for _, line := range strings.Split(md, "\n") {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			set[m[1]] = true
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := Slug(m[2])
		if n := seen[slug]; n > 0 {
			set[slug+"-"+strconv.Itoa(n)] = true
		} else {
			set[slug] = true
		}
		seen[slug]++
	}
	return set
}

var linkText = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// Slug is GitHub's anchor for a heading: the text of its links, lower
// case, without punctuation but - and _, spaces as -.
func Slug(heading string) string {
	heading = linkText.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 127 && isLetter(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isLetter(r rune) bool { return strings.ToLower(string(r)) != strings.ToUpper(string(r)) }

func TestSlug(t *testing.T) {
	t.Parallel()
	for heading, want := range map[string]string{
		"Quick start":                          "quick-start",
		"See it as Cloud Monitoring would":     "see-it-as-cloud-monitoring-would",
		"Prometheus, Mimir and Grafana":        "prometheus-mimir-and-grafana",
		"`make demo` and `DEMO_VIEW`":          "make-demo-and-demo_view",
		"Trace-aware linking (1 of 3)":         "trace-aware-linking-1-of-3",
		"What it replaces: [OTTL](bench/x.md)": "what-it-replaces-ottl",
	} {
		assert.Equal(t, want, Slug(heading), heading)
	}
	assert.Equal(t, map[string]bool{"a": true, "a-1": true, "b": true, "top": true},
		anchorSet("# A\n<a id=\"top\"></a>\n## A\n```\n# not a heading\n```\n### B\n"))
}
