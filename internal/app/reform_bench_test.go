package app_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"nongfu/internal/app"
	"nongfu/internal/demo"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/reform"
)

// TestDashboardSpeed measures the 驾驶舱's table — every plan KPI × the 26 townships of the demo county — on a
// province-scale demo database (巫山县 and 37 other counties), naive (every cell recomputed from the rooms'
// sources) beside cached (rollups kept until the audit head moves), and the whole 驾驶舱 (cards, 12-month trend,
// table, map). It is a benchmark that prints its figures, run on demand:
//
//	NONGFU_BENCH_DASHBOARD=37 go test ./internal/app -run TestDashboardSpeed -v -timeout 60m
//
// (the value is the number of extra counties; NONGFU_BENCH_HOUSEHOLDS sets households per county, default 2000).
func TestDashboardSpeed(t *testing.T) {
	counties, err := strconv.Atoi(os.Getenv("NONGFU_BENCH_DASHBOARD"))
	if err != nil {
		t.Skip("set NONGFU_BENCH_DASHBOARD=37 to measure the dashboard on a province-scale demo")
	}
	households := 2000
	if h, _ := strconv.Atoi(os.Getenv("NONGFU_BENCH_HOUSEHOLDS")); h > 0 {
		households = h
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		start := time.Now()
		a, err := app.New(ctx, d, app.Config{KeyFile: filepath.Join(t.TempDir(), "k.key"), Demo: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		res, err := demo.Load(ctx, a.DB, a.Regions, a.Registry, a.Auth, demo.Options{Households: households, Counties: counties, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.AfterDemo(ctx, res); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: demo of %d counties, %d subjects loaded in %s", d.Engine(), len(res.Counties), res.Subjects, time.Since(start).Round(time.Second))
		county := res.County
		if len(county) == 6 {
			county += "000000"
		}
		towns := a.Regions.Children(county)
		codes := make([]string, len(towns))
		for i, c := range towns {
			codes[i] = c.Code
		}
		// two indicators staff configured, as the dashboard will carry: 20 in all
		cfg := &auth.Principal{Username: "bench", Role: auth.CountyAdmin, Scopes: []string{county}}
		for _, x := range []indicator.Indicator{
			{Key: "citrus_coops", Name: "柑橘合作社", Unit: "家", Source: "registry.subjects", Filter: map[string]string{"kind": "cooperative", "industry": "柑橘"}},
			{Key: "member_share", Name: "会员占主体比例", Unit: "%", Aggregation: indicator.AggRatio, Source: "federation.members", Denominator: "registry.subjects"},
		} {
			if _, err := a.Indicators.CreateIndicator(ctx, cfg, x); err != nil {
				t.Fatal(err)
			}
		}
		inds, err := a.Indicators.ListIndicators(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, x := range inds {
			keys = append(keys, x.Key)
		}
		keys = keys[:min(20, len(keys))]
		timeIt := func(n int, f func() error) (p50, max time.Duration) {
			var ds []time.Duration
			for range n {
				s := time.Now()
				if err := f(); err != nil {
					t.Fatal(err)
				}
				ds = append(ds, time.Since(s))
			}
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			return ds[len(ds)/2], ds[len(ds)-1]
		}
		naive50, naiveMax := timeIt(5, func() error {
			_, err := a.Indicators.EvaluateManyUncached(ctx, keys, codes, indicator.Period{})
			return err
		})
		a.Indicators.InvalidateCache()
		coldStart := time.Now()
		if _, err := a.Indicators.EvaluateMany(ctx, keys, codes, indicator.Period{}); err != nil {
			t.Fatal(err)
		}
		cold := time.Since(coldStart)
		warm50, warmMax := timeIt(20, func() error {
			_, err := a.Indicators.EvaluateMany(ctx, keys, codes, indicator.Period{})
			return err
		})
		// after a write: the cells of the sources that read the written entity are recomputed, the others kept
		afterWrite := func(entity string) (p50, max time.Duration) {
			return timeIt(5, func() error {
				if err := a.DB.InTx(ctx, func(tx *db.Tx) error {
					return audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "update", Entity: entity, Summary: "基准测试：模拟一次写入"})
				}); err != nil {
					return err
				}
				_, err := a.Indicators.EvaluateMany(ctx, keys, codes, indicator.Period{})
				return err
			})
		}
		subj50, subjMax := afterWrite("subject")
		base50, baseMax := afterWrite("digital_base")
		t.Logf("%s: %d KPIs × %d townships after a write: to a subject p50 %s max %s | to a base p50 %s max %s",
			d.Engine(), len(keys), len(codes), ms(subj50), ms(subjMax), ms(base50), ms(baseMax))
		admin := &auth.Principal{Username: "bench", Role: auth.CountyAdmin, Scopes: []string{county}}
		var d0 reform.Dashboard
		a.Indicators.InvalidateCache()
		dashCold, _ := timeIt(1, func() error { d0, err = a.Plan.Dashboard(ctx, admin, county, ""); return err })
		dash50, dashMax := timeIt(10, func() error { _, err := a.Plan.Dashboard(ctx, admin, county, ""); return err })
		// where the naive time goes: each KPI alone over the townships
		type cost struct {
			key string
			d   time.Duration
		}
		var costs []cost
		for _, k := range keys {
			st := time.Now()
			if _, err := a.Indicators.EvaluateManyUncached(ctx, []string{k}, codes, indicator.Period{}); err != nil {
				t.Fatal(err)
			}
			costs = append(costs, cost{k, time.Since(st)})
		}
		sort.Slice(costs, func(i, j int) bool { return costs[i].d > costs[j].d })
		for _, c := range costs[:min(6, len(costs))] {
			t.Logf("%s: naive %s × %d townships: %s", d.Engine(), c.key, len(codes), ms(c.d))
		}
		t.Logf("%s: %d KPIs × %d townships: naive p50 %s max %s | cached: first %s, then p50 %s max %s | whole 驾驶舱 (cards, 12-month trend, table, map): first %s, then p50 %s max %s (%d children)",
			d.Engine(), len(keys), len(codes), ms(naive50), ms(naiveMax), ms(cold), ms(warm50), ms(warmMax), ms(dashCold), ms(dash50), ms(dashMax), len(d0.Children))
	})
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
}
