package linkplan

import (
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/cases"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/traceref"
)

// TestDecide runs every case of the shared table, the README's
// before/after and hostile-input rows among them, through Decide: the
// evidence is read from the case's labels as the processor's collect step
// does, and the plan is written into a copy of the case's exemplar as its
// apply step does.
func TestDecide(t *testing.T) {
	t.Parallel()
	for _, c := range cases.All() {
		reader, settings := fromConfig(c.Config)
		ev := evidence(t, reader, settings, c.In)
		var plan Plan
		Decide(&ev, settings, &plan)
		out := applyPlan(t, c.In, &ev, &plan)
		assert.Equal(t, c.Out, out, c.Name)
		assert.Equal(t, c.Outcome, outcomeString(plan.Outcome), c.Name)
	}
}

// TestDecideIsPure checks that Decide changes nothing it is given and
// that its plan depends on nothing else: on every case of the table it
// leaves the evidence as it was and decides the same plan twice, and that
// plan is not the zero Plan where the case has an outcome (a Decide that
// does nothing fails here, not only in TestDecide).
func TestDecideIsPure(t *testing.T) {
	t.Parallel()
	for _, c := range cases.All() {
		reader, settings := fromConfig(c.Config)
		ev := evidence(t, reader, settings, c.In)
		before := ev
		before.more = append([]Label(nil), ev.more...)
		var first, second Plan
		Decide(&ev, settings, &first)
		assert.Equal(t, before, ev, c.Name)
		Decide(&ev, settings, &second)
		assert.Equal(t, first, second, c.Name)
		if c.Outcome != "" {
			assert.NotEqual(t, Plan{}, first, "%s: a case with an outcome needs a plan", c.Name)
		}
	}
}

func fromConfig(c cases.Config) (*traceref.Reader, Settings) {
	return traceref.NewReader(traceref.Config{
			BuiltinNames:      !c.BuiltinNamesOff,
			TraceIDNames:      c.TraceIDLabels,
			SpanIDNames:       c.SpanIDLabels,
			TraceContextNames: c.TraceContextLabels,
			Pad64BitTraceIDs:  !c.NoPad64BitTraceIDs,
		}), Settings{
			OverwriteExistingIDs: c.OverwriteExistingIDs,
			TraceOnlyInField:     c.TraceOnlyInField,
			DetectIDsByValue:     c.DetectIDsByValue,
			LinkUnsampled:        c.LinkUnsampled,
		}
}

// evidence is the processor's collect step on a case's exemplar.
func evidence(t *testing.T, reader *traceref.Reader, s Settings, ex cases.Exemplar) Evidence {
	var ev Evidence
	ev.Reset(len(ex.Labels))
	ev.TraceID, ev.SpanID = traceID(t, ex.TraceID), spanID(t, ex.SpanID)
	for i, l := range ex.Labels {
		value, logged := l.Value, l.Value
		if l.Int {
			value, logged = "", "Int"
		}
		kind := reader.Kind(l.Key)
		if kind != traceref.NotReference {
			ref := ev.Next()
			*ref = Label{Index: i, Name: l.Key, Value: logged}
			reader.Decode(&ref.Ref, kind, value)
		} else if ref, ok := reader.DecodeByValue(value); ok && s.DetectIDsByValue {
			*ev.Next() = Label{Index: i, Name: l.Key, Value: logged, Ref: ref, ByValue: true}
		}
		if l.Key == LoneTraceIDKey {
			ev.HasLoneTraceIDKey = true
			reader.Decode(&ev.LoneTraceIDKeyRef, traceref.TraceIDLabel, value)
		}
		if l.Key == SpanIDKey {
			ev.HasSpanIDKey = true
			reader.Decode(&ev.SpanIDKeyRef, traceref.SpanIDLabel, value)
		}
	}
	return ev
}

// applyPlan is the processor's apply step on a copy of a case's exemplar.
func applyPlan(t *testing.T, in cases.Exemplar, ev *Evidence, plan *Plan) cases.Exemplar {
	out := cases.Exemplar{TraceID: in.TraceID, SpanID: in.SpanID}
	if plan.SetTraceID {
		out.TraceID = plan.TraceID.String()
	}
	if plan.SetSpanID {
		out.SpanID = plan.SpanID.String()
	}
	if plan.ClearTraceID {
		out.TraceID = ""
	}
	if plan.ClearSpanID {
		out.SpanID = ""
	}
	refs, next := ev.Refs(), 0
	for i, l := range in.Labels {
		if next < len(refs) && refs[next].Index == i {
			next++
			if plan.Removes(&refs[next-1]) {
				continue
			}
		}
		out.Labels = append(out.Labels, l)
	}
	if plan.WriteLoneTraceID {
		digits := hex.EncodeToString(plan.TraceID[:])
		written := false
		for i := range out.Labels {
			if out.Labels[i].Key == LoneTraceIDKey {
				out.Labels[i].Value, written = digits, true
			}
		}
		if !written {
			out.Labels = append(out.Labels, cases.L(LoneTraceIDKey, digits))
		}
	}
	if plan.WriteIDLabels {
		out.Labels = append(out.Labels,
			cases.L(LoneTraceIDKey, hex.EncodeToString(plan.TraceID[:])),
			cases.L(SpanIDKey, hex.EncodeToString(plan.SpanID[:])))
	}
	if plan.MoveValue {
		require.True(t, plan.Removes(&refs[plan.ValueFrom]), "ValueFrom names a label the plan keeps")
	}
	return out
}

func outcomeString(o Outcome) string {
	switch o.Result {
	case Linked:
		return "linked " + o.Source.String()
	case Unlinked:
		return "unlinked " + o.Reason.String()
	}
	return ""
}

func traceID(t *testing.T, s string) (id pcommon.TraceID) {
	decode(t, id[:], s)
	return id
}

func spanID(t *testing.T, s string) (id pcommon.SpanID) {
	decode(t, id[:], s)
	return id
}

func decode(t *testing.T, dst []byte, s string) {
	if s == "" {
		return
	}
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	require.Len(t, b, len(dst))
	copy(dst, b)
}

// TestEvidenceRefs checks that any number of reference labels is kept, in
// order, and that Reset empties them.
func TestEvidenceRefs(t *testing.T) {
	t.Parallel()
	var ev Evidence
	for _, n := range []int{0, 1, 8, 9, 100, 3} {
		ev.Reset(n)
		for i := range n {
			*ev.Next() = Label{Index: i}
		}
		refs := ev.Refs()
		require.Len(t, refs, n)
		for i := range refs {
			assert.Equal(t, i, refs[i].Index)
		}
	}
}

// TestUnlinkedNamesWhereTheIDCameFrom: an exemplar unlinked for a missing
// ID names the label at fault, or, without one, where the ID it has came
// from, so that the log's example_label says which label to fix.
func TestUnlinkedNamesWhereTheIDCameFrom(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		in                   cases.Exemplar
		config               cases.Config
		wantLabel, wantValue string
	}{
		{"trace ID label, no span", cases.Labels(cases.L("traceID", cases.T)), cases.Config{}, "traceID", cases.T},
		{"trace ID in the field (the receiver moved trace_id)", cases.Exemplar{TraceID: cases.T}, cases.Config{}, ExemplarFieldsLabel, ""},
		{"span ID label, no trace", cases.Labels(cases.L("spanID", cases.S)), cases.Config{}, "spanID", cases.S},
		{"an invalid span label is the fault", cases.Labels(cases.L("traceID", cases.T), cases.L("spanID", "xyz")), cases.Config{}, "spanID", "xyz"},
		{"by value, trace ID alone", cases.Labels(cases.L("request", cases.T)), cases.Config{DetectIDsByValue: true}, "request", cases.T},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reader, settings := fromConfig(tt.config)
			ev := evidence(t, reader, settings, tt.in)
			var plan Plan
			Decide(&ev, settings, &plan)
			require.Equal(t, Unlinked, plan.Outcome.Result)
			assert.Equal(t, tt.wantLabel, plan.Outcome.Label)
			assert.Equal(t, tt.wantValue, plan.Outcome.Value)
		})
	}
}

// TestRulesMatchREADME: Decide's doc comment and the README's "What it
// writes" list number the same rules, so that a rule added to one and not
// the other fails here.
func TestRulesMatchREADME(t *testing.T) {
	t.Parallel()
	numbered := func(text, itemPrefix string) []string {
		var nums []string
		for _, line := range strings.Split(text, "\n") {
			if m := regexp.MustCompile(`^` + itemPrefix + `(\d+)\. `).FindStringSubmatch(line); m != nil {
				nums = append(nums, m[1])
			}
		}
		return nums
	}
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	section := string(readme)
	start := strings.Index(section, "**What it writes:**")
	require.NotEqual(t, -1, start, "README has no \"What it writes\" list")
	section, _, _ = strings.Cut(section[start:], "\n### ")

	src, err := os.ReadFile("decide.go")
	require.NoError(t, err)
	doc := string(src)
	doc = doc[strings.Index(doc, "// Decide writes"):strings.Index(doc, "func Decide(")]

	inREADME, inCode := numbered(section, ""), numbered(doc, `//\s+`)
	require.NotEmpty(t, inCode)
	assert.Equal(t, inREADME, inCode, "rules numbered in README \"What it writes\" and in Decide's doc comment")
}
