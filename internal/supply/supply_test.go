package supply_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/webtest"
	"nongfu/internal/supply"
	"nongfu/internal/testenv"
)

const county = testenv.County

type env struct {
	*testenv.Env
	svc *supply.Service
	op  *auth.Principal // township operator of town 0
	op1 *auth.Principal // township operator of town 1
}

func setup(t *testing.T, d *db.DB) *env {
	t.Helper()
	base := testenv.New(t, d, supply.Migrations)
	e := &env{Env: base, svc: supply.NewService(d, base.Regions, base.Reg)}
	e.op = &auth.Principal{UserID: 3, Username: "op", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}}
	e.op1 = &auth.Principal{UserID: 4, Username: "op1", Role: auth.TownshipOperator, Scopes: []string{e.Towns[1].Code}}
	return e
}

func (e *env) node(kind, name, code string, fns ...string) *supply.Node {
	e.T.Helper()
	n, err := e.svc.CreateNode(context.Background(), e.Admin, supply.NodeInput{Kind: kind, Name: name, RegionCode: code, Functions: fns})
	if err != nil {
		e.T.Fatalf("create node %s: %v", name, err)
	}
	return n
}

func (e *env) goods(cat, name, unit string, decimals int) *supply.Goods {
	e.T.Helper()
	in := supply.GoodsInput{Category: cat, Name: name, Unit: unit, Decimals: decimals}
	if cat == "pesticide" {
		in.RegNo = "PD20080001"
	}
	g, err := e.svc.CreateGoods(context.Background(), e.Admin, in)
	if err != nil {
		e.T.Fatalf("create goods %s: %v", name, err)
	}
	return g
}

func (e *env) move(p *auth.Principal, in supply.MoveInput) []*supply.Move {
	e.T.Helper()
	m, err := e.svc.Move(context.Background(), p, in)
	if err != nil {
		e.T.Fatalf("move %+v: %v", in, err)
	}
	return m
}

func (e *env) onHand(n *supply.Node, g *supply.Goods) int64 {
	e.T.Helper()
	v, err := e.svc.OnHand(context.Background(), n.ID, g.ID)
	if err != nil {
		e.T.Fatal(err)
	}
	return v
}

func code(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.CodeOf(err)
}

func TestQty(t *testing.T) {
	for _, x := range []struct {
		q   int64
		dec int
		out string
	}{{12500, 3, "12.5"}, {7, 0, "7"}, {5, 1, "0.5"}, {-1250, 3, "-1.25"}, {1000, 3, "1"}} {
		if got := supply.FormatQty(x.q, x.dec); got != x.out {
			t.Errorf("FormatQty(%d, %d) = %s", x.q, x.dec, got)
		}
	}
	for _, x := range []struct {
		in   string
		dec  int
		want int64
	}{{"12.5", 3, 12500}, {"３", 0, 3}, {"1,200", 0, 1200}, {"0.25", 2, 25}} {
		if got, err := supply.ParseQty(x.in, x.dec); err != nil || got != x.want {
			t.Errorf("ParseQty(%q, %d) = %d, %v", x.in, x.dec, got, err)
		}
	}
	for _, bad := range []string{"1.5", "-1", "abc", "", "."} {
		if _, err := supply.ParseQty(bad, 0); err == nil {
			t.Errorf("ParseQty(%q, 0) accepted", bad)
		}
	}
}

func TestNetwork(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		v0, v1 := e.Village(0), e.Village(1)
		e.node(supply.KindCountyWarehouse, "县仓", county)
		e.node(supply.KindTownshipNode, "镇节点", e.Towns[0].Code)
		st := e.node(supply.KindStation, "服务站", v0, "finance", "express", "express")
		if strings.Join(st.Functions, ",") != "express,finance" || st.FunctionNames[1] != "金融服务点" || st.RegionName == "" || st.Lng == 0 {
			t.Errorf("station: %+v", st)
		}
		e.node(supply.KindOutlet, "网点A", v0)
		e.node(supply.KindOutlet, "网点B", v1)
		for name, in := range map[string]supply.NodeInput{
			"station without functions": {Kind: supply.KindStation, Name: "x", RegionCode: v0},
			"village node at township":  {Kind: supply.KindOutlet, Name: "x", RegionCode: e.Towns[0].Code},
			"township node at village":  {Kind: supply.KindTownshipNode, Name: "x", RegionCode: v0},
			"unknown kind":              {Kind: "shop", Name: "x", RegionCode: v0},
			"unknown region":            {Kind: supply.KindOutlet, Name: "x", RegionCode: "500237999999"},
			"unknown operator":          {Kind: supply.KindOutlet, Name: "x", RegionCode: v0, OperatorID: 12345},
			"bad function":              {Kind: supply.KindStation, Name: "x", RegionCode: v0, Functions: []string{"bank"}},
		} {
			if _, err := e.svc.CreateNode(ctx, e.Admin, in); code(err) != apperr.Invalid {
				t.Errorf("%s: %v", name, err)
			}
		}
		// a township operator opens nodes in its township only
		if _, err := e.svc.CreateNode(ctx, e.op, supply.NodeInput{Kind: supply.KindOutlet, Name: "镇内", RegionCode: v0}); err != nil {
			t.Errorf("operator in scope: %v", err)
		}
		if _, err := e.svc.CreateNode(ctx, e.op, supply.NodeInput{Kind: supply.KindOutlet, Name: "镇外", RegionCode: v1}); code(err) != apperr.Forbidden {
			t.Errorf("operator out of scope: %v", err)
		}
		viewer := &auth.Principal{UserID: 9, Role: auth.Viewer, Scopes: []string{county}}
		if _, err := e.svc.CreateNode(ctx, viewer, supply.NodeInput{Kind: supply.KindOutlet, Name: "x", RegionCode: v0}); code(err) != apperr.Forbidden {
			t.Errorf("viewer creates: %v", err)
		}
		// counts
		for _, x := range []struct {
			kind, pre string
			want      int
		}{{supply.KindOutlet, county, 3}, {supply.KindOutlet, e.Towns[0].Code, 2}, {supply.KindStation, "", 1}, {"", county, 6}, {"", v1, 1}} {
			if n, err := e.svc.CountNodes(ctx, x.kind, x.pre); err != nil || n != x.want {
				t.Errorf("CountNodes(%q, %q) = %d, %v; want %d", x.kind, x.pre, n, err, x.want)
			}
		}
		counts, err := e.svc.Counts(ctx, e.op)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, c := range counts {
			total += c.Total
			if c.TownshipCode != e.Towns[0].Code {
				t.Errorf("operator sees count of %s", c.TownshipCode)
			}
		}
		if total != 4 {
			t.Errorf("operator counts %d nodes: %+v", total, counts)
		}
		if list, n, _ := e.svc.ListNodes(ctx, e.Admin, supply.NodeFilter{Kind: supply.KindOutlet, Township: e.Towns[0].Code}); n != 2 || len(list) != 2 {
			t.Errorf("filter: %d", n)
		}
	})
}

// TestLedgerProperty runs random sequences of moves and checks that on-hand always equals the sum of the accepted
// moves, never goes negative, and that refusals happen exactly when stock would go negative.
func TestLedgerProperty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		nodes := []*supply.Node{e.node(supply.KindTownshipNode, "镇节点", e.Towns[0].Code), e.node(supply.KindOutlet, "网点", e.Village(0)),
			e.node(supply.KindStation, "服务站", e.Village(0), "daily")}
		gs := []*supply.Goods{e.goods("fertilizer", "尿素", "袋", 0), e.goods("meat", "猪肉", "千克", 3)}
		want := map[[2]int]int64{}
		rng := rand.New(rand.NewPCG(1, uint64(len(d.DSN()))))
		steps := 150
		for i := range steps {
			ni, gi := rng.IntN(len(nodes)), rng.IntN(len(gs))
			q := int64(1 + rng.IntN(20))
			in := supply.MoveInput{NodeID: nodes[ni].ID, GoodsID: gs[gi].ID, Qty: q}
			k := [2]int{ni, gi}
			switch r := rng.IntN(10); {
			case r < 3:
				in.Kind = supply.MoveReceipt
			case r < 6:
				in.Kind = supply.MoveIssue
			case r < 7:
				in.Kind = supply.MoveLoss
			case r < 8:
				in.Kind = supply.MoveStocktake
				in.Qty = int64(rng.IntN(30))
			default:
				in.Kind = "transfer"
				to := (ni + 1 + rng.IntN(len(nodes)-1)) % len(nodes)
				in.ToNodeID = nodes[to].ID
			}
			_, err := e.svc.Move(ctx, e.Admin, in)
			short := (in.Kind == supply.MoveIssue || in.Kind == supply.MoveLoss || in.Kind == "transfer") && want[k] < q
			if short {
				if code(err) != apperr.Invalid || !strings.Contains(apperr.MessageOf(err), "库存不足") {
					t.Fatalf("step %d: shortage not refused: %v", i, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("step %d %+v: %v", i, in, err)
			}
			switch in.Kind {
			case supply.MoveReceipt:
				want[k] += q
			case supply.MoveIssue, supply.MoveLoss:
				want[k] -= q
			case supply.MoveStocktake:
				want[k] = in.Qty
			case "transfer":
				want[k] -= q
				for j, n := range nodes {
					if n.ID == in.ToNodeID {
						want[[2]int{j, gi}] += q
					}
				}
			}
		}
		for ni, n := range nodes {
			for gi, g := range gs {
				if got := e.onHand(n, g); got != want[[2]int{ni, gi}] || got < 0 {
					t.Errorf("%s × %s: on hand %d, want %d", n.Name, g.Name, got, want[[2]int{ni, gi}])
				}
				moves, _, err := e.svc.ListMoves(ctx, e.Admin, supply.MoveFilter{NodeID: n.ID, GoodsID: g.ID, PerPage: 1000})
				if err != nil {
					t.Fatal(err)
				}
				var sum int64
				for _, m := range moves {
					sum += m.Qty
				}
				if sum != want[[2]int{ni, gi}] {
					t.Errorf("%s × %s: sum of moves %d, want %d", n.Name, g.Name, sum, want[[2]int{ni, gi}])
				}
			}
		}
		stock, err := e.svc.Stock(ctx, e.Admin, supply.StockFilter{NodeID: nodes[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stock {
			if s.OnHand != e.onHand(nodes[0], &supply.Goods{ID: s.GoodsID}) {
				t.Errorf("stock row %+v", s)
			}
		}
	})
}

func TestShortageTransferStocktakeReverse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		tn := e.node(supply.KindTownshipNode, "大昌镇物流服务站", e.Towns[0].Code)
		vp := e.node(supply.KindVillagePoint, "七星村物流点", e.Village(0))
		urea := e.goods("fertilizer", "尿素", "袋", 0)
		pork := e.goods("meat", "猪肉", "千克", 3)
		e.move(e.op, supply.MoveInput{Kind: supply.MoveReceipt, NodeID: tn.ID, GoodsID: urea.ID, Qty: 10})
		_, err := e.svc.Move(ctx, e.op, supply.MoveInput{Kind: supply.MoveIssue, NodeID: tn.ID, GoodsID: urea.ID, Qty: 12})
		if code(err) != apperr.Invalid || apperr.MessageOf(err) != "库存不足：大昌镇物流服务站 的 尿素 现有 10 袋，本次需出 12 袋，不能出库" {
			t.Fatalf("shortage: %v", err)
		}
		if apperr.FieldsOf(err)["qty"] == "" {
			t.Error("shortage names no field")
		}
		e.move(e.op, supply.MoveInput{Kind: supply.MoveReceipt, NodeID: vp.ID, GoodsID: pork.ID, Qty: 2500})
		_, err = e.svc.Move(ctx, e.op, supply.MoveInput{Kind: supply.MoveLoss, NodeID: vp.ID, GoodsID: pork.ID, Qty: 3000})
		if !strings.Contains(apperr.MessageOf(err), "现有 2.5 千克，本次需出 3 千克") {
			t.Errorf("shortage in kg: %v", err)
		}

		// transfer: two sides, one transfer id
		ms := e.move(e.op, supply.MoveInput{Kind: "transfer", NodeID: tn.ID, GoodsID: urea.ID, Qty: 4, ToNodeID: vp.ID, Ref: "DB001"})
		if len(ms) != 2 || ms[0].Kind != supply.MoveTransferOut || ms[0].Qty != -4 || ms[1].Kind != supply.MoveTransferIn || ms[1].Qty != 4 ||
			ms[0].TransferID == 0 || ms[0].TransferID != ms[1].TransferID {
			t.Fatalf("transfer: %+v %+v", ms[0], ms[1])
		}
		if e.onHand(tn, urea) != 6 || e.onHand(vp, urea) != 4 {
			t.Errorf("after transfer: %d %d", e.onHand(tn, urea), e.onHand(vp, urea))
		}
		// a failing in-side leaves no out-side
		supply.SetBeforeTransferIn(e.svc, func() error { return errors.New("disk full") })
		if _, err := e.svc.Move(ctx, e.op, supply.MoveInput{Kind: "transfer", NodeID: tn.ID, GoodsID: urea.ID, Qty: 3, ToNodeID: vp.ID}); err == nil {
			t.Fatal("failing transfer succeeded")
		}
		supply.SetBeforeTransferIn(e.svc, nil)
		if e.onHand(tn, urea) != 6 || e.onHand(vp, urea) != 4 {
			t.Errorf("half a transfer happened: %d %d", e.onHand(tn, urea), e.onHand(vp, urea))
		}
		if _, n, _ := e.svc.ListMoves(ctx, e.Admin, supply.MoveFilter{Kind: supply.MoveTransferOut}); n != 1 {
			t.Errorf("%d transfer-out moves", n)
		}
		if _, err := e.svc.Move(ctx, e.op, supply.MoveInput{Kind: "transfer", NodeID: tn.ID, GoodsID: urea.ID, Qty: 7, ToNodeID: vp.ID}); code(err) != apperr.Invalid {
			t.Errorf("transfer beyond stock: %v", err)
		}

		// stocktake writes the difference; counting the same again writes 0
		st := e.move(e.op, supply.MoveInput{Kind: supply.MoveStocktake, NodeID: tn.ID, GoodsID: urea.ID, Qty: 5, Note: "月末盘点"})
		if st[0].Qty != -1 || st[0].Counted == nil || *st[0].Counted != 5 || e.onHand(tn, urea) != 5 {
			t.Errorf("stocktake: %+v", st[0])
		}
		st = e.move(e.op, supply.MoveInput{Kind: supply.MoveStocktake, NodeID: tn.ID, GoodsID: urea.ID, Qty: 8})
		if st[0].Qty != 3 || e.onHand(tn, urea) != 8 {
			t.Errorf("stocktake up: %+v", st[0])
		}

		// reversal: both sides of a transfer, once
		rv, err := e.svc.Reverse(ctx, e.op, ms[1].ID, "调错网点")
		if err != nil || len(rv) != 2 {
			t.Fatalf("reverse transfer: %v", err)
		}
		if e.onHand(tn, urea) != 12 || e.onHand(vp, urea) != 0 {
			t.Errorf("after reversal: %d %d", e.onHand(tn, urea), e.onHand(vp, urea))
		}
		if _, err := e.svc.Reverse(ctx, e.op, ms[0].ID, ""); code(err) != apperr.Conflict {
			t.Errorf("second reversal: %v", err)
		}
		if _, err := e.svc.Reverse(ctx, e.op, rv[0].ID, ""); code(err) != apperr.Conflict {
			t.Errorf("reversal of a reversal: %v", err)
		}
		// the receipt at the village point cannot be reversed after its goods left
		e.move(e.op, supply.MoveInput{Kind: supply.MoveIssue, NodeID: vp.ID, GoodsID: pork.ID, Qty: 2000})
		recs, _, _ := e.svc.ListMoves(ctx, e.Admin, supply.MoveFilter{NodeID: vp.ID, GoodsID: pork.ID, Kind: supply.MoveReceipt})
		if _, err := e.svc.Reverse(ctx, e.op, recs[0].ID, ""); code(err) != apperr.Invalid {
			t.Errorf("reversal below zero: %v", err)
		}
		// bad input writes nothing
		for name, in := range map[string]supply.MoveInput{
			"zero":          {Kind: supply.MoveReceipt, NodeID: tn.ID, GoodsID: urea.ID},
			"kind":          {Kind: "gift", NodeID: tn.ID, GoodsID: urea.ID, Qty: 1},
			"future":        {Kind: supply.MoveReceipt, NodeID: tn.ID, GoodsID: urea.ID, Qty: 1, Date: time.Now().AddDate(0, 0, 3).Format("2006-01-02")},
			"self transfer": {Kind: "transfer", NodeID: tn.ID, GoodsID: urea.ID, Qty: 1, ToNodeID: tn.ID},
			"no goods":      {Kind: supply.MoveReceipt, NodeID: tn.ID, GoodsID: 1, Qty: 1},
		} {
			if _, err := e.svc.Move(ctx, e.op, in); code(err) != apperr.Invalid {
				t.Errorf("%s: %v", name, err)
			}
		}
		var audits int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'supply_move'`).Scan(&audits); err != nil {
			t.Fatal(err)
		}
		if audits != 7 {
			t.Errorf("%d audit records for moves, want 7", audits)
		}
	})
}

// TestConcurrentIssue: many writers issue from one small stock at once; exactly as many succeed as the stock
// allows, on both engines.
func TestConcurrentIssue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		n := e.node(supply.KindOutlet, "网点", e.Village(0))
		other := e.node(supply.KindStation, "服务站", e.Village(0), "daily")
		g := e.goods("oil", "菜籽油", "桶", 0)
		e.move(e.Admin, supply.MoveInput{Kind: supply.MoveReceipt, NodeID: n.ID, GoodsID: g.ID, Qty: 7})
		const writers = 16
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, 0
		var other1 []error
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := supply.MoveInput{Kind: supply.MoveIssue, NodeID: n.ID, GoodsID: g.ID, Qty: 1}
				if i%2 == 1 {
					in = supply.MoveInput{Kind: "transfer", NodeID: n.ID, GoodsID: g.ID, Qty: 1, ToNodeID: other.ID}
				}
				_, err := e.svc.Move(ctx, e.Admin, in)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case code(err) == apperr.Invalid:
					refused++
				default:
					other1 = append(other1, err)
				}
			}()
		}
		wg.Wait()
		if len(other1) > 0 {
			t.Fatalf("unexpected errors: %v", other1)
		}
		if ok != 7 || refused != writers-7 {
			t.Errorf("ok %d, refused %d", ok, refused)
		}
		if v := e.onHand(n, g); v != 0 {
			t.Errorf("on hand %d after the last units went", v)
		}
		if v := e.onHand(n, g) + e.onHand(other, g); v < 0 || v > 7 {
			t.Errorf("total %d", v)
		}
	})
}

func TestAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		coop := e.Create(e.Org("cooperative", "七星供销合作社", e.Village(0)))
		wh := e.node(supply.KindCountyWarehouse, "县仓", county)
		t0 := e.node(supply.KindTownshipNode, "镇0", e.Towns[0].Code)
		t1 := e.node(supply.KindTownshipNode, "镇1", e.Towns[1].Code)
		st, err := e.svc.CreateNode(ctx, e.Admin, supply.NodeInput{Kind: supply.KindStation, Name: "合作社服务站", RegionCode: e.Village(0),
			OperatorID: coop.ID, Functions: []string{"inputs"}})
		if err != nil || st.OperatorName != "七星供销合作社" {
			t.Fatalf("station with operator: %v %+v", err, st)
		}
		g := e.goods("seed", "玉米种子", "袋", 0)
		e.move(e.Admin, supply.MoveInput{Kind: supply.MoveReceipt, NodeID: wh.ID, GoodsID: g.ID, Qty: 100})
		e.move(e.Admin, supply.MoveInput{Kind: "transfer", NodeID: wh.ID, GoodsID: g.ID, Qty: 30, ToNodeID: t0.ID})
		// township operator: own township, both sides of a transfer
		e.move(e.op, supply.MoveInput{Kind: "transfer", NodeID: t0.ID, GoodsID: g.ID, Qty: 5, ToNodeID: st.ID})
		if _, err := e.svc.Move(ctx, e.op, supply.MoveInput{Kind: supply.MoveIssue, NodeID: wh.ID, GoodsID: g.ID, Qty: 1}); code(err) != apperr.NotFound {
			t.Errorf("operator issues at the county warehouse: %v", err)
		}
		if _, err := e.svc.Move(ctx, e.op, supply.MoveInput{Kind: "transfer", NodeID: t0.ID, GoodsID: g.ID, Qty: 1, ToNodeID: t1.ID}); code(err) != apperr.Invalid {
			t.Errorf("operator transfers to another township: %v", err)
		}
		if _, err := e.svc.GetNode(ctx, e.op1, t0.ID); code(err) != apperr.NotFound {
			t.Errorf("other operator reads: %v", err)
		}
		if _, err := e.svc.CreateGoods(ctx, e.op, supply.GoodsInput{Category: "oil", Name: "x", Unit: "桶"}); code(err) != apperr.Forbidden {
			t.Errorf("operator edits catalog: %v", err)
		}
		// read-only roles
		for _, role := range []auth.Role{auth.Viewer, auth.Department, auth.Taskforce} {
			p := &auth.Principal{UserID: 20, Role: role, Scopes: []string{county}}
			if _, n, err := e.svc.ListNodes(ctx, p, supply.NodeFilter{}); err != nil || n != 4 {
				t.Errorf("%s lists %d: %v", role, n, err)
			}
			if _, err := e.svc.Move(ctx, p, supply.MoveInput{Kind: supply.MoveReceipt, NodeID: t0.ID, GoodsID: g.ID, Qty: 1}); code(err) != apperr.Forbidden {
				t.Errorf("%s writes: %v", role, err)
			}
		}
		// provider/member: their operator's nodes, read-only
		for _, role := range []auth.Role{auth.Member, auth.Provider} {
			p := &auth.Principal{UserID: 30, Role: role, SubjectID: coop.ID}
			list, n, err := e.svc.ListNodes(ctx, p, supply.NodeFilter{})
			if err != nil || n != 1 || list[0].ID != st.ID {
				t.Errorf("%s lists %d: %v", role, n, err)
			}
			got, err := e.svc.GetNode(ctx, p, st.ID)
			if err != nil || len(got.Stock) != 1 || got.Stock[0].OnHand != 5 {
				t.Errorf("%s reads its station: %v %+v", role, err, got)
			}
			if _, err := e.svc.GetNode(ctx, p, t0.ID); code(err) != apperr.NotFound {
				t.Errorf("%s reads a township node: %v", role, err)
			}
			if _, err := e.svc.Move(ctx, p, supply.MoveInput{Kind: supply.MoveIssue, NodeID: st.ID, GoodsID: g.ID, Qty: 1}); code(err) != apperr.Forbidden {
				t.Errorf("%s writes: %v", role, err)
			}
			if gs, err := e.svc.ListGoods(ctx, p, supply.GoodsFilter{}); err != nil || len(gs) != 1 {
				t.Errorf("%s reads the catalog: %v", role, err)
			}
		}
		bank := &auth.Principal{UserID: 40, Role: auth.Bank, Scopes: []string{county}}
		if _, n, _ := e.svc.ListNodes(ctx, bank, supply.NodeFilter{}); n != 0 {
			t.Errorf("bank lists %d", n)
		}
		if stock, _ := e.svc.Stock(ctx, e.op, supply.StockFilter{GoodsID: g.ID}); len(stock) != 2 {
			t.Errorf("operator stock rows: %+v", stock)
		}
		// the goods catalog: pesticides need a registration number; duplicates are refused
		if _, err := e.svc.CreateGoods(ctx, e.Admin, supply.GoodsInput{Category: "pesticide", Name: "吡虫啉", Unit: "袋"}); apperr.FieldsOf(err)["reg_no"] == "" {
			t.Errorf("pesticide without reg no: %v", err)
		}
		if _, err := e.svc.CreateGoods(ctx, e.Admin, supply.GoodsInput{Category: "seed", Name: "玉米种子", Unit: "袋"}); code(err) != apperr.Conflict {
			t.Errorf("duplicate goods: %v", err)
		}
	})
}

func TestDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		var towns []string
		for _, tw := range e.Towns {
			towns = append(towns, tw.Code)
		}
		op := e.Create(e.Org("cooperative", "演示合作社", e.Village(0)))
		start := time.Now()
		if err := d.InTx(ctx, func(tx *db.Tx) error { return e.svc.SeedDemo(ctx, tx, towns, []int64{op.ID}) }); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		_, nodes, _ := e.svc.ListNodes(ctx, e.Admin, supply.NodeFilter{})
		_, moves, _ := e.svc.ListMoves(ctx, e.Admin, supply.MoveFilter{})
		t.Logf("demo: %d nodes, %d moves in %v", nodes, moves, took)
		if nodes != 3+len(towns)+60 || moves < 2000 {
			t.Errorf("demo: %d nodes, %d moves", nodes, moves)
		}
		if took > 5*time.Second {
			t.Errorf("demo took %v", took)
		}
		var neg int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT node_id, goods_id FROM supply_moves GROUP BY node_id, goods_id HAVING SUM(qty) < 0) x`).Scan(&neg); err != nil {
			t.Fatal(err)
		}
		if neg != 0 {
			t.Errorf("%d negative stocks in the demo", neg)
		}
		if n, _ := e.svc.CountNodes(ctx, supply.KindStation, county); n < 15 {
			t.Errorf("%d stations", n)
		}
		member := &auth.Principal{UserID: 5, Role: auth.Member, SubjectID: op.ID}
		if _, n, _ := e.svc.ListNodes(ctx, member, supply.NodeFilter{}); n == 0 {
			t.Error("the operator's member sees no node")
		}
		// the demo stock keeps working with the ledger rules
		list, _, _ := e.svc.ListNodes(ctx, e.Admin, supply.NodeFilter{Kind: supply.KindCountyWarehouse})
		node, err := e.svc.GetNode(ctx, e.Admin, list[0].ID)
		if err != nil || len(node.Stock) == 0 {
			t.Fatalf("warehouse stock: %v", err)
		}
		s := node.Stock[0]
		if _, err := e.svc.Move(ctx, e.Admin, supply.MoveInput{Kind: supply.MoveIssue, NodeID: node.ID, GoodsID: s.GoodsID, Qty: s.OnHand + 1}); code(err) != apperr.Invalid {
			t.Errorf("over-issue on demo stock: %v", err)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error { return e.svc.SeedDemo(ctx, tx, towns, nil) }); err != nil {
			t.Fatal(err)
		}
		if _, n, _ := e.svc.ListNodes(ctx, e.Admin, supply.NodeFilter{}); n != nodes {
			t.Errorf("second seed: %d nodes", n)
		}
	})
}

func TestHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		site := webtest.Start(t, d, e.svc.Routes)
		coop := e.Create(e.Org("cooperative", "福田供销合作社", e.Village(0)))
		admin := site.User(auth.NewUser{Username: "admin", Role: auth.CountyAdmin, Scopes: []string{county}})
		op := site.User(auth.NewUser{Username: "op", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}})
		member := site.User(auth.NewUser{Username: "coop", Role: auth.Member, SubjectID: coop.ID})
		viewer := site.User(auth.NewUser{Username: "viewer", Role: auth.Viewer, Scopes: []string{county}})

		st, body := admin.JSON("POST", "/api/v1/supply/goods", map[string]any{"category": "fertilizer", "name": "复合肥", "spec": "50千克/袋", "unit": "袋"})
		if st != 201 || body["group"] != "inputs" {
			t.Fatalf("create goods: %d %v", st, body)
		}
		gid := body["id"].(float64)
		if st, _ = op.JSON("POST", "/api/v1/supply/goods", map[string]any{"category": "oil", "name": "油", "unit": "桶"}); st != 403 {
			t.Errorf("operator creates goods: %d", st)
		}
		if st, body = admin.JSON("POST", "/api/v1/supply/goods", map[string]any{"category": "pesticide", "name": "农药", "unit": "瓶"}); st != 422 {
			t.Errorf("pesticide without reg no: %d %v", st, body)
		}
		st, body = op.JSON("POST", "/api/v1/supply/nodes", map[string]any{"kind": "township_node", "name": "镇物流站", "region_code": e.Towns[0].Code})
		if st != 201 {
			t.Fatalf("create node: %d %v", st, body)
		}
		tn := body["id"].(float64)
		st, body = op.JSON("POST", "/api/v1/supply/nodes", map[string]any{"kind": "station", "name": "村服务站", "region_code": e.Village(0),
			"operator_id": coop.ID, "functions": []string{"express", "inputs", "produce"}})
		if st != 201 || body["operator_name"] != "福田供销合作社" || len(body["function_labels"].([]any)) != 3 {
			t.Fatalf("create station: %d %v", st, body)
		}
		sn := body["id"].(float64)
		if st, _ = viewer.JSON("POST", "/api/v1/supply/nodes", map[string]any{"kind": "outlet", "name": "x", "region_code": e.Village(0)}); st != 403 {
			t.Errorf("viewer creates node: %d", st)
		}
		if st, _ = op.JSON("POST", "/api/v1/supply/nodes", map[string]any{"kind": "outlet", "name": "x", "region_code": e.Village(0), "extra": 1}); st != 400 && st != 422 {
			t.Errorf("unknown field: %d", st)
		}
		st, body = op.JSON("POST", "/api/v1/supply/moves", map[string]any{"kind": "receipt", "node_id": tn, "goods_id": gid, "qty": 20})
		if st != 201 || body["total"].(float64) != 1 {
			t.Fatalf("receipt: %d %v", st, body)
		}
		st, body = op.JSON("POST", "/api/v1/supply/moves", map[string]any{"kind": "transfer", "node_id": tn, "goods_id": gid, "qty": 8, "to_node_id": sn})
		if st != 201 || body["total"].(float64) != 2 {
			t.Fatalf("transfer: %d %v", st, body)
		}
		st, body = op.JSON("POST", "/api/v1/supply/moves", map[string]any{"kind": "issue", "node_id": sn, "goods_id": gid, "qty": 9})
		if st != 422 || body["error"].(map[string]any)["message"] != "库存不足：村服务站 的 复合肥（50千克/袋） 现有 8 袋，本次需出 9 袋，不能出库" {
			t.Errorf("shortage: %d %v", st, body)
		}
		if st, _ = member.JSON("POST", "/api/v1/supply/moves", map[string]any{"kind": "issue", "node_id": sn, "goods_id": gid, "qty": 1}); st != 403 {
			t.Errorf("member issues: %d", st)
		}
		st, body = member.JSON("GET", fmt.Sprintf("/api/v1/supply/nodes/%d", int64(sn)), nil)
		if st != 200 || body["stock"].([]any)[0].(map[string]any)["on_hand"].(float64) != 8 {
			t.Errorf("member reads station: %d %v", st, body)
		}
		if st, _ = member.JSON("GET", fmt.Sprintf("/api/v1/supply/nodes/%d", int64(tn)), nil); st != 404 {
			t.Errorf("member reads township node: %d", st)
		}
		st, body = viewer.JSON("GET", fmt.Sprintf("/api/v1/supply/stock?goods_id=%d", int64(gid)), nil)
		if st != 200 || body["total"].(float64) != 2 {
			t.Errorf("stock: %d %v", st, body)
		}
		st, body = viewer.JSON("GET", fmt.Sprintf("/api/v1/supply/stock?node_id=%d&goods_id=%d", int64(tn), int64(gid)), nil)
		if st != 200 || body["items"].([]any)[0].(map[string]any)["on_hand"].(float64) != 12 {
			t.Errorf("stock of one: %d %v", st, body)
		}
		if st, _ = viewer.JSON("GET", "/api/v1/supply/stock?node_id=abc", nil); st != 422 {
			t.Errorf("bad node id: %d", st)
		}
		st, body = viewer.JSON("GET", fmt.Sprintf("/api/v1/supply/moves?node_id=%d", int64(tn)), nil)
		if st != 200 || body["total"].(float64) != 2 {
			t.Errorf("moves: %d %v", st, body)
		}
		first := body["items"].([]any)[0].(map[string]any)
		st, body = op.JSON("POST", fmt.Sprintf("/api/v1/supply/moves/%d/reverse", int64(first["id"].(float64))), map[string]any{"note": "录错"})
		if st != 201 || body["total"].(float64) != 2 {
			t.Errorf("reverse transfer: %d %v", st, body)
		}
		if st, body = viewer.JSON("GET", "/api/v1/supply/nodes?kind=station", nil); st != 200 || body["total"].(float64) != 1 {
			t.Errorf("nodes: %d %v", st, body)
		}
		if st, body = viewer.JSON("GET", "/api/v1/supply/counts", nil); st != 200 || body["total"].(float64) != 2 {
			t.Errorf("counts: %d %v", st, body)
		}
		if st, body = member.JSON("GET", "/api/v1/supply/goods?group=inputs", nil); st != 200 || body["total"].(float64) != 1 {
			t.Errorf("goods: %d %v", st, body)
		}

		// pages
		for _, path := range []string{"/supply", "/supply?kind=station&township=" + e.Towns[0].Code, fmt.Sprintf("/supply/nodes/%d", int64(sn)), "/supply/goods"} {
			if st, html := op.Page(path); st != 200 || !strings.Contains(html, "双向流通") && !strings.Contains(html, "村服务站") && !strings.Contains(html, "复合肥") {
				t.Errorf("page %s: %d", path, st)
			}
		}
		if _, html := member.Page(fmt.Sprintf("/supply/nodes/%d", int64(sn))); strings.Contains(html, "出入库登记") || !strings.Contains(html, "8 袋") {
			t.Error("member's node page")
		}
		form := url.Values{"kind": {"issue"}, "goods_id": {fmt.Sprint(int64(gid))}, "qty": {"25"}, "date": {""}}
		st, html := op.Form("POST", fmt.Sprintf("/supply/nodes/%d/moves", int64(tn)), form)
		if st != 422 || !strings.Contains(html, "库存不足：镇物流站 的 复合肥（50千克/袋） 现有 20 袋，本次需出 25 袋，不能出库") || !strings.Contains(html, `value="25"`) {
			t.Errorf("form shortage: %d", st)
		}
		form.Set("qty", "2")
		if st, loc := op.Form("POST", fmt.Sprintf("/supply/nodes/%d/moves", int64(tn)), form); st != 303 || !strings.HasSuffix(loc, fmt.Sprintf("/supply/nodes/%d", int64(tn))) {
			t.Errorf("form issue: %d %s", st, loc)
		}
		if st, _ := op.Form("POST", fmt.Sprintf("/supply/nodes/%d/moves", int64(tn)), url.Values{"kind": {"issue"}, "goods_id": {fmt.Sprint(int64(gid))}, "qty": {"1.5"}}); st != 422 {
			t.Errorf("fractional bags: %d", st)
		}
		if st, _ := admin.Form("POST", "/supply/goods", url.Values{"category": {"oil"}, "name": {"菜籽油"}, "unit": {"桶"}, "decimals": {"0"}}); st != 303 {
			t.Errorf("goods form: %d", st)
		}
		if st, html := admin.Form("POST", "/supply/goods", url.Values{"category": {"oil"}, "name": {""}, "unit": {"桶"}}); st != 422 || !strings.Contains(html, "请填写商品名称") {
			t.Errorf("goods form error: %d", st)
		}
		doc := site.Server.API.Document()
		paths := doc["paths"].(map[string]map[string]any)
		for _, p := range []string{"/api/v1/supply/nodes", "/api/v1/supply/nodes/{id}", "/api/v1/supply/goods", "/api/v1/supply/moves", "/api/v1/supply/stock"} {
			if paths[p] == nil {
				t.Errorf("openapi misses %s", p)
			}
		}
	})
}
