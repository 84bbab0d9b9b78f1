package supply_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/webtest"
	"nongfu/internal/supply"
)

// TestHTTPFlows drives the pages and the JSON API of pools, routes, reserves and prices on the demo data, for
// each role: pages render, refusals are 4xx with Chinese field messages and write nothing, the OpenAPI lists
// every operation.
func TestHTTPFlows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		var towns []string
		for _, tw := range e.Towns {
			towns = append(towns, tw.Code)
		}
		var hh []int64
		for i := range 12 {
			hh = append(hh, e.Create(e.Household("户"+string(rune('甲'+i)), e.Village(i%len(e.Towns)))).ID)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := e.svc.SeedDemo(ctx, tx, towns, nil); err != nil {
				return err
			}
			return e.svc.SeedFlows(ctx, tx, hh)
		}); err != nil {
			t.Fatal(err)
		}
		site := webtest.Start(t, d, e.svc.Routes)
		admin := site.User(auth.NewUser{Username: "admin", Role: auth.CountyAdmin, Scopes: []string{county}})
		op := site.User(auth.NewUser{Username: "op", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}})
		viewer := site.User(auth.NewUser{Username: "viewer", Role: auth.Viewer, Scopes: []string{county}})
		member := site.User(auth.NewUser{Username: "farmer", Role: auth.Member, SubjectID: hh[5]})
		bank := site.User(auth.NewUser{Username: "bank", Role: auth.Bank, Scopes: []string{county}})

		pools, _ := e.svc.ListPools(ctx, e.Admin, "")
		var open, closed *supply.Pool
		for _, p := range pools {
			if p.Status == supply.PoolOpen {
				open = p
			} else {
				closed = p
			}
		}
		plans, _ := e.svc.ListPlans(ctx, e.Admin, mustNode(t, e, supply.KindCountyWarehouse).ID)
		pages := map[string]string{"/supply/pools": "春耕农资集采", fmt.Sprintf("/supply/pools/%d", closed.ID): "账平",
			fmt.Sprintf("/supply/pools/%d", open.ID): "代录需求", "/supply/routes": "配送单", fmt.Sprintf("/supply/plans/%d", plans[0].ID): "<svg",
			fmt.Sprintf("/supply/plans/%d/sheet?route=1", plans[0].ID): "配送跑单", "/supply/reserve": "低于安全库存", "/supply/prices": "周环比"}
		for path, want := range pages {
			if st, html := admin.Page(path); st != 200 || !strings.Contains(html, want) {
				t.Errorf("admin %s: %d, wants %q", path, st, want)
			}
		}
		for _, path := range []string{"/supply/routes", "/supply/reserve", "/supply/prices", fmt.Sprintf("/supply/pools/%d", closed.ID)} {
			if st, _ := viewer.Page(path); st != 200 {
				t.Errorf("viewer %s: %d", path, st)
			}
		}
		if st, html := member.Page(fmt.Sprintf("/supply/pools/%d", open.ID)); st != 200 || !strings.Contains(html, "我要报需求") || strings.Contains(html, "对账") {
			t.Errorf("member's open pool page: %d", st)
		}
		for _, path := range []string{"/supply/routes", "/supply/reserve"} {
			if st, _ := member.Page(path); st != 403 {
				t.Errorf("member %s: %d", path, st)
			}
		}
		if st, _ := bank.Page("/supply/pools"); st != 403 {
			t.Errorf("bank pools: %d", st)
		}
		// a member places demand through the page; a bad quantity is a 422 that writes nothing
		before := e.count("supply_pool_demands")
		item := fmt.Sprint(open.Items[0].ID)
		node := fmt.Sprint(mustPoolNode(t, e, open.ID))
		if st, html := member.Form("POST", fmt.Sprintf("/supply/pools/%d/demand", open.ID), url.Values{"item_id": {item}, "node_id": {node}, "qty": {"1.5"}}); st != 422 || !strings.Contains(html, "数量须为整数") {
			t.Errorf("fractional demand: %d", st)
		}
		if n := e.count("supply_pool_demands"); n != before {
			t.Errorf("refused demand wrote %d", n-before)
		}
		if st, _ := member.Form("POST", fmt.Sprintf("/supply/pools/%d/demand", open.ID), url.Values{"item_id": {item}, "node_id": {node}, "qty": {"6"}}); st != 303 {
			t.Errorf("member demand: %d", st)
		}
		if st, body := member.JSON("GET", fmt.Sprintf("/api/v1/supply/pools/%d/demands", open.ID), nil); st != 200 || body["total"].(float64) < 1 {
			t.Errorf("member's demands: %d %v", st, body)
		}
		// API refusals
		st, body := admin.JSON("POST", "/api/v1/supply/pools", map[string]any{"name": "", "hub_node_id": 0})
		if st != 422 || !strings.Contains(fmt.Sprint(body), "请填写批次名称") {
			t.Errorf("bad pool: %d %v", st, body)
		}
		if st, _ = op.JSON("POST", "/api/v1/supply/pools", map[string]any{"name": "x"}); st != 403 {
			t.Errorf("operator opens pool: %d", st)
		}
		if st, _ = viewer.JSON("POST", fmt.Sprintf("/api/v1/supply/pools/%d/close", open.ID), nil); st != 403 {
			t.Errorf("viewer closes: %d", st)
		}
		if st, body = admin.JSON("GET", fmt.Sprintf("/api/v1/supply/pools/%d/reconciliation", closed.ID), nil); st != 200 || body["balanced"] != true {
			t.Errorf("reconciliation: %d %v", st, body)
		}
		if st, _ = member.JSON("GET", fmt.Sprintf("/api/v1/supply/pools/%d/reconciliation", closed.ID), nil); st != 403 && st != 404 {
			t.Errorf("member reconciliation: %d", st)
		}
		beforeC := e.count("supply_reserve_contracts")
		st, body = admin.JSON("POST", "/api/v1/supply/reserve/contracts", map[string]any{"no": "", "principal_fen": -1, "rate_ppm": 0, "ratio_bp": 20000})
		if st != 422 || !strings.Contains(fmt.Sprint(body), "贴息比例") || e.count("supply_reserve_contracts") != beforeC {
			t.Errorf("bad contract: %d %v", st, body)
		}
		if st, html := admin.Form("POST", "/supply/reserve/budget", url.Values{"year": {"2030"}, "budget_yuan": {"5000"}}); st != 422 || !strings.Contains(html, "不少于 10 万元") {
			t.Errorf("small budget form: %d", st)
		}
		if st, _ = viewer.JSON("POST", "/api/v1/supply/prices/reports", map[string]any{"item_id": 1, "point_id": 1, "price_fen": 100}); st != 403 && st != 422 {
			t.Errorf("viewer reports a price: %d", st)
		}
		st, body = admin.JSON("GET", "/api/v1/supply/prices/alerts", nil)
		if st != 200 || body["total"].(float64) == 0 {
			t.Errorf("alerts: %d %v", st, body)
		}
		if st, raw := viewer.Raw("GET", "/supply/prices/export.xlsx", "", nil); st != 200 || !strings.HasPrefix(string(raw), "PK") {
			t.Errorf("export: %d", st)
		}
		if st, body = admin.JSON("POST", "/api/v1/supply/plans", map[string]any{"node_id": mustNode(t, e, supply.KindCountyWarehouse).ID, "vehicles": 0}); st != 422 || !strings.Contains(fmt.Sprint(body), "车辆数") {
			t.Errorf("bad plan: %d %v", st, body)
		}
		doc := site.Server.API.Document()
		paths := doc["paths"].(map[string]map[string]any)
		for _, p := range []string{"/api/v1/supply/pools", "/api/v1/supply/pools/{id}/demands", "/api/v1/supply/orders/{id}/receive", "/api/v1/supply/pools/{id}/allocate",
			"/api/v1/supply/demands/{id}/handover", "/api/v1/supply/pools/{id}/reconciliation", "/api/v1/supply/plans", "/api/v1/supply/plans/{id}/routes/{route}/stops/{seq}",
			"/api/v1/supply/shipments", "/api/v1/supply/reserve/plans", "/api/v1/supply/reserve/contracts", "/api/v1/supply/reserve/budgets/{year}",
			"/api/v1/supply/prices/reports", "/api/v1/supply/prices/series", "/api/v1/supply/nodes/{id}"} {
			if paths[p] == nil {
				t.Errorf("openapi misses %s", p)
			}
		}
	})
}

func mustNode(t *testing.T, e *env, kind string) *supply.Node {
	t.Helper()
	list, _, err := e.svc.ListNodes(context.Background(), e.Admin, supply.NodeFilter{Kind: kind})
	if err != nil || len(list) == 0 {
		t.Fatalf("no %s: %v", kind, err)
	}
	return list[0]
}

func mustPoolNode(t *testing.T, e *env, poolID int64) int64 {
	t.Helper()
	p, err := e.svc.GetPool(context.Background(), e.Admin, poolID)
	if err != nil || len(p.Nodes) == 0 {
		t.Fatalf("pool nodes: %v", err)
	}
	return p.Nodes[0].ID
}

func TestNodeEditPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		site := webtest.Start(t, d, e.svc.Routes)
		op := site.User(auth.NewUser{Username: "op", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}})
		viewer := site.User(auth.NewUser{Username: "viewer", Role: auth.Viewer, Scopes: []string{county}})
		n := e.node(supply.KindStation, "服务站", e.Village(0), "express")
		path := fmt.Sprintf("/supply/nodes/%d/edit", n.ID)
		if st, html := op.Form("POST", path, url.Values{"name": {"新名"}, "status": {"active"}}); st != 422 || !strings.Contains(html, "至少选择一项服务功能") {
			t.Errorf("station without functions: %d", st)
		}
		if st, _ := viewer.Form("POST", path, url.Values{"name": {"新名"}, "status": {"active"}, "functions": {"daily"}}); st != 403 {
			t.Errorf("viewer edits: %d", st)
		}
		if st, _ := op.Form("POST", path, url.Values{"name": {"新名"}, "status": {"building"}, "functions": {"daily", "express"}}); st != 303 {
			t.Errorf("edit: %d", st)
		}
		got, _ := e.svc.GetNode(context.Background(), e.Admin, n.ID)
		if got.Name != "新名" || got.Status != supply.NodeBuilding || len(got.Functions) != 2 {
			t.Errorf("after edit %+v", got)
		}
	})
}
