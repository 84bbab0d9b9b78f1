package supply_test

import (
	"context"
	"testing"
	"time"

	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/supply"
)

// TestSeedFlows seeds the network and then the flows: a completed and an open round, a routed day, reserves
// with one alert and prices with alerts; the ledger stays non-negative and the round reconciles.
func TestSeedFlows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		var towns []string
		for _, tw := range e.Towns {
			towns = append(towns, tw.Code)
		}
		var hh []int64
		for i := range 20 {
			hh = append(hh, e.Create(e.Household("户"+string(rune('甲'+i)), e.Village(i%len(e.Towns)))).ID)
		}
		coop := e.Create(e.Org("cooperative", "演示供销社", e.Village(0)))
		start := time.Now()
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := e.svc.SeedDemo(ctx, tx, towns, []int64{coop.ID}); err != nil {
				return err
			}
			return e.svc.SeedFlows(ctx, tx, hh)
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seeded network and flows in %v", time.Since(start))
		pools, err := e.svc.ListPools(ctx, e.Admin, "")
		if err != nil || len(pools) != 2 {
			t.Fatalf("pools %v %d", err, len(pools))
		}
		var done *supply.Pool
		for _, p := range pools {
			if p.Status != supply.PoolOpen {
				done = p
			}
		}
		if done == nil || done.SavingFen <= 0 {
			t.Fatalf("closed round %+v", done)
		}
		r, err := e.svc.Reconcile(ctx, e.Admin, done.ID)
		if err != nil || !r.Balanced {
			t.Errorf("demo round reconciles: %v %+v", err, r.Items)
		}
		var neg int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT node_id, goods_id FROM supply_moves GROUP BY node_id, goods_id HAVING SUM(qty) < 0) x`).Scan(&neg); err != nil || neg != 0 {
			t.Errorf("%d negative stocks (%v)", neg, err)
		}
		alerts, _ := e.svc.ReservePlans(ctx, e.Admin, true)
		if len(alerts) != 1 {
			t.Errorf("%d reserve alerts", len(alerts))
		}
		if n, _ := e.svc.CountPriceAlerts(ctx, "", time.Now().AddDate(0, 0, -7).Format("2006-01-02"), ""); n == 0 {
			t.Errorf("no price alert this week")
		}
		var plans, stops int
		_ = d.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_route_plans WHERE status = 'ready'`).Scan(&plans)
		_ = d.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_route_stops WHERE status = 'done'`).Scan(&stops)
		if plans != 1 || stops == 0 {
			t.Errorf("routed day: %d plans, %d stops done", plans, stops)
		}
		v, err := e.svc.Figures(ctx, "supply.pooled_saving_yuan", []string{"", e.Towns[0].Code}, time.Time{}, time.Time{}, nil)
		if err != nil || v[0] <= 0 || v[1] > v[0] {
			t.Errorf("saving figures %v %v", v, err)
		}
		for _, k := range supply.FigureKeys {
			if _, err := e.svc.Figures(ctx, k, []string{"500237"}, time.Now().AddDate(-1, 0, 0), time.Now().AddDate(0, 0, 1), nil); err != nil {
				t.Errorf("figure %s: %v", k, err)
			}
		}
		month := []time.Time{time.Now().AddDate(0, -1, 0), time.Now().AddDate(0, 0, 1)}
		for _, k := range []string{"supply.pooled_volume", "supply.delivered_volume", "supply.price_alerts"} {
			in, _ := e.svc.Figures(ctx, k, []string{"500237", ""}, month[0], month[1], nil)
			out, _ := e.svc.Figures(ctx, k, []string{"500237"}, month[0].AddDate(-1, 0, 0), month[0].AddDate(0, -6, 0), nil)
			if in[0] <= 0 || in[0] != in[1] || out[0] != 0 {
				t.Errorf("%s: %v in the last month, %v a year before", k, in, out)
			}
		}
		if v, _ := e.svc.Figures(ctx, "supply.delivered_volume", []string{"500237"}, month[0], month[1], map[string]string{"kind": "delivery"}); v[0] <= 0 {
			t.Errorf("deliveries (kind filter) %v", v)
		}
		if v, _ := e.svc.Figures(ctx, "supply.reserve_coverage_pct", []string{"500237"}, time.Time{}, time.Time{}, nil); v[0] <= 0 || v[0] > 100 {
			t.Errorf("coverage %v", v)
		}
		// facts and counterparties of a member who collected
		var sid int64
		_ = d.QueryRowContext(ctx, `SELECT subject_id FROM supply_pool_demands WHERE handed > 0 ORDER BY id LIMIT 1`).Scan(&sid)
		facts, err := e.svc.SubjectFacts(ctx, sid)
		if err != nil || len(facts) < 2 || facts[0].Key != "supply.pool_rounds" {
			t.Errorf("facts %v %+v", err, facts)
		}
		// the cooperative operates stations where members collected: they are each other's counterparties
		members, err := e.svc.Counterparties(ctx, coop.ID, time.Now().AddDate(0, -2, 0), time.Now().AddDate(0, 0, 1))
		if err != nil || len(members) == 0 {
			t.Fatalf("operator's counterparties %v %v", members, err)
		}
		back, _ := e.svc.Counterparties(ctx, members[0], time.Now().AddDate(0, -2, 0), time.Now().AddDate(0, 0, 1))
		if len(back) != 1 || back[0] != coop.ID {
			t.Errorf("member's counterparties %v", back)
		}
		if none, _ := e.svc.Counterparties(ctx, coop.ID, time.Now().AddDate(-2, 0, 0), time.Now().AddDate(-1, 0, 0)); len(none) != 0 {
			t.Errorf("counterparties outside the period %v", none)
		}
		if f, _ := e.svc.SubjectFacts(ctx, coop.ID); len(f) == 0 || f[len(f)-1].Key != "supply.operated_nodes" {
			t.Errorf("operator facts %+v", f)
		}
	})
}
