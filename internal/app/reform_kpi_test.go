package app_test

import (
	"math"
	"net/http"
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
		subjects := func(prefix string) float64 {
			var l struct{ Total int }
			if st := s.Call(admin, "GET", "/api/v1/subjects?kind=service_coop&per_page=1&region_code="+prefix, nil, &l); st != 200 {
				t.Fatalf("subjects: %d", st)
			}
			return float64(l.Total)
		}
		by := kpis(county)
		// a township that has service co-ops, so the township figure is not trivially zero
		town := s.Demo.Townships[1]
		for _, tw := range s.Demo.Townships {
			if subjects(tw) > 0 {
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
			{"service_coops", by["service_coops"].Actual, subjects(county), "computed"},
			{"service_coops@town", byTown["service_coops"].Actual, subjects(town), "computed"},
			{"trained_farmers", by["trained_farmers"].Actual, 1862, "reported"},
			{"interest_subsidy_yuan", by["interest_subsidy_yuan"].Actual, 100000, "reported"},
		} {
			k := by[strings.Split(c.key, "@")[0]]
			if math.Abs(c.got-c.want) > 1e-9 || k.Source != c.source {
				t.Errorf("%s: %v (%s), independent %v (%s)", c.key, c.got, k.Source, c.want, c.source)
			}
		}
		if by["smart_agri_bases"].Actual == 0 {
			t.Error("the demo should have built smart agriculture bases")
		}
		// the service scale is reported by township: the county is their sum, a township its own report
		var reps struct {
			Items []struct {
				IndicatorKey string  `json:"indicator_key"`
				RegionCode   string  `json:"region_code"`
				Value        float64 `json:"value"`
				Status       string  `json:"status"`
			} `json:"items"`
		}
		if st := s.Call(admin, "GET", "/api/v1/indicator-reports?indicator=service_scale_mu_times&per_page=500", nil, &reps); st != 200 {
			t.Fatalf("reports: %d", st)
		}
		var sum, own float64
		for _, r := range reps.Items {
			if r.Status == "approved" {
				sum += r.Value
				if r.RegionCode == town {
					own += r.Value
				}
			}
		}
		if got := by["service_scale_mu_times"].Actual; got != sum || sum == 0 {
			t.Errorf("service scale %v, sum of township reports %v", got, sum)
		}
		if got := byTown["service_scale_mu_times"].Actual; got != own {
			t.Errorf("township service scale %v, its report %v", got, own)
		}

		// a department files a value with evidence; bad input is refused with field messages
		dep := s.Token("department", demo.DemoPassword)
		tf := s.Token("taskforce", demo.DemoPassword)
		c := &webtest.Client{T: t, URL: s.URL, Token: dep}
		st, body := c.JSON("POST", "/api/v1/indicator-reports", map[string]any{"indicator_key": "demo_coops", "region_code": county, "as_of": "2099-01-01", "value": "x"})
		if st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
			t.Fatalf("bad report: %d %v", st, body)
		}
		var rep struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		}
		if st := s.Call(dep, "POST", "/api/v1/indicator-reports", map[string]any{"indicator_key": "demo_coops", "region_code": county, "as_of": "2025-06-30",
			"value": "52", "unit_name": "县农业农村委", "evidence_name": "示范社名单.pdf", "evidence": []byte("%PDF-1.4 名单")}, &rep); st != 201 || rep.Status != "pending" {
			t.Fatalf("file report: %d %+v", st, rep)
		}
		if st := s.Call(dep, "POST", "/api/v1/indicator-reports/"+itoa(rep.ID)+"/review", map[string]any{"approve": true}, nil); st != 403 {
			t.Errorf("a department approving: %d, want 403", st)
		}
		before := kpis(county)["demo_coops"].Actual
		if st := s.Call(tf, "POST", "/api/v1/indicator-reports/"+itoa(rep.ID)+"/review", map[string]any{"approve": true}, nil); st != 200 {
			t.Fatalf("approve: %d", st)
		}
		// the seeded report (as of last month) is later than 2025-06-30, so the KPI keeps it; a later one wins
		if got := kpis(county)["demo_coops"].Actual; got != before {
			t.Errorf("an older approved report changed the KPI: %v → %v", before, got)
		}
		if st := s.Call(dep, "POST", "/api/v1/indicator-reports", map[string]any{"indicator_key": "demo_coops", "region_code": county, "as_of": todayShanghai(),
			"value": "58", "unit_name": "县农业农村委", "evidence_name": "名单.txt", "evidence": []byte("名单")}, &rep); st != 201 {
			t.Fatalf("file report: %d", st)
		}
		if st := s.Call(tf, "POST", "/api/v1/indicator-reports/"+itoa(rep.ID)+"/review", map[string]any{"approve": true}, nil); st != 200 {
			t.Fatalf("approve: %d", st)
		}
		if got := kpis(county)["demo_coops"]; got.Actual != 58 || got.Source != "reported" {
			t.Errorf("after approval: %+v", got)
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

func todayShanghai() string { return time.Now().In(web.Shanghai).Format("2006-01-02") }
