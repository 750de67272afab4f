package benchdata

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

const (
	start = pcommon.Timestamp(1_000)
	end   = pcommon.Timestamp(2_000)
)

// everyType returns one metric of each type, one data point each, starting
// at start and ending at end; the types that carry exemplars have one
// exemplar on it.
func everyType(end pcommon.Timestamp) pmetric.Metrics {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	stamp := func(dp interface {
		SetStartTimestamp(pcommon.Timestamp)
		SetTimestamp(pcommon.Timestamp)
	},
	) {
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(end)
	}
	h := ms.AppendEmpty().SetEmptyHistogram().DataPoints().AppendEmpty()
	stamp(h)
	h.Exemplars().AppendEmpty()
	e := ms.AppendEmpty().SetEmptyExponentialHistogram().DataPoints().AppendEmpty()
	stamp(e)
	e.Exemplars().AppendEmpty()
	s := ms.AppendEmpty().SetEmptySum().DataPoints().AppendEmpty()
	stamp(s)
	s.Exemplars().AppendEmpty()
	g := ms.AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty()
	stamp(g)
	g.Exemplars().AppendEmpty()
	stamp(ms.AppendEmpty().SetEmptySummary().DataPoints().AppendEmpty())
	ms.AppendEmpty() // MetricTypeEmpty
	return md
}

func TestExemplarsCountsEveryType(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 4, Exemplars(everyType(end)))
}

func TestShiftTimesMovesEveryPointsEnd(t *testing.T) {
	t.Parallel()
	md := everyType(end)
	shiftTimes(md, 3*time.Second)
	var m pmetric.JSONMarshaler
	want, err := m.MarshalMetrics(everyType(end + pcommon.Timestamp(3*time.Second)))
	require.NoError(t, err)
	got, err := m.MarshalMetrics(md)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}
