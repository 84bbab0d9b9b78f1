package service_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/webtest"
	"nongfu/internal/registry"
	"nongfu/internal/service"
)

// A plot of 240 mu needs three days of an 80-mu-a-day tractor: the plan stores every day part on the job, the order
// page and the dispatch timeline show each part, and a re-plan after work started keeps the parts where they are.
func TestDispatchStoresEveryDayPart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setupTrust(t, d)
		ctx := context.Background()
		big, _, err := e.Reg.SavePlot(ctx, e.Admin, registry.PlotInput{SubjectID: e.farmer.ID, RegionCode: e.Village(0), Name: "大田", Crop: "水稻",
			Polygon: squarePlot(109.90, 31.08, 400)})
		if err != nil {
			t.Fatal(err)
		}
		o := e.order(t, e.farmerP, service.OrderInput{PlotIDs: []int64{big.ID}, Scope: service.ScopeSingle, Mode: service.ModeMenu,
			Services: []string{"plough"}, ProviderID: e.prov.ID})
		if _, err := e.svc.AcceptOrder(ctx, e.op, o.ID, 0, 0); err != nil {
			t.Fatal(err)
		}
		in := service.DispatchInput{Region: e.Towns[0].Code, From: "2026-04-06", Days: 7, TimeLimit: 300}
		run, err := e.svc.Dispatch(ctx, e.op, in)
		if err != nil || run.Placed != 1 || run.Unplaced != 0 {
			t.Fatalf("dispatch: %v %+v", err, run)
		}
		o, _ = e.svc.GetOrder(ctx, e.op, o.ID)
		j := o.Jobs[0]
		if len(j.Parts) < 3 {
			t.Fatalf("%.1f mu on an 80-mu machine-day stored in %d parts: %+v", j.AreaMu, len(j.Parts), j.Parts)
		}
		sum, days := 0.0, map[string]bool{}
		for i, p := range j.Parts {
			if p.Part != i+1 || p.Parts != len(j.Parts) || p.MachineID != e.machines[0].ID || p.Day == "" || p.End <= p.Start || p.MachineName != "农机1" {
				t.Fatalf("part %d: %+v", i+1, p)
			}
			if days[p.Day] {
				t.Fatalf("two parts on one machine-day %s: %+v", p.Day, j.Parts)
			}
			days[p.Day] = true
			sum += p.AreaMu
		}
		if math.Abs(sum-j.AreaMu) > 0.05 {
			t.Fatalf("parts cover %.2f of %.2f mu", sum, j.AreaMu)
		}
		if j.PlanDay != j.Parts[0].Day || j.MachineID != j.Parts[0].MachineID {
			t.Fatalf("job columns are not part 1: %+v", j)
		}

		site := webtest.Start(t, d, e.svc.Routes)
		op := site.User(auth.NewUser{Username: "op", DisplayName: "乡镇操作员", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}})
		_, page := op.Page(fmt.Sprintf("/service/orders/%d", o.ID))
		_, tl := op.Page("/service/dispatch?region=" + e.Towns[0].Code + "&from=2026-04-06&days=7")
		for _, p := range j.Parts {
			if want := fmt.Sprintf("第 %d 段 %.1f 亩 · 农机1 %s", p.Part, p.AreaMu, p.Day); !strings.Contains(page, want) {
				t.Errorf("order page lacks %q", want)
			}
			if want := fmt.Sprintf("大田 第 %d/%d 段", p.Part, len(j.Parts)); !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q", want)
			}
		}

		// work starts: the job is locked with all its parts; a re-plan keeps every part exactly
		if _, err := e.svc.ReportWork(ctx, e.provP, j.ID, service.WorkReport{Started: true}); err != nil {
			t.Fatal(err)
		}
		run, err = e.svc.Dispatch(ctx, e.op, in)
		if err != nil || run.LockedKept != 1 || run.Placed != 1 {
			t.Fatalf("re-plan: %v %+v", err, run)
		}
		after, _ := e.svc.GetOrder(ctx, e.op, o.ID)
		if fmt.Sprint(after.Jobs[0].Parts) != fmt.Sprint(j.Parts) {
			t.Fatalf("started parts moved: %+v → %+v", j.Parts, after.Jobs[0].Parts)
		}
	})
}
