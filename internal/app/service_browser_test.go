package app_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nongfu/internal/app"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/web"
	"nongfu/internal/registry"
	"nongfu/internal/service"
)

func squareGeoJSON(lng, lat, side float64) string {
	dLat := side / 111195.0
	dLng := dLat / math.Cos(lat*math.Pi/180)
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}`,
		lng, lat, lng+dLng, lat, lng+dLng, lat+dLat, lng, lat+dLat, lng, lat)
}

// The core path of the services room in a browser: a farmer orders whole-process trusteeship for a plot → the
// county dispatches → the provider reports the work with a GPS track → the farmer accepts → the settlement shows.
func TestBrowserServiceTrusteeship(t *testing.T) {
	ts := app.StartTest(t, dbtest.SQLite(t), 60)
	ctx := context.Background()
	// spring: every whole-process window (耕 种 防 收) opens within a month
	spring := time.Date(2026, 4, 6, 9, 0, 0, 0, web.Shanghai)
	ts.Services.SetClock(func() time.Time { return spring })
	admin := ts.Token("county_admin", "nongfu-demo")

	var memberSubject int64
	if err := ts.DB.QueryRowContext(ctx, `SELECT subject_id FROM users WHERE username = 'member'`).Scan(&memberSubject); err != nil {
		t.Fatal(err)
	}
	subs, err := ts.Registry.Lookup(ctx, []int64{memberSubject})
	if err != nil || subs[memberSubject] == nil {
		t.Fatalf("member subject: %v", err)
	}
	var plot registry.Plot
	if st := ts.Call(admin, "POST", "/api/v1/plots", registry.PlotInput{SubjectID: memberSubject, RegionCode: subs[memberSubject].RegionCode, Name: "托管试验田",
		Crop: "水稻", Polygon: squareGeoJSON(109.95, 31.12, 100)}, &plot); st != 201 {
		t.Fatalf("plot: %d", st)
	}
	var provs web.List[service.Provider]
	ts.Call(admin, "GET", "/api/v1/service-providers?q="+"丰收农机", nil, &provs)
	if len(provs.Items) != 1 {
		t.Fatalf("demo provider: %+v", provs.Items)
	}
	prov := provs.Items[0]
	town := prov.RegionCode[:9] + "000"
	trackFile := filepath.Join(t.TempDir(), "track.geojson")
	if err := os.WriteFile(trackFile, []byte(`{"type":"Feature","geometry":`+squareGeoJSON(109.95, 31.12, 100)+`}`), 0o644); err != nil {
		t.Fatal(err)
	}

	browse := func(user string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		bctx, cancel := newBrowser(t, 390, 844)
		defer cancel()
		run(t, bctx, user, append([]chromedp.Action[chromedp.Void]{login(ts.URL, user)}, steps...)...)
	}

	// 1. the farmer orders whole-process 保姆式 trusteeship of the plot from the co-op
	var orderPath string
	browse("member",
		chromedp.Navigate(ts.URL+"/service/orders"),
		chromedp.WaitVisible(`input[name=plot_ids][value="`+strconv.FormatInt(plot.ID, 10)+`"]`),
		chromedp.Click(`input[name=plot_ids][value="`+strconv.FormatInt(plot.ID, 10)+`"]`),
		chromedp.SetValue(`#scope`, service.ScopeWhole),
		chromedp.SetValue(`#mode`, service.ModeNanny),
		chromedp.SetValue(`#provider_id`, strconv.FormatInt(prov.ID, 10)),
		shot("service-01-order-phone"),
		chromedp.Click(`#new button[type=submit]`),
		chromedp.WaitVisible(`#order-status`),
		into(chromedp.Evaluate[string](`location.pathname`), &orderPath),
	)
	oid, _ := strconv.ParseInt(strings.TrimPrefix(orderPath, "/service/orders/"), 10, 64)
	var order service.Order
	if st := ts.Call(admin, "GET", fmt.Sprintf("/api/v1/service-orders/%d", oid), nil, &order); st != 200 || len(order.Jobs) != 4 || order.Status != service.OrdPlaced {
		t.Fatalf("order %d: %d %+v", oid, st, order)
	}

	// 2. the county accepts it with a subsidy of 20 元/亩 and dispatches the township for a month
	var flash string
	browse("county_admin",
		chromedp.Navigate(ts.URL+orderPath),
		chromedp.WaitVisible(`#subsidy`),
		chromedp.SetValue(`#subsidy`, "20"),
		chromedp.Click(`form[action$="/accept"] button`),
		chromedp.WaitVisible(`.flash`),
		chromedp.Navigate(fmt.Sprintf("%s/service/dispatch?region=%s&from=2026-04-06&days=31", ts.URL, town)),
		chromedp.WaitVisible(`#run-dispatch`),
		chromedp.Click(`#run-dispatch`),
		// the solver runs for up to 3 s; poll the page for the result rather than holding a node across navigation
		waitJS(`document.querySelector('.flash') !== null && document.querySelectorAll('.tl .blk').length > 0`),
		into(chromedp.Evaluate[string](`document.querySelector('.flash').innerText`), &flash),
		shot("service-02-dispatch-phone"),
	)
	if !strings.Contains(flash, "调度完成") {
		t.Fatalf("dispatch flash %q", flash)
	}
	ts.Call(admin, "GET", fmt.Sprintf("/api/v1/service-orders/%d", oid), nil, &order)
	if order.Status != service.OrdDispatched {
		t.Fatalf("after dispatch: %s %+v", order.Status, order.Jobs)
	}

	// 3. the provider reports each job; the first with its GPS track
	var steps []chromedp.Action[chromedp.Void]
	for i, j := range order.Jobs {
		sel := fmt.Sprintf("#job-%d", j.ID)
		steps = append(steps, chromedp.Navigate(ts.URL+orderPath), chromedp.WaitVisible(sel), chromedp.SetAttributeValue(sel+" details", "open", ""))
		if i == 0 {
			steps = append(steps, chromedp.SetUploadFiles(fmt.Sprintf("#track-%d", j.ID), []string{trackFile}))
		}
		steps = append(steps, chromedp.Click(sel+` form button.primary`), chromedp.WaitVisible(`.flash`))
	}
	browse("provider", steps...)
	ts.Call(admin, "GET", fmt.Sprintf("/api/v1/service-orders/%d", oid), nil, &order)
	if order.Status != service.OrdCompleted || order.Jobs[0].TrackMu < 14.5 || order.Jobs[0].TrackFlag {
		t.Fatalf("after reports: %s %+v", order.Status, order.Jobs[0])
	}

	// 4. the farmer accepts; 5. the county settles and the amount shows
	browse("member",
		chromedp.Navigate(ts.URL+orderPath),
		chromedp.WaitVisible(`form[action$="/confirm"] button`),
		waitJS(`document.querySelectorAll('svg.track polygon').length === 1`), // the uploaded field outline is drawn
		shot("service-04-accept"),
		chromedp.Click(`form[action$="/confirm"] button`),
		chromedp.WaitVisible(`.flash`),
	)
	var settlement string
	browse("county_admin",
		chromedp.Navigate(ts.URL+orderPath),
		chromedp.WaitVisible(`form[action$="/settle"] button`),
		chromedp.Click(`form[action$="/settle"] button`),
		chromedp.WaitVisible(`#settlement`),
		into(chromedp.Text(`#settlement`), &settlement),
		shot("service-03-settled-phone"),
	)
	// amount: each job's plot area × its price; subsidy 20 元/亩 per job; all in 分, rounded half up per job
	area := int64(math.Round(plot.AreaMu * 100))
	var amount, subsidy int64
	for _, price := range []int64{8000, 7000, 1000, 8000} {
		amount += (area*price + 50) / 100
		subsidy += (area*2000 + 50) / 100
	}
	want := web.FormatYuanExact(amount - subsidy)
	if !strings.Contains(settlement, "应付 "+want+" 元") {
		t.Fatalf("settlement %q, want payable %s", settlement, want)
	}
}

// waitJS polls a JavaScript condition until it holds (or the browser's deadline ends the test).
func waitJS(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
			if err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
}
