package service_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/web"
	"nongfu/internal/registry"
	"nongfu/internal/service"
)

type trustEnv struct {
	*env
	farmer   *registry.Subject
	farmerP  *auth.Principal
	provSub  *registry.Subject
	provP    *auth.Principal
	prov     *service.Provider
	other    *service.Provider
	otherP   *auth.Principal
	plots    []registry.Plot
	machines []*service.Machine
}

// a square plot of side metres at (lng, lat) as GeoJSON
func squarePlot(lng, lat, side float64) string {
	dLat := side / 111195.0
	dLng := dLat / math.Cos(lat*math.Pi/180)
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}`,
		lng, lat, lng+dLng, lat, lng+dLng, lat+dLat, lng, lat+dLat, lng, lat)
}

func setupTrust(t *testing.T, d *db.DB) *trustEnv {
	t.Helper()
	ctx := context.Background()
	e := &trustEnv{env: setup(t, d)}
	// 2026-04-06 10:00 Shanghai (a Monday in the plough, plant and protect seasons)
	now := time.Date(2026, 4, 6, 2, 0, 0, 0, time.UTC)
	e.svc.SetClock(func() time.Time { return now })
	e.farmer = e.Create(e.Household("张大田", e.Village(0)))
	e.farmerP = &auth.Principal{UserID: 10, Username: "farmer", DisplayName: "张大田", Role: auth.Member, SubjectID: e.farmer.ID}
	e.provSub = e.Create(e.Org("cooperative", "测试农机专业合作社", e.Village(0)))
	e.provP = &auth.Principal{UserID: 11, Username: "prov", DisplayName: "农机社", Role: auth.Provider, SubjectID: e.provSub.ID, Scopes: []string{e.Towns[0].Code}}
	otherSub := e.Create(e.Org("cooperative", "另一植保队", e.Village(0)))
	e.otherP = &auth.Principal{UserID: 12, Username: "other", Role: auth.Provider, SubjectID: otherSub.ID}
	var err error
	e.prov, err = e.svc.CreateProvider(ctx, e.op, service.ProviderInput{SubjectID: e.provSub.ID, Kind: service.KindMachinery, FoundedYear: 2018,
		Services: []string{"plough", "plant", "protect", "harvest"}, Townships: []string{e.Towns[0].Code}, Listed: true})
	if err != nil {
		t.Fatalf("provider: %v", err)
	}
	e.other, err = e.svc.CreateProvider(ctx, e.op, service.ProviderInput{SubjectID: otherSub.ID, Kind: service.KindProtection, FoundedYear: 2025,
		Services: []string{"protect"}, Townships: []string{e.Towns[0].Code}})
	if err != nil {
		t.Fatalf("other provider: %v", err)
	}
	for i, sv := range [][]string{{"plough", "plant"}, {"protect"}, {"harvest"}} {
		m, err := e.svc.SaveMachine(ctx, e.provP, e.prov.ID, 0, service.MachineInput{Name: fmt.Sprintf("农机%d", i+1), Kind: "拖拉机", Services: sv, WidthM: 2.5,
			RateMuDay: 80, HoursDay: 8, BaseLng: 109.88, BaseLat: 31.07, Operator: "机手"})
		if err != nil {
			t.Fatalf("machine: %v", err)
		}
		e.machines = append(e.machines, m)
	}
	for i := 0; i < 2; i++ {
		pl, _, err := e.Reg.SavePlot(ctx, e.Admin, registry.PlotInput{SubjectID: e.farmer.ID, RegionCode: e.Village(0), Name: fmt.Sprintf("%d号田", i+1), Crop: "水稻",
			Polygon: squarePlot(109.88+float64(i)*0.01, 31.08, 100)})
		if err != nil {
			t.Fatalf("plot: %v", err)
		}
		e.plots = append(e.plots, pl)
	}
	return e
}

func TestProvidersAndQualification(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setupTrust(t, d)
		ctx := context.Background()
		if !e.prov.Listed || !e.prov.Qualified || e.other.Qualified {
			t.Fatalf("qualification: prov %+v other %+v", e.prov.QualifyNote, e.other.QualifyNote)
		}
		// a provider founded last year cannot be listed
		_, err := e.svc.UpdateProvider(ctx, e.op, e.other.ID, service.ProviderInput{SubjectID: e.other.SubjectID, Kind: service.KindProtection, FoundedYear: 2025,
			Services: []string{"protect"}, Townships: []string{e.Towns[0].Code}, Listed: true})
		if code(err) != "invalid" {
			t.Fatalf("listing unqualified: %v", err)
		}
		// the operator of another township cannot register here; a viewer cannot write
		if _, err := e.svc.CreateProvider(ctx, e.op3, service.ProviderInput{SubjectID: e.farmer.ID, Kind: service.KindTech}); code(err) != "forbidden" {
			t.Fatalf("op3: %v", err)
		}
		if _, err := e.svc.CreateProvider(ctx, e.viewer, service.ProviderInput{SubjectID: e.farmer.ID, Kind: service.KindTech}); code(err) != "forbidden" {
			t.Fatalf("viewer: %v", err)
		}
		// a provider sees itself only; the other township's operator sees neither
		list, _, _ := e.svc.ListProviders(ctx, e.provP, service.ProviderFilter{})
		if len(list) != 1 || list[0].ID != e.prov.ID || list[0].Machines != 3 {
			t.Fatalf("provider's own list: %+v", list)
		}
		if list, _, _ := e.svc.ListProviders(ctx, e.op3, service.ProviderFilter{}); len(list) != 0 {
			t.Fatalf("op3 sees %d providers", len(list))
		}
		// another provider cannot add machines to this one; bad machine input writes nothing
		if _, err := e.svc.SaveMachine(ctx, e.otherP, e.prov.ID, 0, service.MachineInput{Name: "x"}); code(err) != "not_found" && code(err) != "forbidden" {
			t.Fatalf("other provider's machine: %v", err)
		}
		before := auditCount(t, d, "service_machine")
		if _, err := e.svc.SaveMachine(ctx, e.provP, e.prov.ID, 0, service.MachineInput{Name: "坏", Services: []string{"cook"}, RateMuDay: -1}); code(err) != "invalid" {
			t.Fatalf("bad machine: %v", err)
		}
		if auditCount(t, d, "service_machine") != before {
			t.Fatal("a rejected machine was audited")
		}
		m, err := e.svc.SetMachineStatus(ctx, e.provP, e.machines[0].ID, service.MachineBroken)
		if err != nil || m.Status != service.MachineBroken {
			t.Fatalf("break down: %v %+v", err, m)
		}
	})
}

func (e *trustEnv) order(t *testing.T, p *auth.Principal, in service.OrderInput) *service.Order {
	t.Helper()
	o, err := e.svc.PlaceOrder(context.Background(), p, in)
	if err != nil {
		t.Fatalf("place order: %v", err)
	}
	return o
}

func TestOrderLifecycleAndSettlement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setupTrust(t, d)
		ctx := context.Background()
		o := e.order(t, e.farmerP, service.OrderInput{PlotIDs: []int64{e.plots[0].ID}, Scope: service.ScopeMulti, Mode: service.ModeMenu,
			Services: []string{"plough", "protect"}, ProviderID: e.prov.ID})
		if o.Status != service.OrdPlaced || len(o.Jobs) != 2 || o.Proxy {
			t.Fatalf("placed: %+v", o)
		}
		if o.Jobs[0].WindowFrom != "2026-04-06" {
			t.Fatalf("window %s–%s", o.Jobs[0].WindowFrom, o.Jobs[0].WindowTo)
		}
		// only staff or the provider accept; the farmer cannot; settle before check is a conflict
		if _, err := e.svc.AcceptOrder(ctx, e.farmerP, o.ID, 0, 0); code(err) != "forbidden" {
			t.Fatalf("farmer accepts: %v", err)
		}
		if _, err := e.svc.AcceptOrder(ctx, e.otherP, o.ID, 0, 0); code(err) != "not_found" {
			t.Fatalf("other provider accepts: %v", err)
		}
		o, err := e.svc.AcceptOrder(ctx, e.op, o.ID, 0, 1500) // subsidy 15.00 元/亩
		if err != nil || o.Status != service.OrdAccepted {
			t.Fatalf("accept: %v", err)
		}
		if _, err := e.svc.SettleOrder(ctx, e.op, o.ID); code(err) != "conflict" {
			t.Fatalf("settle early: %v", err)
		}
		// provider reports: the first job with a polygon track (100 m × 100 m = 15 亩), declared 15.2 → not flagged
		track := squarePlot(109.88, 31.08, 100)
		j0, err := e.svc.ReportWork(ctx, e.provP, o.Jobs[0].ID, service.WorkReport{AreaMu: 15.2, Track: track})
		if err != nil || j0.Status != service.JobDone || j0.TrackFlag || math.Abs(j0.TrackMu-15) > 0.05 {
			t.Fatalf("report 1: %v %+v", err, j0)
		}
		// the second declared 20 亩 against a 15-亩 track → flagged
		j1, err := e.svc.ReportWork(ctx, e.provP, o.Jobs[1].ID, service.WorkReport{AreaMu: 20, Track: track})
		if err != nil || !j1.TrackFlag {
			t.Fatalf("report 2: %v %+v", err, j1)
		}
		o, _ = e.svc.GetOrder(ctx, e.farmerP, o.ID)
		if o.Status != service.OrdCompleted {
			t.Fatalf("status after all reports: %s", o.Status)
		}
		// the farmer disputes the second job's area: accepts 15 亩
		if _, err := e.svc.CheckOrder(ctx, e.farmerP, o.ID, service.Acceptance{}); code(err) != "invalid" {
			t.Fatalf("dispute without reason: %v", err)
		}
		if _, err := e.svc.CheckOrder(ctx, e.farmerP, o.ID, service.Acceptance{Reason: "面积多报", Areas: map[int64]float64{j1.ID: 25}}); code(err) != "invalid" {
			t.Fatalf("accepting more than reported: %v", err)
		}
		o, err = e.svc.CheckOrder(ctx, e.farmerP, o.ID, service.Acceptance{Reason: "植保面积多报", Areas: map[int64]float64{j1.ID: 15}})
		if err != nil || o.Status != service.OrdDisputed {
			t.Fatalf("dispute: %v", err)
		}
		if _, err := e.svc.ResolveDispute(ctx, e.op3, o.ID, service.Acceptance{}); code(err) != "not_found" {
			t.Fatalf("op3 resolves: %v", err)
		}
		if o, err = e.svc.ResolveDispute(ctx, e.op, o.ID, service.Acceptance{Reason: "现场复核，按 15 亩"}); err != nil || o.Status != service.OrdChecked {
			t.Fatalf("resolve: %v", err)
		}
		o, err = e.svc.SettleOrder(ctx, e.op, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		// plough 15.20 亩 × 80.00 = 1216.00; protect 15 亩 × 10.00 = 150.00; subsidy (15.20 + 15) × 15.00 = 453.00
		if o.Status != service.OrdSettled || o.AmountFen != 136600 || o.SubsidyFen != 45300 || o.PayableFen != 91300 {
			t.Fatalf("settlement: %s %d %d %d", o.Status, o.AmountFen, o.SubsidyFen, o.PayableFen)
		}
		var actions []string
		for _, st := range o.Steps {
			actions = append(actions, st.Action)
			if st.Actor == "" || st.At.IsZero() {
				t.Fatalf("step without who/when: %+v", st)
			}
		}
		want := []string{"place", "accept", "report", "report", "complete", "dispute", "resolve", "settle"}
		if !slices.Equal(actions, want) {
			t.Fatalf("steps %v, want %v", actions, want)
		}
		if n := auditCount(t, d, "service_order"); n != len(want) {
			t.Fatalf("audit entries %d, want %d", n, len(want))
		}
		// settled: nothing moves any more
		if _, err := e.svc.CancelOrder(ctx, e.farmerP, o.ID, "不要了"); code(err) != "conflict" {
			t.Fatalf("cancel settled: %v", err)
		}
		// facts and counterparties for the credit room
		facts, err := e.svc.SubjectFacts(ctx, e.farmer.ID)
		if err != nil || len(facts) == 0 || facts[0].Number != 1 || facts[1].Number != 1 {
			t.Fatalf("facts: %v %+v", err, facts)
		}
		cp, err := e.svc.Counterparties(ctx, e.farmer.ID, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil || !slices.Equal(cp, []int64{e.provSub.ID}) {
			t.Fatalf("counterparties %v %v", cp, err)
		}
		if cp, _ := e.svc.Counterparties(ctx, e.provSub.ID, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); !slices.Equal(cp, []int64{e.farmer.ID}) {
			t.Fatalf("provider's counterparties %v", cp)
		}
		// figures: 亩次 = 15.2 + 15 accepted; 标准亩 = 15.2 × 0.36 + 15 × 0.10 = 6.97 (5.472 → 5.47, 1.5)
		mu, std, err := e.svc.VolumeBatch(ctx, []string{county, e.Towns[0].Code, e.Towns[3].Code}, time.Time{}, time.Time{}, service.VolumeFilter{})
		if err != nil || math.Abs(mu[0]-30.2) > 1e-9 || math.Abs(mu[1]-30.2) > 1e-9 || mu[2] != 0 || math.Abs(std[0]-6.97) > 1e-9 {
			t.Fatalf("volume %v %v %v", mu, std, err)
		}
		mu, _, _ = e.svc.VolumeBatch(ctx, []string{county}, time.Time{}, time.Time{}, service.VolumeFilter{Service: "protect"})
		if math.Abs(mu[0]-15) > 1e-9 {
			t.Fatalf("protect volume %v", mu)
		}
		rows, total, err := e.svc.Figures(ctx, e.viewer, "service", time.Time{}, time.Time{})
		if err != nil || len(rows) != 2 || math.Abs(total.MuTimes-30.2) > 1e-9 {
			t.Fatalf("figures %+v %+v %v", rows, total, err)
		}
		if rows, _, _ := e.svc.Figures(ctx, e.op3, "service", time.Time{}, time.Time{}); len(rows) != 0 {
			t.Fatalf("op3 sees figures %+v", rows)
		}
	})
}

func TestOrderValidationAndCancel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setupTrust(t, d)
		ctx := context.Background()
		for name, in := range map[string]service.OrderInput{
			"no plots":       {Scope: service.ScopeWhole, Mode: service.ModeNanny},
			"foreign plot":   {PlotIDs: []int64{999999}, Scope: service.ScopeWhole, Mode: service.ModeNanny},
			"single of two":  {PlotIDs: []int64{e.plots[0].ID}, Scope: service.ScopeSingle, Mode: service.ModeMenu, Services: []string{"plough", "plant"}},
			"order w/o ref":  {PlotIDs: []int64{e.plots[0].ID}, Scope: service.ScopeSingle, Mode: service.ModeOrder, Services: []string{"plough"}},
			"provider lacks": {PlotIDs: []int64{e.plots[0].ID}, Scope: service.ScopeSingle, Mode: service.ModeMenu, Services: []string{"plough"}, ProviderID: e.other.ID},
		} {
			if _, err := e.svc.PlaceOrder(ctx, e.farmerP, in); code(err) != "invalid" {
				t.Errorf("%s: %v", name, err)
			}
		}
		// a provider only serves the townships it covers
		far := e.Create(e.Household("王远山", e.Village(3)))
		farPlot, _, err := e.Reg.SavePlot(ctx, e.Admin, registry.PlotInput{SubjectID: far.ID, RegionCode: e.Village(3), Name: "远田", Polygon: squarePlot(109.9, 31.0, 50)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PlaceOrder(ctx, e.Admin, service.OrderInput{SubjectID: far.ID, PlotIDs: []int64{farPlot.ID}, Scope: service.ScopeSingle, Mode: service.ModeMenu,
			Services: []string{"plough"}, ProviderID: e.prov.ID}); code(err) != "invalid" {
			t.Fatalf("provider outside its townships: %v", err)
		}
		if n := auditCount(t, d, "service_order"); n != 0 {
			t.Fatalf("rejected orders wrote %d audit entries", n)
		}
		// whole process for two plots by staff (代办): 2 × 4 jobs
		o := e.order(t, e.op, service.OrderInput{SubjectID: e.farmer.ID, PlotIDs: []int64{e.plots[0].ID, e.plots[1].ID}, Scope: service.ScopeWhole, Mode: service.ModeNanny})
		if len(o.Jobs) != 8 || !o.Proxy {
			t.Fatalf("whole: %d jobs proxy=%v", len(o.Jobs), o.Proxy)
		}
		if _, err := e.svc.PlaceOrder(ctx, e.op3, service.OrderInput{SubjectID: e.farmer.ID, PlotIDs: []int64{e.plots[0].ID}, Scope: service.ScopeWhole, Mode: service.ModeNanny}); code(err) != "forbidden" {
			t.Fatalf("op3 orders: %v", err)
		}
		if _, err := e.svc.AcceptOrder(ctx, e.op, o.ID, 0, 0); code(err) != "invalid" {
			t.Fatalf("accept without provider: %v", err)
		}
		if _, err := e.svc.CancelOrder(ctx, e.farmerP, o.ID, ""); code(err) != "invalid" {
			t.Fatalf("cancel without reason: %v", err)
		}
		o, err = e.svc.CancelOrder(ctx, e.farmerP, o.ID, "改种玉米")
		if err != nil || o.Status != service.OrdCancelled || o.Jobs[0].Status != service.JobCancelled {
			t.Fatalf("cancel: %v", err)
		}
		if _, err := e.svc.AcceptOrder(ctx, e.op, o.ID, e.prov.ID, 0); code(err) != "conflict" {
			t.Fatalf("accept cancelled: %v", err)
		}
	})
}

func TestDispatchLocksAndScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setupTrust(t, d)
		ctx := context.Background()
		o := e.order(t, e.farmerP, service.OrderInput{PlotIDs: []int64{e.plots[0].ID, e.plots[1].ID}, Scope: service.ScopeMulti, Mode: service.ModeMenu,
			Services: []string{"plough", "protect"}, ProviderID: e.prov.ID})
		o2 := e.order(t, e.farmerP, service.OrderInput{PlotIDs: []int64{e.plots[0].ID}, Scope: service.ScopeSingle, Mode: service.ModeMenu, Services: []string{"protect"}})
		if _, err := e.svc.AcceptOrder(ctx, e.op, o.ID, 0, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AcceptOrder(ctx, e.op, o2.ID, e.other.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Dispatch(ctx, e.op3, service.DispatchInput{Region: e.Towns[0].Code}); code(err) != "forbidden" {
			t.Fatalf("op3 dispatches: %v", err)
		}
		if _, err := e.svc.Dispatch(ctx, e.farmerP, service.DispatchInput{Region: e.Towns[0].Code}); code(err) != "forbidden" {
			t.Fatalf("farmer dispatches: %v", err)
		}
		run, err := e.svc.Dispatch(ctx, e.op, service.DispatchInput{Region: e.Towns[0].Code, From: "2026-04-06", Days: 5, TimeLimit: 300})
		if err != nil {
			t.Fatal(err)
		}
		// 4 jobs of the machinery co-op are placed; the 植保队 has no machine → its job is unplaced with a reason
		if run.Placed != 4 || run.Unplaced != 1 || run.Reasons[0].Reason == "" {
			t.Fatalf("run %+v", run)
		}
		o, _ = e.svc.GetOrder(ctx, e.op, o.ID)
		if o.Status != service.OrdDispatched {
			t.Fatalf("order after dispatch: %s", o.Status)
		}
		for _, j := range o.Jobs {
			if j.MachineID == 0 || j.PlanDay == "" || j.PlanEnd <= j.PlanStart {
				t.Fatalf("job not planned: %+v", j)
			}
			m := e.machines[slices.IndexFunc(e.machines, func(m *service.Machine) bool { return m.ID == j.MachineID })]
			if !slices.Contains(m.Services, j.Service) {
				t.Fatalf("job %s on machine %v", j.Service, m.Services)
			}
		}
		// providers see only their jobs
		mine, _ := e.svc.ListJobs(ctx, e.provP, service.JobFilter{})
		theirs, _ := e.svc.ListJobs(ctx, e.otherP, service.JobFilter{})
		if len(mine) != 4 || len(theirs) != 1 || theirs[0].ProviderID != e.other.ID {
			t.Fatalf("provider jobs: mine %d theirs %d", len(mine), len(theirs))
		}
		if js, _ := e.svc.ListJobs(ctx, e.op3, service.JobFilter{}); len(js) != 0 {
			t.Fatalf("op3 sees %d jobs", len(js))
		}
		// lock the protect job of plot 2 on day 3 at 08:00; start the plough job of plot 1; then re-plan
		var protect2, plough1 service.Job
		for _, j := range o.Jobs {
			if j.Service == "protect" && j.PlotID == e.plots[1].ID {
				protect2 = j
			}
			if j.Service == "plough" && j.PlotID == e.plots[0].ID {
				plough1 = j
			}
		}
		if _, err := e.svc.AssignJob(ctx, e.op, protect2.ID, e.machines[0].ID, "2026-04-08", 480); code(err) != "invalid" {
			t.Fatalf("lock on an incompatible machine: %v", err)
		}
		locked, err := e.svc.AssignJob(ctx, e.op, protect2.ID, e.machines[1].ID, "2026-04-08", 480)
		if err != nil || !locked.Locked {
			t.Fatalf("lock: %v", err)
		}
		if _, err := e.svc.ReportWork(ctx, e.provP, plough1.ID, service.WorkReport{Started: true}); err != nil {
			t.Fatal(err)
		}
		started, _ := e.svc.GetOrder(ctx, e.op, o.ID)
		before := map[int64]service.Job{}
		for _, j := range started.Jobs {
			before[j.ID] = j
		}
		run, err = e.svc.Dispatch(ctx, e.op, service.DispatchInput{Region: e.Towns[0].Code, From: "2026-04-06", Days: 5, TimeLimit: 300})
		if err != nil || run.LockedKept != 2 {
			t.Fatalf("re-plan: %v %+v", err, run)
		}
		after, _ := e.svc.GetOrder(ctx, e.op, o.ID)
		for _, j := range after.Jobs {
			if j.ID == protect2.ID || j.ID == plough1.ID {
				b := before[j.ID]
				if j.MachineID != b.MachineID || j.PlanDay != b.PlanDay || j.PlanStart != b.PlanStart {
					t.Fatalf("locked/started job moved: %+v → %+v", b, j)
				}
			}
		}
		if after.Status != service.OrdWorking {
			t.Fatalf("order status %s", after.Status)
		}
		// a breakdown: machine 2 (the only sprayer) broken → re-plan leaves the unlocked protect job unplaced
		if _, err := e.svc.SetMachineStatus(ctx, e.provP, e.machines[1].ID, service.MachineBroken); err != nil {
			t.Fatal(err)
		}
		run, err = e.svc.Dispatch(ctx, e.provP, service.DispatchInput{Region: e.Towns[0].Code, From: "2026-04-06", Days: 5, TimeLimit: 300})
		if err != nil {
			t.Fatal(err)
		}
		if run.Unplaced != 2 { // protect on plot 1 and the locked protect on plot 2 (its machine is down)
			t.Fatalf("after breakdown: %+v", run)
		}
	})
}

func TestTrainingCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setupTrust(t, d)
		ctx := context.Background()
		s1, err := e.svc.CreateSession(ctx, e.op, service.SessionInput{RegionCode: e.Towns[0].Code, Course: "水稻绿色高产", Trainer: "李老师", Place: "镇农技站",
			DateFrom: "2025-03-01", DateTo: "2025-03-03", Hours: 24})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateSession(ctx, e.op3, service.SessionInput{RegionCode: e.Towns[0].Code, Course: "x", Trainer: "y", Place: "z", DateFrom: "2025-03-01", DateTo: "2025-03-01"}); code(err) != "forbidden" {
			t.Fatalf("op3: %v", err)
		}
		s2, _ := e.svc.CreateSession(ctx, e.op, service.SessionInput{RegionCode: e.Towns[0].Code, Course: "植保无人机", Trainer: "王老师", Place: "合作社", DateFrom: "2026-03-01", DateTo: "2026-03-02"})
		other := e.Create(e.Household("李小农", e.Village(3)))
		s1, _ = e.svc.Enrol(ctx, e.op, s1.ID, []int64{e.farmer.ID, other.ID}, "")
		s2, _ = e.svc.Enrol(ctx, e.op, s2.ID, []int64{e.farmer.ID}, "")
		if len(s1.Enrolments) != 2 || len(s2.Enrolments) != 1 {
			t.Fatalf("enrolments %d %d", len(s1.Enrolments), len(s2.Enrolments))
		}
		for _, en := range s1.Enrolments {
			s1, _ = e.svc.Attend(ctx, e.op, s1.ID, en.ID, true)
		}
		s2, _ = e.svc.Attend(ctx, e.op, s2.ID, s2.Enrolments[0].ID, true)
		if s1.Enrolments[0].CertificateNo == "" {
			t.Fatal("no certificate")
		}
		// the farmer attended twice: counted once; cumulative to 2025-12-31 = 2, by township
		n, _ := e.svc.TrainedFarmers(ctx, []string{county, e.Towns[0].Code, e.Towns[3].Code}, time.Time{})
		if !slices.Equal(n, []float64{2, 1, 1}) {
			t.Fatalf("trained %v", n)
		}
		n, _ = e.svc.TrainedFarmers(ctx, []string{county}, time.Date(2025, 3, 3, 0, 0, 0, 0, web.Shanghai))
		if n[0] != 0 {
			t.Fatalf("trained before the session ended: %v", n)
		}
		rows, years, _ := e.svc.TrainedByYear(ctx, e.Admin)
		if len(rows) != 2 || !slices.Equal(years, []int{2025}) {
			t.Fatalf("by year %+v %v", rows, years)
		}
	})
}
