package app_test

import (
	"context"
	"strings"
	"testing"

	"nongfu/internal/app"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/web"
	"nongfu/internal/platform/webtest"
	"nongfu/internal/service"
)

// Role × scope over the services room's API on the demo: providers see their own jobs, a township operator its
// township, readers cannot write, bad input is a 422 with Chinese field messages.
func TestServiceAPIRolesAndScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := app.StartTest(t, d, 120)
		ctx := context.Background()
		admin, op, prov, viewer, member := ts.Token("county_admin", "nongfu-demo"), ts.Token("township_operator", "nongfu-demo"),
			ts.Token("provider", "nongfu-demo"), ts.Token("viewer", "nongfu-demo"), ts.Token("member", "nongfu-demo")
		var provSubject int64
		if err := ts.DB.QueryRowContext(ctx, `SELECT subject_id FROM users WHERE username = 'provider'`).Scan(&provSubject); err != nil {
			t.Fatal(err)
		}
		var own web.List[service.Provider]
		if st := ts.Call(prov, "GET", "/api/v1/service-providers", nil, &own); st != 200 || len(own.Items) != 1 || own.Items[0].SubjectID != provSubject {
			t.Fatalf("provider's providers: %d %+v", st, own.Items)
		}
		var jobs, all []service.Job
		ts.Call(prov, "GET", "/api/v1/service-jobs", nil, &jobs)
		ts.Call(admin, "GET", "/api/v1/service-jobs", nil, &all)
		if len(jobs) == 0 || len(all) <= len(jobs) {
			t.Fatalf("provider sees %d of %d jobs", len(jobs), len(all))
		}
		for _, j := range jobs {
			if j.ProviderID != own.Items[0].ID {
				t.Fatalf("provider sees another provider's job %+v", j)
			}
		}
		var opOrders, allOrders web.List[service.Order]
		ts.Call(op, "GET", "/api/v1/service-orders?per_page=500", nil, &opOrders)
		ts.Call(admin, "GET", "/api/v1/service-orders?per_page=500", nil, &allOrders)
		if opOrders.Total == 0 || opOrders.Total >= allOrders.Total {
			t.Fatalf("operator sees %d of %d orders", opOrders.Total, allOrders.Total)
		}
		town := opOrders.Items[0].RegionCode[:9]
		for _, o := range opOrders.Items {
			if !strings.HasPrefix(o.RegionCode, town) {
				t.Fatalf("operator sees an order of %s", o.RegionCode)
			}
		}
		var other service.Order
		for _, o := range allOrders.Items {
			if !strings.HasPrefix(o.RegionCode, town) {
				other = o
				break
			}
		}
		if st := ts.Call(op, "GET", "/api/v1/service-orders/"+itoa(other.ID), nil, nil); st != 404 {
			t.Fatalf("operator reads another township's order: %d", st)
		}
		if st := ts.Call(prov, "GET", "/api/v1/service-orders/"+itoa(other.ID), nil, nil); st != 404 && other.ProviderID != own.Items[0].ID {
			t.Fatalf("provider reads another provider's order: %d", st)
		}
		// readers and members cannot write; bad input writes nothing and says why in Chinese
		if st := ts.Call(viewer, "POST", "/api/v1/service-orders/"+itoa(other.ID)+"/settle", nil, nil); st != 403 && st != 404 {
			t.Fatalf("viewer settles: %d", st)
		}
		if st := ts.Call(member, "POST", "/api/v1/service-dispatch", service.DispatchInput{Region: town + "000"}, nil); st != 403 {
			t.Fatalf("member dispatches: %d", st)
		}
		var bad struct {
			Error struct {
				Message string            `json:"message"`
				Fields  map[string]string `json:"fields"`
			} `json:"error"`
		}
		if st := ts.Call(member, "POST", "/api/v1/service-orders", service.OrderInput{Scope: "x", Mode: "nanny"}, &bad); st != 422 || !strings.Contains(bad.Error.Fields["scope"], "托管环节") || bad.Error.Fields["plot_ids"] == "" {
			t.Fatalf("bad order: %d %+v", st, bad)
		}
		// figures: the demo has a living season; the operator's total is part of the county's
		var fig, opFig service.FiguresOut
		ts.Call(admin, "GET", "/api/v1/service-figures?by=service", nil, &fig)
		ts.Call(op, "GET", "/api/v1/service-figures?by=service", nil, &opFig)
		if fig.Total.MuTimes <= 0 || fig.Total.StandardMu <= 0 || opFig.Total.MuTimes >= fig.Total.MuTimes {
			t.Fatalf("figures: county %+v operator %+v", fig.Total, opFig.Total)
		}
		// the dispatch page and the figures export work for the provider and the county
		c := webtest.Login(t, ts.URL, "county_admin", "nongfu-demo")
		if st, body := c.Page("/service/dispatch?region=" + town + "000"); st != 200 || !strings.Contains(body, "<svg") {
			t.Fatalf("dispatch page: %d", st)
		}
		if st, body := c.Page("/service/figures?by=month&format=xlsx"); st != 200 || !strings.HasPrefix(body, "PK") {
			t.Fatalf("xlsx export: %d", st)
		}
	})
}
