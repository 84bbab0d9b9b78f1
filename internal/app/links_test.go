package app_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"nongfu/internal/app"
	"nongfu/internal/demo"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
)

// The credit room reads the other rooms through the app's adapters: a subject's trusteeship history shows in its
// credit file, and a signed order contract of the market room is seen as pledgeable with its receivable.
func TestCreditReadsOtherRooms(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := app.StartTest(t, d, 150)
		ctx := context.Background()
		var subject int64
		if err := s.DB.QueryRowContext(ctx, `SELECT subject_id FROM service_orders WHERE status = 'settled' ORDER BY id LIMIT 1`).Scan(&subject); err != nil {
			t.Fatalf("a settled trusteeship order in the demo: %v", err)
		}
		admin := s.Token("county_admin", demo.DemoPassword)
		var file json.RawMessage
		if st := s.Call(admin, "GET", "/api/v1/credit-files/"+strconv.FormatInt(subject, 10), nil, &file); st != 200 {
			t.Fatalf("credit file: %d", st)
		}
		if !strings.Contains(string(file), "托管服务完成订单数") || !strings.Contains(string(file), "社会化服务模块") {
			t.Errorf("credit file of %d lacks the services room's facts: %.600s", subject, file)
		}
		facts, err := s.Services.SubjectFacts(ctx, subject)
		if err != nil || len(facts) == 0 || facts[0].Number < 1 {
			t.Errorf("service facts of %d: %v %v", subject, facts, err)
		}

		var contract, seller int64
		if err := s.DB.QueryRowContext(ctx, `SELECT id, seller_id FROM market_contracts WHERE status = 'signed' ORDER BY id LIMIT 1`).Scan(&contract, &seller); err != nil {
			t.Fatalf("a signed order contract in the demo: %v", err)
		}
		c, err := s.Credit.Contracts.PledgeableContract(ctx, contract)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Signed || c.ID != contract || c.SellerID != seller || c.AmountFen <= 0 || c.ReceivableFen < 0 || c.ReceivableFen > c.AmountFen {
			t.Errorf("pledgeable view of contract %d: %+v", contract, c)
		}
	})
}

// The dashboard shows the plan's tasks by status from the supervision room: 34 tasks at the county, none for a
// township (the tasks are the county's).
func TestDashboardShowsTaskStatus(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 100)
	taskforce := s.Token("taskforce", demo.DemoPassword)
	var d struct {
		Status []struct {
			Status string `json:"status"`
			Count  int    `json:"count"`
		} `json:"task_status"`
	}
	if st := s.Call(taskforce, "GET", "/api/v1/dashboard", nil, &d); st != 200 {
		t.Fatalf("dashboard: %d", st)
	}
	n, lagging := 0, 0
	for _, x := range d.Status {
		n += x.Count
		if x.Status == "lagging" {
			lagging = x.Count
		}
	}
	if n != 34 || lagging == 0 {
		t.Errorf("task status on the dashboard: %+v (want 34 tasks, the demo's lagging one among them)", d.Status)
	}
	d.Status = nil
	if st := s.Call(taskforce, "GET", "/api/v1/dashboard?region="+s.Demo.Townships[0], nil, &d); st != 200 || len(d.Status) != 0 {
		t.Errorf("township dashboard: %d %+v", st, d.Status)
	}
}
