package indicator_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/migrations"
)

// fact is one fake row: where and when it happened.
type fact struct {
	region string
	on     time.Time
	kind   string
	amount float64
}

var facts = []fact{
	{"500237100001", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), "coop", 10},
	{"500237100002", time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC), "farm", 20},
	{"500237101001", time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC), "coop", 30},
	{"500238100001", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), "coop", 40}, // another county
}

// fakeSource sums or counts facts under the prefix, in the period, of the filtered kind.
func fakeSource(key string, sum bool, calls *atomic.Int64) indicator.Func {
	return indicator.Func{K: key, N: "测试数据源 " + key, F: func(ctx context.Context, q indicator.Query) (float64, error) {
		if calls != nil {
			calls.Add(1)
		}
		var v float64
		for _, f := range facts {
			if !strings.HasPrefix(f.region, q.RegionPrefix) {
				continue
			}
			if (!q.From.IsZero() && f.on.Before(q.From)) || (!q.To.IsZero() && !f.on.Before(q.To)) {
				continue
			}
			if k := q.Filter["kind"]; k != "" && f.kind != k {
				continue
			}
			if sum {
				v += f.amount
			} else {
				v++
			}
		}
		return v, nil
	}}
}

func TestCompute(t *testing.T) {
	ctx := context.Background()
	reg := indicator.NewRegistry(fakeSource("count", false, nil), fakeSource("sum", true, nil))
	count := indicator.Indicator{Key: "n", Aggregation: indicator.AggValue, Source: "count"}
	cases := []struct {
		name   string
		x      indicator.Indicator
		region string
		p      indicator.Period
		want   float64
	}{
		{"county rolls up its townships", count, "500237000000", indicator.Period{}, 3},
		{"township", count, "500237100000", indicator.Period{}, 2},
		{"village", count, "500237101001", indicator.Period{}, 1},
		{"prefix as given", count, "500237", indicator.Period{}, 3},
		{"everywhere", count, "", indicator.Period{}, 4},
		{"year", count, "500237000000", indicator.Year(2024), 2},
		{"quarter", count, "500237000000", indicator.Quarter(2024, 3), 1},
		{"month", count, "500237000000", indicator.Month(2025, time.January), 1},
		{"filter", indicator.Indicator{Key: "c", Source: "count", Filter: map[string]string{"kind": "coop"}}, "500237000000", indicator.Period{}, 2},
		{"sum", indicator.Indicator{Key: "s", Source: "sum"}, "500237000000", indicator.Period{}, 60},
		// coops' share of all facts: 2 of 3 in the county
		{"ratio", indicator.Indicator{Key: "r", Aggregation: indicator.AggRatio, Source: "count", Denominator: "count", Filter: map[string]string{"kind": "coop"}}, "500237000000", indicator.Period{}, 100},
		{"ratio of two sources", indicator.Indicator{Key: "avg", Aggregation: indicator.AggRatio, Source: "sum", Denominator: "count"}, "500237000000", indicator.Period{}, 2000},
		{"ratio over nothing is 0", indicator.Indicator{Key: "z", Aggregation: indicator.AggRatio, Source: "sum", Denominator: "count"}, "500239000000", indicator.Period{}, 0},
	}
	for _, c := range cases {
		got, err := reg.Compute(ctx, c.x, []string{c.region}, c.p)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got[0] != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got[0], c.want)
		}
	}
	if _, err := reg.Compute(ctx, indicator.Indicator{Key: "x", Source: "nope"}, []string{""}, indicator.Period{}); !errors.Is(err, indicator.ErrNoSource) {
		t.Errorf("missing source: %v", err)
	}
	if err := reg.Register(fakeSource("count", false, nil)); err == nil {
		t.Error("duplicate source registered")
	}
}

// batchSource answers all regions in one call.
type batchSource struct {
	indicator.Func
	batches atomic.Int64
}

func (b *batchSource) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	b.batches.Add(1)
	out := make([]float64, len(prefixes))
	for i, p := range prefixes {
		qi := q
		qi.RegionPrefix = p
		v, err := b.F(ctx, qi)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func setup(t *testing.T, d *db.DB, reg *indicator.Registry) *indicator.Service {
	t.Helper()
	if err := d.Migrate(context.Background(), migrations.Platform, indicator.Migrations); err != nil {
		t.Fatal(err)
	}
	return indicator.NewService(d, reg)
}

var admin = &auth.Principal{UserID: 1, Username: "admin", Role: auth.CountyAdmin, Scopes: []string{"500237000000"}}

func TestServiceAndTargets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var perCell atomic.Int64
		bs := &batchSource{Func: fakeSource("batch", false, nil)}
		s := setup(t, d, indicator.NewRegistry(fakeSource("count", false, &perCell), fakeSource("sum", true, nil), bs))

		x, err := s.CreateIndicator(ctx, admin, indicator.Indicator{Key: "coops", Name: "合作社", Unit: "个", Source: "count", Filter: map[string]string{"kind": "coop"}})
		if err != nil {
			t.Fatal(err)
		}
		if x.Format != indicator.FormatInt || x.Aggregation != indicator.AggValue {
			t.Errorf("defaults: %+v", x)
		}
		if _, err := s.CreateIndicator(ctx, admin, indicator.Indicator{Key: "coops", Name: "重复", Unit: "个", Source: "count"}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("duplicate key: %v", err)
		}
		if _, err := s.CreateIndicator(ctx, admin, indicator.Indicator{Key: "bad", Name: "x", Unit: "斤", Source: "nope"}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("bad unit and source: %v", err)
		}
		viewer := &auth.Principal{Username: "v", Role: auth.Viewer, Scopes: admin.Scopes}
		if _, err := s.CreateIndicator(ctx, viewer, indicator.Indicator{Key: "v1", Name: "x", Unit: "个", Source: "count"}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("viewer creates: %v", err)
		}
		if _, err := s.CreateIndicator(ctx, admin, indicator.Indicator{Key: "all_facts", Name: "全部", Unit: "个", Source: "batch"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateIndicator(ctx, admin, indicator.Indicator{Key: "avg_amount", Name: "平均", Unit: "万元", Format: indicator.FormatDecimal, Aggregation: indicator.AggRatio, Source: "sum", Denominator: "count"}); err != nil {
			t.Fatal(err)
		}

		// targets: first-class, upserted, audited, in scope only
		if _, err := s.SetTarget(ctx, admin, indicator.Target{IndicatorKey: "coops", RegionCode: "500237000000", Year: 2027, Value: 100}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetTarget(ctx, admin, indicator.Target{IndicatorKey: "coops", RegionCode: "500237000000", Year: 2027, Value: 120}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetTarget(ctx, admin, indicator.Target{IndicatorKey: "coops", RegionCode: "500237100000", Year: 2024, Value: 5}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetTarget(ctx, admin, indicator.Target{IndicatorKey: "coops", RegionCode: "500238000000", Year: 2024, Value: 5}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("target out of scope: %v", err)
		}
		if _, err := s.SetTarget(ctx, admin, indicator.Target{IndicatorKey: "nope", RegionCode: "500237000000", Year: 2024, Value: 5}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("target of a missing indicator: %v", err)
		}
		tg, err := s.Targets(ctx, "coops", "500237000000")
		if err != nil || len(tg) != 1 || tg[2027] != 120 {
			t.Errorf("targets: %v %v", tg, err)
		}
		recs, _, err := audit.List(ctx, d, audit.Filter{PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		var creates, updates int
		for _, r := range recs {
			switch {
			case r.Entity == "indicator_target" && r.Action == "update":
				updates++
			case r.Entity == "indicator" || r.Entity == "indicator_target":
				creates++
			}
		}
		if creates != 5 || updates != 1 {
			t.Errorf("audit: %d creates, %d updates", creates, updates)
		}
		if _, err := audit.Verify(ctx, d); err != nil {
			t.Error(err)
		}

		// evaluation
		if v, err := s.Evaluate(ctx, "coops", "500237000000", indicator.Period{}); err != nil || v != 2 {
			t.Errorf("evaluate: %v %v", v, err)
		}
		if v, err := s.Evaluate(ctx, "avg_amount", "500237100000", indicator.Year(2024)); err != nil || v != 1500 {
			t.Errorf("evaluate ratio: %v %v", v, err)
		}
		regions := []string{"500237100000", "500237101000", "500238100000", "500239100000"}
		perCell.Store(0)
		cells, err := s.EvaluateMany(ctx, []string{"coops", "all_facts", "missing"}, regions, indicator.Period{})
		if err != nil {
			t.Fatal(err)
		}
		want := [][]float64{{1, 1, 1, 0}, {2, 1, 1, 0}}
		for i := range want {
			for j := range regions {
				if c := cells[i][j]; !c.Computed || c.Value != want[i][j] {
					t.Errorf("cell %d,%d: %+v, want %v", i, j, c, want[i][j])
				}
			}
		}
		if cells[2][0].Computed || cells[2][0].Err == nil {
			t.Errorf("missing indicator: %+v", cells[2][0])
		}
		if bs.batches.Load() != 1 || perCell.Load() != int64(len(regions)) {
			t.Errorf("batch source asked %d times, per-cell source %d times", bs.batches.Load(), perCell.Load())
		}
	})
}

func TestFormatValue(t *testing.T) {
	for _, c := range []struct {
		v            float64
		format, unit string
		want         string
	}{
		{1234567, indicator.FormatInt, "个", "1,234,567个"},
		{1.5e9, indicator.FormatYi, "元", "15亿元"},
		{29151000, indicator.FormatYi, "元", "0.29亿元"},
		{100000, indicator.FormatWan, "元", "10万元"},
		{76.923, indicator.FormatPercent, "%", "76.9%"},
		{1234.56, indicator.FormatDecimal, "亩次", "1,234.6亩次"},
	} {
		if got := indicator.FormatValue(c.v, c.format, c.unit); got != c.want {
			t.Errorf("%v %s: %q, want %q", c.v, c.format, got, c.want)
		}
	}
}
