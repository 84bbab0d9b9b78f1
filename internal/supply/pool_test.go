package supply_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/supply"
)

func (e *env) count(table string) int {
	e.T.Helper()
	var n int
	if err := e.D.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		e.T.Fatal(err)
	}
	return n
}

func today() string { return time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02") }

func TestApportion(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := 1 + rng.IntN(12)
		wants := make([]int64, n)
		var total int64
		for i := range wants {
			wants[i] = int64(rng.IntN(50))
			total += wants[i]
		}
		have := int64(rng.IntN(int(total) + 20))
		got := supply.Apportion(have, wants)
		var sum int64
		for i, g := range got {
			if g < 0 || g > wants[i] {
				t.Fatalf("share %d of want %d (have %d, wants %v)", g, wants[i], have, wants)
			}
			sum += g
		}
		if sum != min(have, total) {
			t.Fatalf("shares sum %d, want %d (have %d, wants %v → %v)", sum, min(have, total), have, wants, got)
		}
	}
	if got := supply.Apportion(5, []int64{3, 3, 3}); got[0]+got[1]+got[2] != 5 || got[0] != 2 || got[1] != 2 || got[2] != 1 {
		t.Errorf("tie order: %v", got)
	}
}

func TestAmountAndTier(t *testing.T) {
	tiers := []supply.Tier{{MinQty: 100, PriceFen: 9000}, {MinQty: 500, PriceFen: 8500}}
	for _, c := range []struct{ total, want int64 }{{0, 10000}, {99, 10000}, {100, 9000}, {499, 9000}, {500, 8500}, {10000, 8500}} {
		if got := supply.TierPrice(10000, tiers, c.total); got != c.want {
			t.Errorf("tier price at %d: %d, want %d", c.total, got, c.want)
		}
	}
	// 12.345 千克 at 2,399 分/千克 = 29,615.655 → 29,616 分 (half up)
	if got := supply.Amount(12345, 2399, 3); got != 29616 {
		t.Errorf("amount %d", got)
	}
}

// TestPoolRound runs a round end to end — demand, close into orders with tier prices, a short receipt,
// allocation, delivery, hand-over — and proves every member's demand is accounted for to the unit.
func TestPoolRound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		hub := e.node(supply.KindPoolingCenter, "集采中心", county)
		town := e.node(supply.KindTownshipNode, "镇节点", e.Towns[0].Code)
		st := e.node(supply.KindStation, "村服务站", e.Village(0), "inputs")
		far := e.node(supply.KindStation, "他镇服务站", e.Village(1), "inputs")
		fert, err := e.svc.CreateGoods(ctx, e.Admin, supply.GoodsInput{Category: "fertilizer", Name: "复合肥", Spec: "50千克/袋", Unit: "袋", UnitWeightG: 50000})
		if err != nil {
			t.Fatal(err)
		}
		seed, err := e.svc.CreateGoods(ctx, e.Admin, supply.GoodsInput{Category: "seed", Name: "玉米种子", Unit: "袋", UnitWeightG: 2000})
		if err != nil {
			t.Fatal(err)
		}
		var members []int64
		for _, name := range []string{"张一", "李二", "王三", "赵四"} {
			members = append(members, e.Create(e.Household(name, e.Village(0))).ID)
		}
		in := supply.PoolInput{Name: "春耕化肥集采", HubNodeID: hub.ID, OpensOn: today(), ClosesOn: today(), NodeIDs: []int64{town.ID, st.ID, hub.ID},
			Items: []supply.PoolItemInput{
				{GoodsID: fert.ID, Supplier: "重庆化肥公司", ListPriceFen: 16000, Tiers: []supply.Tier{{MinQty: 20, PriceFen: 15000}, {MinQty: 50, PriceFen: 14200}}},
				{GoodsID: seed.ID, Supplier: "渝丰种业", ListPriceFen: 4500, Tiers: []supply.Tier{{MinQty: 10, PriceFen: 4000}}},
			}}
		// bad input: Chinese field messages, nothing written
		bad := in
		bad.Name, bad.NodeIDs, bad.ClosesOn = "", nil, "2001-01-01"
		_, err = e.svc.CreatePool(ctx, e.Admin, bad)
		if f := apperr.FieldsOf(err); f["name"] == "" || f["node_ids"] == "" || f["closes_on"] == "" {
			t.Errorf("bad pool: %v", err)
		}
		if _, err := e.svc.CreatePool(ctx, e.op, in); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("operator opens a pool: %v", err)
		}
		if n := e.count("supply_pools"); n != 0 {
			t.Fatalf("%d pools after refusals", n)
		}
		pool, err := e.svc.CreatePool(ctx, e.Admin, in)
		if err != nil {
			t.Fatal(err)
		}
		fi, si := pool.Items[0].ID, pool.Items[1].ID
		if pool.Items[0].GoodsID != fert.ID {
			fi, si = si, fi
		}
		// demand: a member for itself, staff on behalf, an operator for its own township only
		member := &auth.Principal{UserID: 50, Role: auth.Member, SubjectID: members[0]}
		place := func(p *auth.Principal, in supply.DemandInput) {
			t.Helper()
			if _, err := e.svc.PlaceDemand(ctx, p, pool.ID, in); err != nil {
				t.Fatalf("demand %+v: %v", in, err)
			}
		}
		place(member, supply.DemandInput{ItemID: fi, NodeID: st.ID, Qty: 10, SubjectID: members[3]}) // subject ignored: its own
		place(member, supply.DemandInput{ItemID: fi, NodeID: st.ID, Qty: 12})                        // replaces
		place(e.Admin, supply.DemandInput{ItemID: fi, NodeID: town.ID, Qty: 25, SubjectID: members[1]})
		place(e.op, supply.DemandInput{ItemID: fi, NodeID: st.ID, Qty: 16, SubjectID: members[2]})
		place(e.Admin, supply.DemandInput{ItemID: si, NodeID: hub.ID, Qty: 4, SubjectID: members[3]})
		place(e.op, supply.DemandInput{ItemID: si, NodeID: st.ID, Qty: 3, SubjectID: members[2]})
		if _, err := e.svc.PlaceDemand(ctx, e.op1, pool.ID, supply.DemandInput{ItemID: fi, NodeID: st.ID, Qty: 1, SubjectID: members[1]}); apperr.FieldsOf(err)["node_id"] == "" {
			t.Errorf("other township's operator enters demand: %v", err)
		}
		if _, err := e.svc.PlaceDemand(ctx, member, pool.ID, supply.DemandInput{ItemID: fi, NodeID: far.ID, Qty: 1}); apperr.FieldsOf(err)["node_id"] == "" {
			t.Errorf("pickup node outside the round: %v", err)
		}
		if n := e.count("supply_pool_demands"); n != 5 {
			t.Fatalf("%d demands, want 5", n)
		}
		// close: fertilizer 53 bags reaches the 50-bag tier (142 元); seeds 7 stay at list price
		closed, err := e.svc.ClosePool(ctx, e.Admin, pool.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(closed.Orders) != 2 {
			t.Fatalf("orders %+v", closed.Orders)
		}
		wantList, wantAmount := int64(53*16000+7*4500), int64(53*14200+7*4500)
		if closed.ListFen != wantList || closed.AmountFen != wantAmount || closed.SavingFen != wantList-wantAmount {
			t.Errorf("list %d amount %d saving %d", closed.ListFen, closed.AmountFen, closed.SavingFen)
		}
		if _, err := e.svc.PlaceDemand(ctx, member, pool.ID, supply.DemandInput{ItemID: fi, NodeID: st.ID, Qty: 1}); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("demand after close: %v", err)
		}
		// receive: fertilizer arrives 3 bags short, seeds complete
		for _, o := range closed.Orders {
			ri := supply.ReceiveInput{}
			if o.Lines[0].GoodsID == fert.ID {
				if _, err := e.svc.ReceiveOrder(ctx, e.Admin, o.ID, supply.ReceiveInput{Lines: []supply.ReceiveLine{{ItemID: fi, Qty: 54}}}); apperr.FieldsOf(err)["lines[0].qty"] == "" {
					t.Errorf("receive more than ordered: %v", err)
				}
				ri.Lines = []supply.ReceiveLine{{ItemID: fi, Qty: 50}}
			}
			if _, err := e.svc.ReceiveOrder(ctx, e.Admin, o.ID, ri); err != nil {
				t.Fatal(err)
			}
		}
		if v := e.onHand(hub, fert); v != 50 {
			t.Errorf("hub holds %d bags", v)
		}
		if _, err := e.svc.AllocatePool(ctx, e.op, pool.ID, ""); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("operator allocates: %v", err)
		}
		if _, err := e.svc.AllocatePool(ctx, e.Admin, pool.ID, ""); err != nil {
			t.Fatal(err)
		}
		// handing over before the goods arrived at the station is refused
		ds, err := e.svc.Demands(ctx, e.Admin, pool.ID)
		if err != nil {
			t.Fatal(err)
		}
		var atStation *supply.Demand
		for _, x := range ds {
			if x.NodeID == st.ID && x.ItemID == fi && x.SubjectID == members[0] {
				atStation = x
			}
		}
		if _, err := e.svc.Handover(ctx, e.op, atStation.ID, supply.HandoverInput{Signer: "张一"}); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("hand-over before delivery: %v", err)
		}
		ships, err := e.svc.Shipments(ctx, e.Admin, hub.ID, today())
		if err != nil || len(ships) != 3 { // town: fert; station: fert + seed
			t.Fatalf("shipments %v %+v", err, ships)
		}
		for _, sh := range ships {
			if sh.GoodsID == fert.ID && sh.WeightG != sh.Qty*50000 {
				t.Errorf("shipment weight %d for %d bags", sh.WeightG, sh.Qty)
			}
			if err := e.svc.DeliverShipment(ctx, e.Admin, sh.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.Handover(ctx, e.op, atStation.ID, supply.HandoverInput{}); apperr.FieldsOf(err)["signer"] == "" {
			t.Errorf("hand-over without signer: %v", err)
		}
		ds, _ = e.svc.Demands(ctx, e.Admin, pool.ID)
		for _, x := range ds {
			if x.Pending == 0 {
				continue
			}
			// the first hand-over of the station's first demand in two parts
			if x.ID == atStation.ID {
				if _, err := e.svc.Handover(ctx, e.op, x.ID, supply.HandoverInput{Qty: 1, Signer: "张一"}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := e.svc.Handover(ctx, e.Admin, x.ID, supply.HandoverInput{Signer: x.SubjectName})
			if err != nil {
				t.Fatalf("hand-over %+v: %v", x, err)
			}
			if got.Pending != 0 || got.ReceiptNo == "" {
				t.Errorf("after hand-over %+v", got)
			}
		}
		r, err := e.svc.Reconcile(ctx, e.Admin, pool.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Balanced || !r.Complete || r.Pool.Status != supply.PoolDone {
			t.Errorf("reconciliation balanced %v complete %v status %s: %+v", r.Balanced, r.Complete, r.Pool.Status, r.Items)
		}
		var demanded, handed, short int64
		for _, x := range r.Demands {
			if x.Qty != x.Handed+x.Shortfall {
				t.Errorf("demand %d: %d ≠ handed %d + short %d", x.ID, x.Qty, x.Handed, x.Shortfall)
			}
			demanded += x.Qty
			handed += x.Handed
			short += x.Shortfall
		}
		if demanded != 60 || handed != 57 || short != 3 {
			t.Errorf("demanded %d handed %d short %d", demanded, handed, short)
		}
		// the ledger agrees: the hub is empty, the stations handed out all they got
		for _, n := range []*supply.Node{hub, town, st} {
			for _, g := range []*supply.Goods{fert, seed} {
				if v := e.onHand(n, g); v != 0 {
					t.Errorf("%s still holds %d of %s", n.Name, v, g.Name)
				}
			}
		}
		// members see their own demands only
		mine, err := e.svc.Demands(ctx, member, pool.ID)
		if err != nil || len(mine) != 1 || mine[0].Handed != 12-mine[0].Shortfall {
			t.Errorf("member's demands %v %+v", err, mine)
		}
		if _, err := e.svc.Reconcile(ctx, member, pool.ID); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("member reconciles: %v", err)
		}
	})
}
