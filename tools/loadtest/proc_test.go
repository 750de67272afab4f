package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCPUTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
		err        string
	}{
		{
			name: "collector",
			stat: "4242 (otelcol-exemplar) S 1 4242 4242 0 -1 4194560 12345 0 0 0 1234 567 0 0 20 0 14 0 99 2000000000 30000 18446744073709551615\n",
			want: 18010 * time.Millisecond,
		},
		{
			name: "name with spaces and parentheses",
			stat: "7 (a) b (c d) R 1 7 7 0 -1 0 0 0 0 0 250 50 0 0 20 0 1 0 1 0 0\n",
			want: 3 * time.Second,
		},
		{name: "no name", stat: "7 a R 1", err: "no ')'"},
		{name: "cut short", stat: "7 (a) R 1 7 7 0 -1 0 0 0 0 0 250", err: "12 fields after the command name, want at least 13"},
		{name: "not a number", stat: "7 (a) R 1 7 7 0 -1 0 0 0 0 0 x 50 0", err: "field 14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseCPUTime([]byte(tc.stat))
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseStatusKiB(t *testing.T) {
	t.Parallel()
	status := "Name:\totelcol\nVmPeak:\t 2000000 kB\nVmHWM:\t  156160 kB\nVmRSS:\t  150000 kB\n"
	got, err := parseStatusKiB([]byte(status), "VmHWM")
	require.NoError(t, err)
	assert.Equal(t, int64(156160), got)

	_, err = parseStatusKiB([]byte(status), "VmSwap")
	require.EqualError(t, err, "/proc status: no VmSwap line")
	_, err = parseStatusKiB([]byte("VmHWM:\t12 MB\n"), "VmHWM")
	require.EqualError(t, err, `/proc status VmHWM: "12 MB" is not in kB`)
}

// The real files parse: this process has used some CPU and memory.
func TestProcSelf(t *testing.T) {
	t.Parallel()
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	cpu, err := cpuTime("self")
	require.NoError(t, err)
	assert.Positive(t, cpu)
	rss, err := peakRSSMiB("self")
	require.NoError(t, err)
	assert.Positive(t, rss)
}
