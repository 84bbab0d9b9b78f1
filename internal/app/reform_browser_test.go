package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nongfu/internal/app"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/web"
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

// TestBrowserReportedValue: a department files a reported value with its evidence file from the form, the task
// force approves it on the review list, and the KPI card shows it.
func TestBrowserReportedValue(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 200)
	ctx, cancel := newBrowser(t, 1280, 900)
	defer cancel()
	evidence := filepath.Join(t.TempDir(), "入社农户名单.txt")
	if err := os.WriteFile(evidence, []byte("入社农户名单（测试）"), 0o644); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(web.Shanghai).Format("2006-01-02")
	var body string
	run(t, ctx, "department files a value",
		login(s.URL, "department"),
		chromedp.Navigate(s.URL+"/indicators/reports?indicator=willing_households_in_coops_pct"),
		chromedp.WaitVisible(`#r-indicator`),
		chromedp.SetValue(`#r-indicator`, "willing_households_in_coops_pct"),
		chromedp.SetValue(`#r-asof`, today),
		chromedp.SendKeys(`#r-value`, "61"),
		chromedp.SendKeys(`#r-unit`, "县农业农村委"),
		chromedp.SetUploadFiles(`#r-evidence`, []string{evidence}),
		chromedp.Click(`#submit-report`),
		chromedp.WaitVisible(`.flash`),
		shot("reform-reports-filed"),
	)
	ctx2, cancel2 := newBrowser(t, 1280, 900)
	defer cancel2()
	run(t, ctx2, "task force approves",
		login(s.URL, "taskforce"),
		chromedp.Navigate(s.URL+"/indicators/reports?status=pending"),
		chromedp.WaitVisible(`#report-list button[value=approve]`),
		chromedp.Click(`#report-list button[value=approve]`),
		chromedp.WaitVisible(`.flash`),
		chromedp.Navigate(s.URL+"/dashboard"),
		chromedp.WaitVisible(`#kpi-willing_households_in_coops_pct`),
		into(chromedp.Text(`#kpi-willing_households_in_coops_pct`), &body),
		chromedp.Navigate(s.URL+"/indicators/willing_households_in_coops_pct"),
		chromedp.WaitVisible(`#definition`),
		shot("reform-indicator"),
	)
	if !strings.Contains(body, "61") || !strings.Contains(body, "填报截至 "+today) {
		t.Fatalf("card after approval: %q", body)
	}
}
