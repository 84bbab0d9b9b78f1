package supply_test

import (
	"context"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/supply"
)

// TestSubsidyProperty checks the 贴息 formula against exact rational arithmetic: the result is the exact value
// rounded half up, for random principals (to 10 亿元), rates, terms and ratios.
func TestSubsidyProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 360))
	for range 20000 {
		principal := rng.Int64N(1_000_000_000_00) + 1
		rate := rng.Int64N(240_000) + 1
		days := rng.IntN(3660) + 1
		ratio := rng.Int64N(10_000) + 1
		exact := new(big.Rat).SetFrac(
			new(big.Int).Mul(new(big.Int).Mul(big.NewInt(principal), big.NewInt(rate)), new(big.Int).Mul(big.NewInt(int64(days)), big.NewInt(ratio))),
			big.NewInt(360*1_000_000*10_000))
		got := supply.Subsidy(principal, rate, days, ratio)
		diff := new(big.Rat).Sub(new(big.Rat).SetInt64(got), exact)
		// got − exact ∈ (−½, ½]
		if diff.Cmp(big.NewRat(-1, 2)) <= 0 || diff.Cmp(big.NewRat(1, 2)) > 0 {
			t.Fatalf("Subsidy(%d, %d, %d, %d) = %d, exact %s", principal, rate, days, ratio, got, exact.FloatString(4))
		}
	}
	// 500 万元 at 3.65 % for 180 days, half subsidised: 5,000,000 × 0.0365 × 180/360 × 0.5 = 45,625.00 元
	if got := supply.Subsidy(500_000_000, 36_500, 180, 5_000); got != 4_562_500 {
		t.Errorf("worked example %d", got)
	}
	// exactly half a 分 rounds up: 1 分 × 100 % × 180/360 × 100 % = 0.5 分 → 1 分
	if got := supply.Subsidy(1, 1_000_000, 180, 10_000); got != 1 {
		t.Errorf("half a fen: %d", got)
	}
}

func TestReserve(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		wh := e.node(supply.KindCountyWarehouse, "县仓", county)
		tn := e.node(supply.KindTownshipNode, "镇0", e.Towns[0].Code)
		fert := e.goods("fertilizer", "尿素", "袋", 0)
		e.move(e.Admin, supply.MoveInput{Kind: supply.MoveReceipt, NodeID: wh.ID, GoodsID: fert.ID, Qty: 400})
		e.move(e.Admin, supply.MoveInput{Kind: supply.MoveReceipt, NodeID: tn.ID, GoodsID: fert.ID, Qty: 30})
		day := time.Now().Format("2006-01-02")
		from, to := time.Now().AddDate(0, -1, 0).Format("2006-01-02"), time.Now().AddDate(0, 2, 0).Format("2006-01-02")
		if _, err := e.svc.SaveReservePlan(ctx, e.op, supply.ReservePlanInput{NodeID: tn.ID, GoodsID: fert.ID, Season: "春耕", FromOn: from, ToOn: to, PlanQty: 100, SafetyQty: 50}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("operator plans: %v", err)
		}
		if _, err := e.svc.SaveReservePlan(ctx, e.Admin, supply.ReservePlanInput{NodeID: tn.ID, GoodsID: fert.ID, Season: "", FromOn: to, ToOn: from, PlanQty: 0, SafetyQty: -1}); len(apperr.FieldsOf(err)) != 4 {
			t.Errorf("bad plan: %v", err)
		}
		if _, err := e.svc.SaveReservePlan(ctx, e.Admin, supply.ReservePlanInput{NodeID: wh.ID, GoodsID: fert.ID, Season: "春耕", FromOn: from, ToOn: to, PlanQty: 300, SafetyQty: 100}); err != nil {
			t.Fatal(err)
		}
		low, err := e.svc.SaveReservePlan(ctx, e.Admin, supply.ReservePlanInput{NodeID: tn.ID, GoodsID: fert.ID, Season: "春耕", FromOn: from, ToOn: to, PlanQty: 100, SafetyQty: 50})
		if err != nil {
			t.Fatal(err)
		}
		if low.CoveragePct != 30 || low.Alert != "below_safety" {
			t.Errorf("township plan %+v", low)
		}
		alerts, err := e.svc.ReservePlans(ctx, e.Admin, true)
		if err != nil || len(alerts) != 1 || alerts[0].NodeID != tn.ID {
			t.Errorf("alerts %v %+v", err, alerts)
		}
		// coverage: (300 + 30) / 400
		if v, err := e.svc.ReserveCoverage(ctx, "500237", day); err != nil || v != 82.5 {
			t.Errorf("coverage %v %v", v, err)
		}
		if v, _ := e.svc.ReserveCoverage(ctx, e.Towns[0].Code, day); v != 30 {
			t.Errorf("township coverage %v", v)
		}
		// financing: budget first, at least 10 万元
		year := time.Now().Year()
		if _, err := e.svc.SetBudget(ctx, e.Admin, year, 9_999_999); apperr.FieldsOf(err)["budget_fen"] == "" {
			t.Errorf("small budget: %v", err)
		}
		in := supply.ReserveContractInput{No: "CB-1", NodeID: wh.ID, Lender: "农商行", PrincipalFen: 500_000_000, RatePPM: 36_500,
			StartOn: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02"), EndOn: time.Date(year, 6, 30, 0, 0, 0, 0, time.UTC).Format("2006-01-02"), RatioBP: 5_000}
		if _, err := e.svc.CreateReserveContract(ctx, e.Admin, in); apperr.FieldsOf(err)["end_on"] == "" {
			t.Errorf("contract without budget: %v", err)
		}
		if _, err := e.svc.SetBudget(ctx, e.Admin, year, 10_000_000); err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.CreateReserveContract(ctx, e.Admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if c.Days != 180 || c.SubsidyFen != supply.Subsidy(500_000_000, 36_500, 180, 5_000) || c.Year != year {
			t.Errorf("contract %+v", c)
		}
		// a second contract of 3 亿 would exceed the 10 万 budget; nothing written
		bigC := in
		bigC.No, bigC.PrincipalFen = "CB-2", 30_000_000_000
		if _, err := e.svc.CreateReserveContract(ctx, e.Admin, bigC); apperr.FieldsOf(err)["principal_fen"] == "" {
			t.Errorf("over budget: %v", err)
		}
		if _, err := e.svc.CreateReserveContract(ctx, e.Admin, in); apperr.FieldsOf(err)["no"] == "" {
			t.Errorf("duplicate no: %v", err)
		}
		if n := e.count("supply_reserve_contracts"); n != 1 {
			t.Errorf("%d contracts", n)
		}
		if _, err := e.svc.SetBudget(ctx, e.Admin, year, 10_000_000); err != nil {
			t.Errorf("budget above use: %v", err)
		}
		if _, err := e.svc.PaySubsidy(ctx, e.Admin, c.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PaySubsidy(ctx, e.Admin, c.ID, ""); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("paid twice: %v", err)
		}
		bs, err := e.svc.Budgets(ctx, e.Admin)
		if err != nil || len(bs) != 1 || bs[0].PaidFen != c.SubsidyFen || bs[0].RemainingFen != 10_000_000-c.SubsidyFen {
			t.Errorf("budgets %v %+v", err, bs)
		}
		if v, _ := e.svc.SubsidyPaid(ctx, "500237", "", ""); v != c.SubsidyFen {
			t.Errorf("subsidy paid %d", v)
		}
		if v, _ := e.svc.SubsidyPaid(ctx, e.Towns[0].Code, "", ""); v != 0 {
			t.Errorf("township subsidy %d", v)
		}
		viewer := &auth.Principal{UserID: 9, Role: auth.Viewer, Scopes: []string{county}}
		if list, err := e.svc.ReserveContracts(ctx, viewer); err != nil || len(list) != 1 {
			t.Errorf("viewer reads contracts: %v", err)
		}
		if _, err := e.svc.PaySubsidy(ctx, viewer, c.ID, ""); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("viewer pays: %v", err)
		}
	})
}

func TestPrices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		coop := e.Create(e.Org("cooperative", "供销社", e.Village(0)))
		outlet, err := e.svc.CreateNode(ctx, e.Admin, supply.NodeInput{Kind: supply.KindOutlet, Name: "网点", RegionCode: e.Village(0), OperatorID: coop.ID})
		if err != nil {
			t.Fatal(err)
		}
		pork, err := e.svc.CreatePriceItem(ctx, e.Admin, supply.PriceItemInput{Name: "猪肉", Unit: "元/千克", ReferenceFen: 3000, AlertPct: 10})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreatePriceItem(ctx, e.op, supply.PriceItemInput{Name: "x", Unit: "元"}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("operator adds item: %v", err)
		}
		pt, err := e.svc.CreatePricePoint(ctx, e.Admin, supply.PricePointInput{Name: "镇农贸市场", RegionCode: e.Village(0), NodeID: outlet.ID})
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.svc.CreatePricePoint(ctx, e.Admin, supply.PricePointInput{Name: "他镇市场", RegionCode: e.Village(1)})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		day := func(back int) string { return now.AddDate(0, 0, -back).Format("2006-01-02") }
		report := func(p *auth.Principal, point int64, back int, fen int64) *supply.PriceReport {
			t.Helper()
			r, err := e.svc.ReportPrice(ctx, p, supply.PriceReportInput{ItemID: pork.ID, PointID: point, Date: day(back), PriceFen: fen})
			if err != nil {
				t.Fatalf("report: %v", err)
			}
			return r
		}
		operator := &auth.Principal{UserID: 60, Role: auth.Provider, SubjectID: coop.ID}
		report(operator, pt.ID, 10, 2600)
		report(e.Admin, pt.ID, 8, 2800) // previous week's average: 2700
		if r := report(operator, pt.ID, 1, 2900); len(r.Alerts) != 0 {
			t.Errorf("+7.4%% raised %v", r.Alerts)
		}
		r := report(e.op, pt.ID, 0, 3100) // +14.8 % and above the reference
		if len(r.Alerts) != 2 {
			t.Errorf("alerts %v", r.Alerts)
		}
		if _, err := e.svc.ReportPrice(ctx, operator, supply.PriceReportInput{ItemID: pork.ID, PointID: other.ID, PriceFen: 2000}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("operator reports elsewhere: %v", err)
		}
		if _, err := e.svc.ReportPrice(ctx, e.Admin, supply.PriceReportInput{ItemID: pork.ID, PointID: other.ID, PriceFen: 0, Date: "2099-01-01"}); len(apperr.FieldsOf(err)) != 2 {
			t.Errorf("bad report: %v", err)
		}
		// the same day again replaces the report and its alerts
		if r := report(e.op, pt.ID, 0, 2950); len(r.Alerts) != 0 {
			t.Errorf("replaced report alerts %v", r.Alerts)
		}
		report(e.Admin, other.ID, 0, 3300)
		if n, _ := e.svc.CountPriceAlerts(ctx, "500237", "", ""); n != 1 {
			t.Errorf("alerts counted %d", n)
		}
		if n, _ := e.svc.CountPriceAlerts(ctx, e.Towns[0].Code, "", ""); n != 0 {
			t.Errorf("alerts in town 0: %d", n)
		}
		series, err := e.svc.PriceSeries(ctx, e.Admin, supply.PriceFilter{ItemID: pork.ID})
		if err != nil || len(series) != 2 {
			t.Fatalf("series %v %+v", err, series)
		}
		var reports int
		for _, p := range series[0].Points {
			reports += p.Reports
		}
		if reports != 4 {
			t.Errorf("town 0 series %+v", series[0])
		}
	})
}
