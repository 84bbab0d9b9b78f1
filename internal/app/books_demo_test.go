package app_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"nongfu/internal/app"
	"nongfu/internal/books"
	"nongfu/internal/demo"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/web"
)

// TestBooksDemoConsistent: in the demo, through the API, every book's member capital equals its 股金 balance, last
// year's distribution returned at least 60 % and its parts equal the member accounts, one book can still run the
// wizard, and the plan's 示范社 KPI equals the live count of the 示范社 screen.
func TestBooksDemoConsistent(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 200)
	admin := s.Token("county_admin", demo.DemoPassword)
	last := time.Now().In(web.Shanghai).Year() - 1
	var list struct {
		Items []books.Book `json:"items"`
	}
	if st := s.Call(admin, "GET", "/api/v1/books", nil, &list); st != 200 || len(list.Items) != 12 {
		t.Fatalf("books: %d %d", st, len(list.Items))
	}
	undistributed, withMembers := 0, 0
	var capitalAll float64
	for _, b := range list.Items {
		var members struct {
			Items []books.MemberAccount `json:"items"`
		}
		if st := s.Call(admin, "GET", fmt.Sprintf("/api/v1/books/%d/members?year=%d", b.ID, last+1), nil, &members); st != 200 {
			t.Fatalf("members of %s: %d", b.Name, st)
		}
		if len(members.Items) == 0 {
			continue
		}
		withMembers++
		var capital, returned, rest int64
		var lastYear struct {
			Items []books.MemberAccount `json:"items"`
		}
		s.Call(admin, "GET", fmt.Sprintf("/api/v1/books/%d/members?year=%d", b.ID, last), nil, &lastYear)
		for i, m := range members.Items {
			capital += m.Capital
			returned += lastYear.Items[i].Returned
			rest += lastYear.Items[i].Rest
		}
		capitalAll += float64(capital) / 100
		var tb books.TrialBalance
		s.Call(admin, "GET", fmt.Sprintf("/api/v1/books/%d/trial-balance?period=%s", b.ID, time.Now().In(web.Shanghai).Format("2006-01")), nil, &tb)
		var gj int64
		for _, r := range tb.Rows {
			if r.Code == "3001" {
				gj = r.ClosingCredit
			}
		}
		if gj != capital {
			t.Errorf("%s: 股金 %d, member capital %d", b.Name, gj, capital)
		}
		var ds struct {
			Items []books.Distribution `json:"items"`
		}
		s.Call(admin, "GET", fmt.Sprintf("/api/v1/books/%d/distributions", b.ID), nil, &ds)
		if len(ds.Items) == 0 {
			undistributed++
			var plan books.Distribution
			if st := s.Call(admin, "GET", fmt.Sprintf("/api/v1/books/%d/distribution-plan?year=%d&reserve=0&return_pct=60", b.ID, last), nil, &plan); st != 200 ||
				plan.ByVolume*100 < 60*plan.Distributable {
				t.Errorf("%s: wizard plan %d %+v", b.Name, st, plan)
			}
			var done books.Distribution
			if st := s.Call(admin, "POST", fmt.Sprintf("/api/v1/books/%d/distributions", b.ID), map[string]any{"year": last, "reserve": 10000, "return_pct": 60}, &done); st != 201 ||
				done.Voucher == 0 || done.ByVolume+done.ByShares != done.Distributable {
				t.Errorf("%s: wizard run %d %+v", b.Name, st, done)
			}
			continue
		}
		d := ds.Items[0]
		if d.ByVolume*100 < 60*d.Distributable || d.ByVolume != returned || d.ByShares != rest {
			t.Errorf("%s: distribution %+v, member returns %d rest %d", b.Name, d, returned, rest)
		}
	}
	if withMembers < 6 || undistributed != 1 {
		t.Errorf("books with members %d, undistributed %d", withMembers, undistributed)
	}
	var sum books.ExemplarySummary
	if st := s.Call(admin, "GET", "/api/v1/exemplary/summary", nil, &sum); st != 200 || sum.Total == 0 {
		t.Fatalf("exemplary summary: %d %+v", st, sum)
	}
	var board planBoard
	s.Call(admin, "GET", "/api/v1/plan/kpis", nil, &board)
	for _, k := range board.Items {
		if k.Key == "demo_coops" && (k.Source != "computed" || k.Actual != float64(sum.Total)) {
			t.Errorf("plan 示范社 %+v, screen %d", k, sum.Total)
		}
	}
	t.Logf("示范社 %d (by level %v), share capital %.2f 元", sum.Total, sum.ByLevel, capitalAll)
	if math.IsNaN(capitalAll) || capitalAll <= 0 {
		t.Errorf("share capital %v", capitalAll)
	}
}
