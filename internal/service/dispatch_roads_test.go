package service_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/imports"
	"nongfu/internal/platform/webtest"
	"nongfu/internal/registry"
	"nongfu/internal/service"
	"nongfu/internal/tabular"
)

// An imported road distance between the machine base's village and the plot's village replaces straight-line × 1.3
// in the plan; bad rows are rejected with field messages; the screen says which rule applies.
func TestDispatchRoadDistanceImport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setupTrust(t, d)
		ctx := context.Background()
		base, far := e.Village(0), e.Regions.Children(e.Towns[0].Code)[1].Code
		if e.machines[0].RegionCode != base {
			t.Fatalf("machine base village %s, want %s", e.machines[0].RegionCode, base)
		}
		pl, _, err := e.Reg.SavePlot(ctx, e.Admin, registry.PlotInput{SubjectID: e.farmer.ID, RegionCode: far, Name: "远田", Crop: "水稻",
			Polygon: squarePlot(109.885, 31.075, 100)})
		if err != nil {
			t.Fatal(err)
		}
		o := e.order(t, e.farmerP, service.OrderInput{PlotIDs: []int64{pl.ID}, Scope: service.ScopeSingle, Mode: service.ModeMenu,
			Services: []string{"plough"}, ProviderID: e.prov.ID})
		if _, err := e.svc.AcceptOrder(ctx, e.op, o.ID, 0, 0); err != nil {
			t.Fatal(err)
		}
		in := service.DispatchInput{Region: e.Towns[0].Code, From: "2026-04-06", Days: 3, TimeLimit: 200}
		run, err := e.svc.Dispatch(ctx, e.op, in)
		if err != nil || run.Placed != 1 || run.RoadPairs != 0 || run.TravelKm > 5 {
			t.Fatalf("straight-line plan: %v %+v", err, run)
		}

		var buf bytes.Buffer
		tabular.WriteCSV(&buf, []string{"起点", "终点", "道路里程（公里）"}, [][]string{
			{base, far, "40"},
			{base, base, "3"},         // same point
			{base, far, "abc"},        // not a number
			{"没有这个村", far, "5"},       // unknown point
			{base, e.Village(3), "9"}, // outside the operator's township
		}, true)
		res, err := imports.Run(ctx, d, importer(e.svc, "service_road_km"), e.op, bytes.NewReader(buf.Bytes()), "roads.csv", nil)
		if err != nil || res.Imported != 1 || res.Rejected != 4 {
			t.Fatalf("road import: %s %v %+v", res.Summary(), err, res.Errors)
		}
		run, err = e.svc.Dispatch(ctx, e.op, in)
		// base → plot and back: 40 km each way from the matrix (both directions: the reverse was filled in)
		if err != nil || run.Placed != 1 || run.RoadPairs == 0 || run.TravelKm < 79.9 || run.TravelKm > 80.1 {
			t.Fatalf("matrix plan: %v %+v", err, run)
		}

		site := webtest.Start(t, d, e.svc.Routes)
		op := site.User(auth.NewUser{Username: "op", DisplayName: "乡镇操作员", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}})
		if _, page := op.Page("/service/dispatch?region=" + e.Towns[0].Code); !strings.Contains(page, "已导入 2 条村镇间道路里程") || !strings.Contains(page, "直线距离 × 1.3") {
			t.Errorf("dispatch page does not explain the road distances")
		}
	})
}
