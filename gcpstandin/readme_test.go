package gcpstandin

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeStandin keeps the README's stand-in text in step with the
// code: its example ports stay clear of a collector's OTLP defaults, and
// it states the caps' defaults.
func TestReadmeStandin(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	addrs := regexp.MustCompile(`gcp-standin\s+-addr\s+(\S+)\s+-console\s+(\S+)`).FindAllStringSubmatch(readme, -1)
	if len(addrs) == 0 {
		t.Fatal("README: no `gcp-standin -addr ... -console ...` example")
	}
	for _, m := range addrs {
		for _, addr := range m[1:] {
			if strings.HasSuffix(addr, ":4317") || strings.HasSuffix(addr, ":4318") {
				t.Errorf("README: the stand-in example listens on %s, a collector's default OTLP port", addr)
			}
		}
	}
	for _, want := range []string{"200,000 points in 128 MiB", "100,000 spans in\n64 MiB", "Points must be written\nin order"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README does not say %q", want)
		}
	}
	if DefaultMaxPoints != 200_000 || DefaultMaxPointBytes != 128<<20 || DefaultMaxSpans != 100_000 || DefaultMaxSpanBytes != 64<<20 {
		t.Error("the defaults changed: update the README's stand-in text and this test")
	}
}
