package app_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"nongfu/internal/app"
	"nongfu/internal/platform/dbtest"
)

// TestBrowserDashboardDrillDown walks the 驾驶舱 from the county to a township, to a village, to the list of
// subjects behind a number, on a desktop and a phone.
func TestBrowserDashboardDrillDown(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 200)
	town := s.Regions.Children(s.Demo.Townships[0][:6] + "000000")[0]
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1920, 1080}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			ctx, cancel := newBrowser(t, size.width, size.height)
			defer cancel()
			var head, body string
			run(t, ctx, "county dashboard",
				login(s.URL, "county_admin"),
				chromedp.Navigate(s.URL+"/dashboard?kpi=service_coops"),
				chromedp.WaitVisible(`#cards`),
				chromedp.WaitVisible(`#map svg polygon`),
				shot("reform-dashboard-"+size.name),
				into(chromedp.Text(`#cards`), &body),
			)
			if !strings.Contains(body, "农合联") || !strings.Contains(body, "2027年目标") || !strings.Contains(body, "填报") {
				t.Fatalf("cards: %q", body[:min(300, len(body))])
			}
			run(t, ctx, "township by the table",
				chromedp.Click(`#children a[href="/dashboard?region=`+town.Code+`&kpi=service_coops"]`),
				chromedp.WaitVisible(`#up`),
				into(chromedp.Text(`h1`), &head),
				shot("reform-township-"+size.name),
			)
			if !strings.Contains(head, town.Name) {
				t.Fatalf("township heading %q, want %s", head, town.Name)
			}
			// the village's service co-ops: the subjects behind the number, as the register lists them
			village := s.Regions.Children(town.Code)[0]
			run(t, ctx, "village list behind the number",
				chromedp.Click(`#children a[href="/dashboard/drill?region=`+village.Code+`&kpi=federations"]`),
				chromedp.WaitVisible(`h1`),
				into(chromedp.Text(`h1`), &head),
				chromedp.Navigate(s.URL+"/dashboard/drill?region="+town.Code+"&kpi=service_coops"),
				chromedp.WaitVisible(`#drill`),
				into(chromedp.Text(`#drill`), &body),
				shot("reform-drill-"+size.name),
			)
			if !strings.Contains(head, village.Name) || !strings.Contains(head, "农合联") {
				t.Fatalf("village drill heading %q", head)
			}
			if !strings.Contains(body, "综合服务社") {
				t.Fatalf("drill list: %q", body[:min(300, len(body))])
			}
			run(t, ctx, "digital map",
				chromedp.Navigate(s.URL+"/digital-map"),
				chromedp.WaitVisible(`#digital-map svg`),
				shot("reform-map-"+size.name),
			)
		})
	}
}
