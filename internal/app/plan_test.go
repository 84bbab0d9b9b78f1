package app_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"nongfu/internal/app"
	"nongfu/internal/demo"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
)

type planKPI struct {
	Key     string             `json:"key"`
	Actual  float64            `json:"actual"`
	Targets map[string]float64 `json:"targets"`
	Source  string             `json:"source"`
	Error   string             `json:"error"`
}

type planBoard struct {
	Region string    `json:"region"`
	Items  []planKPI `json:"items"`
}

// TestPlanKPIsEqualIndependentCounts: every computed KPI of the plan equals a count made independently through the
// rooms' own APIs, for the county and for a township.
var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

func TestPlanKPIsEqualIndependentCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := app.StartTest(t, d, 200)
		admin := s.Token("county_admin", demo.DemoPassword)

		// independent counts through the rooms' APIs
		var feds struct {
			Items []struct {
				Level      string `json:"level"`
				RegionCode string `json:"region_code"`
				Status     string `json:"status"`
			} `json:"items"`
		}
		if st := s.Call(admin, "GET", "/api/v1/federations?per_page=500", nil, &feds); st != 200 {
			t.Fatalf("federations: %d", st)
		}
		fedCount := func(prefix, level string) float64 {
			n := 0
			for _, f := range feds.Items {
				if f.Status == "active" && strings.HasPrefix(f.RegionCode, prefix) && (level == "" || f.Level == level) {
					n++
				}
			}
			return float64(n)
		}
		members := func(township string) float64 {
			seen := map[int64]bool{}
			for page := 1; ; page++ {
				var l struct {
					Items []struct {
						SubjectID int64 `json:"subject_id"`
					} `json:"items"`
					Total int `json:"total"`
				}
				path := fmt.Sprintf("/api/v1/memberships?status=approved&per_page=500&page=%d", page)
				if township != "" {
					path += "&township=" + township
				}
				if st := s.Call(admin, "GET", path, nil, &l); st != 200 {
					t.Fatalf("memberships: %d", st)
				}
				for _, m := range l.Items {
					seen[m.SubjectID] = true
				}
				if page*500 >= l.Total {
					break
				}
			}
			return float64(len(seen))
		}
		credit := func(prefix string) float64 {
			var fen int64
			for page := 1; ; page++ {
				var l struct {
					Items []struct {
						RegionCode  string `json:"region_code"`
						Status      string `json:"status"`
						Amount      int64  `json:"amount"`
						DisbursedOn string `json:"disbursed_on"`
					} `json:"items"`
					Total int `json:"total"`
				}
				if st := s.Call(admin, "GET", fmt.Sprintf("/api/v1/loans?per_page=500&page=%d", page), nil, &l); st != 200 {
					t.Fatalf("loans: %d", st)
				}
				for _, x := range l.Items {
					switch x.Status {
					case "disbursed", "settled", "written_off":
						if x.DisbursedOn != "" && strings.HasPrefix(x.RegionCode, prefix) {
							fen += x.Amount
						}
					}
				}
				if page*500 >= l.Total {
					break
				}
			}
			return float64(fen) / 100
		}

		// nodes counts active supply nodes of a kind through the supply room's API
		nodes := func(kind, township string) float64 {
			var l struct {
				Items []struct {
					Status string `json:"status"`
				} `json:"items"`
				Total int `json:"total"`
			}
			path := "/api/v1/supply/nodes?per_page=500&status=active&kind=" + kind
			if township != "" {
				path += "&township=" + township
			}
			if st := s.Call(admin, "GET", path, nil, &l); st != 200 {
				t.Fatalf("supply nodes: %d", st)
			}
			return float64(l.Total)
		}

		// centers counts operating county and township centers through the service room's API
		centers := func(prefix string, levels ...string) float64 {
			if len(levels) == 0 {
				levels = []string{"county", "township"}
			}
			n := 0
			for _, level := range levels {
				var l struct {
					Items []struct {
						RegionCode string `json:"region_code"`
						Status     string `json:"status"`
					} `json:"items"`
				}
				if st := s.Call(admin, "GET", "/api/v1/service-centers?per_page=500&level="+level, nil, &l); st != 200 {
					t.Fatalf("service centers: %d", st)
				}
				for _, c := range l.Items {
					if c.Status == "operating" && strings.HasPrefix(c.RegionCode, prefix) {
						n++
					}
				}
			}
			return float64(n)
		}
		// signed counts distinct subjects with a contract in force today
		signed := func(prefix string) float64 {
			today := time.Now().In(shanghai).Format("2006-01-02")
			seen := map[int64]bool{}
			for page := 1; ; page++ {
				var l struct {
					Items []struct {
						SubjectID  int64  `json:"subject_id"`
						RegionCode string `json:"region_code"`
						From       string `json:"from"`
						To         string `json:"to"`
						Status     string `json:"status"`
					} `json:"items"`
					Total int `json:"total"`
				}
				if st := s.Call(admin, "GET", fmt.Sprintf("/api/v1/service-contracts?per_page=500&page=%d", page), nil, &l); st != 200 {
					t.Fatalf("service contracts: %d", st)
				}
				for _, c := range l.Items {
					if c.Status == "active" && c.From <= today && c.To >= today && strings.HasPrefix(c.RegionCode, prefix) {
						seen[c.SubjectID] = true
					}
				}
				if page*500 >= l.Total {
					break
				}
			}
			return float64(len(seen))
		}

		county := s.Demo.County
		if len(county) == 6 {
			county += "000000"
		}
		town := s.Demo.Townships[5]
		for _, c := range []struct {
			region string
			want   map[string]float64
		}{
			{"", map[string]float64{
				"federations": float64(len(feds.Items)), "county_federations": fedCount("", "county"), "township_federations": fedCount("", "township"),
				"industry_federations": fedCount("", "industry"), "members": members(""), "service_coops": centers("", "coop"),
				"credit_leveraged_yuan": credit(""), "outlets": nodes("outlet", ""), "stations": nodes("station", ""),
				"service_centers": centers(""), "signed_subjects": signed(""),
			}},
			{town, map[string]float64{
				"federations": fedCount(town[:9], ""), "township_federations": fedCount(town[:9], "township"), "members": members(town),
				"service_coops": centers(town[:9], "coop"), "credit_leveraged_yuan": credit(town[:9]),
				"outlets": nodes("outlet", town), "stations": nodes("station", town),
				"service_centers": centers(town[:9]), "signed_subjects": signed(town[:9]),
			}},
		} {
			var b planBoard
			path := "/api/v1/plan/kpis"
			if c.region != "" {
				path += "?region=" + c.region
			}
			if st := s.Call(admin, "GET", path, nil, &b); st != 200 {
				t.Fatalf("%s: %d", path, st)
			}
			if c.region == "" && b.Region != county {
				t.Errorf("default region %s, want the admin's county %s", b.Region, county)
			}
			by := map[string]planKPI{}
			computed := 0
			for _, k := range b.Items {
				by[k.Key] = k
				if k.Source == "computed" {
					computed++
				}
				if k.Error != "" {
					t.Errorf("%s %s: %s", path, k.Key, k.Error)
				}
			}
			// rooms only ever add sources: at least the KPIs the test counts independently, plus 示范社 and the others
			if computed < 12 {
				t.Errorf("%s: %d computed KPIs, want at least 12", path, computed)
			}
			for key, want := range c.want {
				k := by[key]
				if k.Source != "computed" || math.Abs(k.Actual-want) > 1e-6 {
					t.Errorf("%s %s: %v (%s), independent count %v", path, key, k.Actual, k.Source, want)
				}
			}
			if c.region == "" {
				if by["federations"].Targets["2027"] != 13 || len(feds.Items) == 0 {
					t.Errorf("federations: %+v", by["federations"])
				}
				if by["members"].Actual == 0 || by["credit_leveraged_yuan"].Actual == 0 || by["service_coops"].Actual == 0 {
					t.Errorf("the demo should give non-zero members, credit and service co-ops: %+v", by)
				}
			}
		}
		// the page renders for the task force and on the township drill-down
		tf := s.Token("taskforce", demo.DemoPassword)
		var b planBoard
		if st := s.Call(tf, "GET", "/api/v1/plan/kpis", nil, &b); st != 200 || len(b.Items) < 14 {
			t.Errorf("task force: %d, %d KPIs", st, len(b.Items))
		}
	})
}
