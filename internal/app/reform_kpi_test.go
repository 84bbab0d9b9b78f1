package app_test

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"nongfu/internal/app"
	"nongfu/internal/demo"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/web"
	"nongfu/internal/platform/webtest"
)

// TestReformKPIsIndependent checks the reform room's own KPIs against independent counts over the demo data
// (the other rooms' KPIs are checked in plan_test.go): bases counted from the bases list, service co-ops (stand-in
// source) from the register, reported KPIs from the approved reports; then a department files a value, cannot
// approve it itself, the task force approves it, and the KPI moves at once (the cache follows the audit head).
func TestReformKPIsIndependent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := app.StartTest(t, d, 300)
		admin := s.Token("county_admin", demo.DemoPassword)
		county := s.Demo.County
		if len(county) == 6 {
			county += "000000"
		}
		kpis := func(region string) map[string]planKPI {
			var b planBoard
			if st := s.Call(admin, "GET", "/api/v1/plan/kpis?region="+region, nil, &b); st != 200 {
				t.Fatalf("kpis: %d", st)
			}
			by := map[string]planKPI{}
			for _, k := range b.Items {
				by[k.Key] = k
			}
			return by
		}
		var bases struct {
			Items []struct {
				T string `json:"type"`
				S string `json:"status"`
				R string `json:"region_code"`
			} `json:"items"`
		}
		if st := s.Call(admin, "GET", "/api/v1/digital-bases", nil, &bases); st != 200 {
			t.Fatalf("bases: %d", st)
		}
		count := func(prefix string) float64 {
			n := 0
			for _, b := range bases.Items {
				if b.T == "smart_agri" && b.S == "operating" && strings.HasPrefix(b.R, prefix) {
					n++
				}
			}
			return float64(n)
		}
		// 综合服务社 (service_coops) are the services room's operating carriers of level coop
		var coopList struct {
			Items []struct {
				RegionCode string `json:"region_code"`
				Status     string `json:"status"`
			} `json:"items"`
		}
		if st := s.Call(admin, "GET", "/api/v1/service-centers?per_page=1000&level=coop", nil, &coopList); st != 200 {
			t.Fatalf("service co-ops: %d", st)
		}
		coops := func(prefix string) float64 {
			n := 0
			for _, c := range coopList.Items {
				if c.Status == "operating" && strings.HasPrefix(c.RegionCode, prefix) {
					n++
				}
			}
			return float64(n)
		}
		// trained farmers: distinct people who attended, counted straight from the table
		var trained float64
		if err := s.DB.QueryRowContext(context.Background(), `SELECT COUNT(DISTINCT person_key) FROM training_enrolments WHERE attended = ?`, true).Scan(&trained); err != nil {
			t.Fatal(err)
		}
		by := kpis(county)
		// a township that has service co-ops, so the township figure is not trivially zero
		town := s.Demo.Townships[1]
		for _, tw := range s.Demo.Townships {
			if coops(tw[:9]) > 0 {
				town = tw
				break
			}
		}
		byTown := kpis(town)
		for _, c := range []struct {
			key       string
			got, want float64
			source    string
		}{
			{"smart_agri_bases", by["smart_agri_bases"].Actual, count(county[:6]), "computed"},
			{"smart_agri_bases@town", byTown["smart_agri_bases"].Actual, count(town[:9]), "computed"},
			{"service_coops", by["service_coops"].Actual, coops(county[:6]), "computed"},
			{"service_coops@town", byTown["service_coops"].Actual, coops(town[:9]), "computed"},
			{"trained_farmers", by["trained_farmers"].Actual, trained, "computed"},
		} {
			k := by[strings.Split(c.key, "@")[0]]
			if math.Abs(c.got-c.want) > 1e-9 || k.Source != c.source {
				t.Errorf("%s: %v (%s), independent %v (%s)", c.key, c.got, k.Source, c.want, c.source)
			}
		}
		if by["smart_agri_bases"].Actual == 0 || by["service_coops"].Actual == 0 || trained == 0 {
			t.Error("the demo should have built smart agriculture bases, 综合服务社 and trained farmers")
		}
		// the service scale and the reserve 贴息 come from their rooms now (their own tests count them independently)
		for _, key := range []string{"service_scale_mu_times", "interest_subsidy_yuan"} {
			if k := by[key]; k.Source != "computed" || k.Actual <= 0 {
				t.Errorf("%s: %+v, want a positive computed value", key, k)
			}
		}
		if by["service_scale_mu_times"].Actual < byTown["service_scale_mu_times"].Actual {
			t.Errorf("service scale: county %v below a township's %v", by["service_scale_mu_times"].Actual, byTown["service_scale_mu_times"].Actual)
		}

		// a department files a value with evidence; bad input is refused with field messages
		dep := s.Token("department", demo.DemoPassword)
		tf := s.Token("taskforce", demo.DemoPassword)
		c := &webtest.Client{T: t, URL: s.URL, Token: dep}
		st, body := c.JSON("POST", "/api/v1/indicator-reports", map[string]any{"indicator_key": reportedKPI, "region_code": county, "as_of": "2099-01-01", "value": "x"})
		if st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
			t.Fatalf("bad report: %d %v", st, body)
		}
		// the latest approved report by as-of date is the value; approval is the task force's, not the filer's
		file := func(asOf, value string) int64 {
			var rep struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			}
			if st := s.Call(dep, "POST", "/api/v1/indicator-reports", map[string]any{"indicator_key": reportedKPI, "region_code": county, "as_of": asOf,
				"value": value, "unit_name": "县农业农村委", "evidence_name": "入社农户名单.pdf", "evidence": []byte("%PDF-1.4 名单")}, &rep); st != 201 || rep.Status != "pending" {
				t.Fatalf("file report: %d %+v", st, rep)
			}
			return rep.ID
		}
		id := file(todayShanghai(), "58")
		if st := s.Call(dep, "POST", "/api/v1/indicator-reports/"+itoa(id)+"/review", map[string]any{"approve": true}, nil); st != 403 {
			t.Errorf("a department approving: %d, want 403", st)
		}
		if st := s.Call(tf, "POST", "/api/v1/indicator-reports/"+itoa(id)+"/review", map[string]any{"approve": true}, nil); st != 200 {
			t.Fatalf("approve: %d", st)
		}
		if got := kpis(county)[reportedKPI]; got.Actual != 58 || got.Source != "reported" {
			t.Errorf("after approval: %+v", got)
		}
		older := file("2025-06-30", "52")
		if st := s.Call(tf, "POST", "/api/v1/indicator-reports/"+itoa(older)+"/review", map[string]any{"approve": true}, nil); st != 200 {
			t.Fatalf("approve: %d", st)
		}
		if got := kpis(county)[reportedKPI].Actual; got != 58 {
			t.Errorf("an older approved report changed the KPI: 58 → %v", got)
		}
		// a new base built today moves the computed KPI at once (the cached rollup is dropped by the write)
		n := kpis(county)["smart_agri_bases"].Actual
		if st := s.Call(admin, "POST", "/api/v1/digital-bases", map[string]any{"name": "测试智慧农业基地", "type": "smart_agri", "level": "county", "status": "operating",
			"region_code": town, "established_on": todayShanghai()}, nil); st != 201 {
			t.Fatalf("create base: %d", st)
		}
		if got := kpis(county)["smart_agri_bases"].Actual; got != n+1 {
			t.Errorf("bases after a new one: %v, want %v", got, n+1)
		}
		// the change feed returns the new base after the catalogue's cursor
		var feed struct {
			Items []struct{ Entity string } `json:"items"`
			Next  int64                     `json:"next"`
		}
		if st := s.Call(admin, "GET", "/api/v1/exchange/figures?after=0&limit=1000", nil, &feed); st != 200 || len(feed.Items) == 0 || feed.Next == 0 {
			t.Fatalf("figures feed: %d %+v", st, feed.Next)
		}
		var subj struct {
			Items []struct{ Cursor int64 } `json:"items"`
			Next  int64                    `json:"next"`
		}
		if st := s.Call(admin, "GET", "/api/v1/exchange/subjects?after=0&limit=50", nil, &subj); st != 200 || len(subj.Items) == 0 || subj.Next == 0 {
			t.Fatalf("subjects feed: %d %+v", st, subj)
		}
		if st := s.Call(s.Token("township_operator", demo.DemoPassword), "GET", "/api/v1/exchange/subjects?after=0", nil, nil); st != 403 {
			t.Errorf("township operator on the exchange: %d, want 403", st)
		}
		// the same permissions on the 驾驶舱 and its drill-down: a township operator sees its own township only
		op := s.Token("township_operator", demo.DemoPassword)
		var mine struct {
			Region   string `json:"region"`
			Children []struct {
				Code string `json:"code"`
			} `json:"children"`
			Items []planKPI `json:"items"`
		}
		if st := s.Call(op, "GET", "/api/v1/dashboard", nil, &mine); st != 200 || mine.Region == county || len(mine.Children) == 0 || len(mine.Items) < 18 {
			t.Fatalf("township operator's dashboard: %d %s %d children", st, mine.Region, len(mine.Children))
		}
		if st := s.Call(op, "GET", "/api/v1/dashboard?region="+county, nil, nil); st != 403 {
			t.Errorf("township operator on the county: %d, want 403", st)
		}
		other := s.Demo.Townships[0]
		if other == mine.Region {
			other = s.Demo.Townships[1]
		}
		if st := s.Call(op, "GET", "/api/v1/dashboard/drill?kpi=service_coops&region="+other, nil, nil); st != 403 {
			t.Errorf("township operator drilling into another township: %d, want 403", st)
		}
		var drill struct {
			Listed bool `json:"listed"`
			Total  int  `json:"total"`
		}
		if st := s.Call(admin, "GET", "/api/v1/dashboard/drill?kpi=service_coops&region="+town, nil, &drill); st != 200 || !drill.Listed || float64(drill.Total) != byTown["service_coops"].Actual {
			t.Errorf("drill-down list %d %+v, KPI %v", st, drill, byTown["service_coops"].Actual)
		}
		if st := s.Call(s.Token("viewer", demo.DemoPassword), "POST", "/api/v1/digital-bases", map[string]any{"name": "x", "type": "smart_agri", "level": "county",
			"status": "planning", "region_code": town}, nil); st != 403 {
			t.Errorf("viewer registering a base: %d, want 403", st)
		}
		// bulk export of the table
		if st, b := (&webtest.Client{T: t, URL: s.URL, Token: admin}).Raw("GET", "/api/v1/dashboard/table?format=csv&region="+county, "", nil); st != 200 || !strings.Contains(string(b), town) {
			t.Errorf("csv export: %d", st)
		}
	})
}

// reportedKPI is a plan KPI no room measures (the share of willing households in cooperative organisations): it
// takes the approved reported values.
const reportedKPI = "willing_households_in_coops_pct"

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func todayShanghai() string { return time.Now().In(web.Shanghai).Format("2006-01-02") }
