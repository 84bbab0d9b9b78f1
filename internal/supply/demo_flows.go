package supply

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
	"nongfu/internal/solve/vrp"
)

// demoWeights are the demo goods' unit weights (g) by name, for loading vehicles.
var demoWeights = map[string]int64{"杂交玉米种子 渝单8号": 2000, "马铃薯种薯 鄂马铃薯5号": 25000, "水稻种子 Y两优1号": 1000, "复合肥 15-15-15": 50000,
	"尿素": 50000, "有机肥": 40000, "吡虫啉可湿性粉剂": 20, "代森锰锌可湿性粉剂": 100, "草甘膦水剂": 1100, "地膜": 1000, "大棚膜": 1000,
	"巫山龙骨坡大米": 10000, "散装大米": 1000, "小麦粉": 5000, "挂面": 1000, "玉米粒": 1000, "菜籽油": 4600, "大豆油": 4600, "猪肉": 1000, "腊肉": 1000}

// SeedFlows adds the later items' demo on top of SeedDemo's network and stock, through the same transaction
// functions the pages use: a completed pooling round (ordered at tier prices, received one bag short,
// allocated, delivered, handed over) and an open one; today's delivery day from the county warehouse with return
// pickups, routed by the solver (iteration-limited, so the same plan every time) with the first stops recorded;
// reserve plans with one township below its safety stock, financing contracts against this and last year's
// budgets; and a season of weekly price reports ending in a price spike that raises alerts. A county that already
// has pooling rounds is left alone.
func (s *Service) SeedFlows(ctx context.Context, tx *db.Tx, households []int64) error {
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_pools`).Scan(&have); err != nil {
		return err
	}
	var nodeCount int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_nodes`).Scan(&nodeCount); err != nil {
		return err
	}
	if have > 0 || nodeCount == 0 {
		return nil
	}
	actor := audit.Actor{Name: "演示数据"}
	rng := rand.New(rand.NewPCG(9, 2026))
	for name, w := range demoWeights {
		if _, err := tx.ExecContext(ctx, `UPDATE supply_goods SET unit_weight_g = ?, unit_volume_ml = ? WHERE name = ?`, w, w*3/2, name); err != nil {
			return err
		}
	}
	goods := map[string]*Goods{}
	rows, err := tx.QueryContext(ctx, `SELECT `+goodsCols+` FROM supply_goods g`)
	if err != nil {
		return err
	}
	for rows.Next() {
		g, err := scanGoods(rows)
		if err != nil {
			rows.Close()
			return err
		}
		goods[g.Name] = g
	}
	rows.Close()
	nodesOfKind := func(kind string) ([]*Node, error) {
		rows, err := tx.QueryContext(ctx, `SELECT `+nodeCols+` FROM supply_nodes n WHERE n.kind = ? AND n.status = ? ORDER BY n.region_code, n.id`, kind, NodeActive)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []*Node
		for rows.Next() {
			n, err := s.scanNode(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, rows.Err()
	}
	pcs, err := nodesOfKind(KindPoolingCenter)
	if err != nil || len(pcs) == 0 {
		return err
	}
	whs, err := nodesOfKind(KindCountyWarehouse)
	if err != nil || len(whs) == 0 {
		return err
	}
	towns, err := nodesOfKind(KindTownshipNode)
	if err != nil {
		return err
	}
	stations, err := nodesOfKind(KindStation)
	if err != nil {
		return err
	}
	outlets, err := nodesOfKind(KindOutlet)
	if err != nil {
		return err
	}
	points, err := nodesOfKind(KindVillagePoint)
	if err != nil {
		return err
	}
	pc, wh := pcs[0], whs[0]
	today := s.now().In(web.Shanghai)
	day := func(d int) string { return today.AddDate(0, 0, d).Format("2006-01-02") }

	// 1. a completed pooling round
	pickups := append(append([]*Node{}, towns[:min(4, len(towns))]...), stations[:min(4, len(stations))]...)
	if err := s.seedRound(ctx, tx, actor, rng, pc, pickups, goods, households, true, day); err != nil {
		return fmt.Errorf("demo round: %w", err)
	}
	// 2. an open round
	if err := s.seedRound(ctx, tx, actor, rng, pc, pickups, goods, households, false, day); err != nil {
		return fmt.Errorf("demo open round: %w", err)
	}
	// 3. today's delivery day from the county warehouse
	if err := s.seedRoutes(ctx, tx, actor, rng, wh, append(append(append([]*Node{}, stations...), outlets...), points...), goods, day(0)); err != nil {
		return fmt.Errorf("demo routes: %w", err)
	}
	// 4. reserves
	if err := s.seedReserves(ctx, tx, actor, wh, pc, towns, goods, today); err != nil {
		return fmt.Errorf("demo reserves: %w", err)
	}
	// 5. prices
	if err := s.seedPrices(ctx, tx, actor, rng, towns, outlets, today); err != nil {
		return fmt.Errorf("demo prices: %w", err)
	}
	return nil
}

func (s *Service) seedRound(ctx context.Context, tx *db.Tx, actor audit.Actor, rng *rand.Rand, hub *Node, pickups []*Node, goods map[string]*Goods,
	households []int64, complete bool, day func(int) string) error {
	in := PoolInput{Name: "春耕农资集采（第一批）", HubNodeID: hub.ID, OpensOn: day(-40), ClosesOn: day(-26), Items: []PoolItemInput{
		{GoodsID: goods["复合肥 15-15-15"].ID, Supplier: "重庆三峡化肥有限公司", ListPriceFen: 16500, Tiers: []Tier{{MinQty: 100, PriceFen: 15200}, {MinQty: 300, PriceFen: 14600}}},
		{GoodsID: goods["尿素"].ID, Supplier: "重庆三峡化肥有限公司", ListPriceFen: 13000, Tiers: []Tier{{MinQty: 100, PriceFen: 12100}}},
		{GoodsID: goods["杂交玉米种子 渝单8号"].ID, Supplier: "重庆渝丰种业有限公司", ListPriceFen: 6800, Tiers: []Tier{{MinQty: 50, PriceFen: 6000}}},
	}}
	if !complete {
		in = PoolInput{Name: "秋播农资集采（征集中）", HubNodeID: hub.ID, OpensOn: day(-3), ClosesOn: day(10), Items: []PoolItemInput{
			{GoodsID: goods["有机肥"].ID, Supplier: "巫山县绿源有机肥厂", ListPriceFen: 4200, Tiers: []Tier{{MinQty: 40, PriceFen: 3800}, {MinQty: 200, PriceFen: 3500}}},
			{GoodsID: goods["地膜"].ID, Supplier: "重庆塑业有限公司", ListPriceFen: 1600, Tiers: []Tier{{MinQty: 300, PriceFen: 1450}, {MinQty: 2000, PriceFen: 1400}}},
		}}
	}
	for _, n := range pickups {
		in.NodeIDs = append(in.NodeIDs, n.ID)
	}
	poolID, err := s.createPoolTx(ctx, tx, actor, hub, in, pickups)
	if err != nil {
		return err
	}
	var items []int64
	r, err := tx.QueryContext(ctx, `SELECT id FROM supply_pool_items WHERE pool_id = ? ORDER BY id`, poolID)
	if err != nil {
		return err
	}
	for r.Next() {
		var id int64
		if err := r.Scan(&id); err != nil {
			r.Close()
			return err
		}
		items = append(items, id)
	}
	r.Close()
	n := min(len(households), 36)
	if !complete {
		n = min(len(households), 14)
	}
	for i := 0; i < n; i++ {
		h := households[(i*7+map[bool]int{true: 0, false: 3}[complete])%len(households)]
		for k, item := range items {
			if (i+k)%3 == 2 {
				continue
			}
			qty := int64(2 + rng.IntN(12))
			if !complete && k == 1 {
				qty *= 10 // 地膜 in 0.1 千克
			}
			if _, err := s.placeDemandTx(ctx, tx, actor, poolID, DemandInput{ItemID: item, SubjectID: h, NodeID: pickups[i%len(pickups)].ID, Qty: qty}); err != nil {
				return err
			}
		}
	}
	if !complete {
		return nil
	}
	x, err := s.loadPool(ctx, tx, poolID)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE supply_pools SET status = ?, closed_at = ? WHERE id = ?`, PoolOrdered, s.now().UTC().AddDate(0, 0, -26), poolID); err != nil {
		return err
	}
	if err := s.writeOrdersTx(ctx, tx, actor, x); err != nil {
		return err
	}
	orders, err := s.poolOrders(ctx, tx, poolID)
	if err != nil {
		return err
	}
	for oi, o := range orders {
		got := map[int64]int64{}
		for li, l := range o.Lines {
			got[l.ItemID] = l.Qty
			if oi == 0 && li == 0 {
				got[l.ItemID] = l.Qty - 3 // the supplier came three bags short
			}
		}
		if err := s.receiveTx(ctx, tx, actor, x, hub, o, got, day(-22)); err != nil {
			return err
		}
	}
	x.Status = PoolReceived
	if err := s.poolTotals(ctx, tx, x); err != nil {
		return err
	}
	if err := s.allocateTx(ctx, tx, actor, x, hub, day(-20)); err != nil {
		return err
	}
	ships, err := s.shipments(ctx, tx, "sh.pool_id = ?", poolID)
	if err != nil {
		return err
	}
	for _, sh := range ships {
		if err := s.deliverTx(ctx, tx, actor, sh, day(-20)); err != nil {
			return err
		}
	}
	dr, err := tx.QueryContext(ctx, `SELECT d.id, d.item_id, d.node_id, d.allocated FROM supply_pool_demands d WHERE d.pool_id = ? AND d.allocated > 0 ORDER BY d.id`, poolID)
	if err != nil {
		return err
	}
	type dem struct{ id, item, node, alloc int64 }
	var ds []dem
	for dr.Next() {
		var d dem
		if err := dr.Scan(&d.id, &d.item, &d.node, &d.alloc); err != nil {
			dr.Close()
			return err
		}
		ds = append(ds, d)
	}
	dr.Close()
	x.Status = PoolAllocated
	for i, d := range ds {
		if i%9 == 8 {
			continue // a few members have not collected yet
		}
		node, err := s.loadNode(ctx, tx, d.node)
		if err != nil {
			return err
		}
		if err := s.handoverTx(ctx, tx, actor, x, &Demand{ID: d.id, ItemID: d.item, SubjectName: "农户"}, node, d.alloc, "本人签收", day(-18+i%5)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) seedRoutes(ctx context.Context, tx *db.Tx, actor audit.Actor, rng *rand.Rand, depot *Node, targets []*Node, goods map[string]*Goods, date string) error {
	county := region.County(depot.RegionCode)
	now := s.now().UTC()
	rice, oil := goods["巫山龙骨坡大米"], goods["菜籽油"]
	// top the depot up for the day (a receipt, so the deliveries cannot overdraw)
	for _, g := range []*Goods{rice, oil} {
		if _, err := s.writeLegs(ctx, tx, actor, []leg{{node: depot, goods: g, kind: MoveReceipt, qty: 400}}, date, "DEMO-RK", "配送日补库",
			"入库："+depot.Name+" "+goodsText(g), time.Time{}); err != nil {
			return err
		}
	}
	stops := targets[:min(18, len(targets))]
	var shipRows [][]any
	for i, n := range stops {
		g := rice
		if i%2 == 1 {
			g = oil
		}
		q := int64(8 + rng.IntN(20))
		shipRows = append(shipRows, []any{tx.NextID(), county, "delivery", depot.ID, n.ID, date, g.ID, q, q * g.UnitWeightG, q * g.UnitVolumeML, 0, 0, 0, 0, "planned",
			goodsText(g) + " " + qtyText(q, g), now})
		if i%3 == 0 {
			kg := int64(100 + rng.IntN(300))
			shipRows = append(shipRows, []any{tx.NextID(), county, "pickup", depot.ID, n.ID, date, 0, 0, kg * 1000, kg * 2000, 0, 0, 0, 0, "planned",
				fmt.Sprintf("回程揽收 脆李 %d 千克", kg), now})
		}
		if i == 4 || i == 9 {
			shipRows = append(shipRows, []any{tx.NextID(), county, "delivery", depot.ID, n.ID, date, 0, 0, 15000, 60000, 9 * 60, 11 * 60, 0, 0, "planned",
				"快递包裹 12 件（上午送达）", now})
		}
	}
	if err := tx.InsertRows(ctx, "supply_shipments", []string{"id", "county_code", "kind", "from_node_id", "to_node_id", "ship_on", "goods_id", "qty", "weight_g",
		"volume_ml", "ready_min", "due_min", "pool_id", "plan_id", "status", "description", "created_at"}, shipRows, 100); err != nil {
		return err
	}
	planID := tx.NextID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO supply_route_plans (id, county_code, node_id, plan_on, vehicles, capacity_kg, volume_l, road_factor, use_matrix,
		time_windows, drivers, status, created_by, created_at) VALUES (?, ?, ?, ?, 4, 1500, 6000, 1.4, 0, 1, ?, 'solving', ?, ?)`,
		planID, county, depot.ID, date, "王师傅,李师傅,张师傅,陈师傅", actor.Name, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE supply_shipments SET plan_id = ?, status = 'routed' WHERE from_node_id = ? AND ship_on = ? AND status = 'planned'`,
		planID, depot.ID, date); err != nil {
		return err
	}
	opt := vrp.Options{Seed: 1, MaxIterations: 200, TimeLimit: 5 * time.Second}
	if _, err := s.solvePlanWith(ctx, tx, func(f func(*db.Tx) error) error { return f(tx) }, planID, opt, func(int, int) {}); err != nil {
		// a county with longer roads than the four vans manage by 18:00: send more vans without windows
		if _, err := tx.ExecContext(ctx, `UPDATE supply_route_plans SET vehicles = 10, time_windows = 0 WHERE id = ?`, planID); err != nil {
			return err
		}
		if _, err := s.solvePlanWith(ctx, tx, func(f func(*db.Tx) error) error { return f(tx) }, planID, opt, func(int, int) {}); err != nil {
			return err
		}
	}
	// the first two stops of route 1 are done
	first, err := tx.QueryContext(ctx, `SELECT node_id, seq FROM supply_route_stops WHERE plan_id = ? AND route_no = 1 AND seq <= 2 ORDER BY seq`, planID)
	if err != nil {
		return err
	}
	var done [][2]int64
	for first.Next() {
		var nid, seq int64
		if err := first.Scan(&nid, &seq); err != nil {
			first.Close()
			return err
		}
		done = append(done, [2]int64{nid, seq})
	}
	first.Close()
	for _, d := range done {
		if _, err := tx.ExecContext(ctx, `UPDATE supply_route_stops SET status = 'done', done_at = ? WHERE plan_id = ? AND route_no = 1 AND seq = ?`, now, planID, d[1]); err != nil {
			return err
		}
		ships, err := s.shipments(ctx, tx, "sh.plan_id = ? AND sh.to_node_id = ?", planID, d[0])
		if err != nil {
			return err
		}
		for _, sh := range ships {
			if err := s.deliverTx(ctx, tx, actor, sh, date); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) seedReserves(ctx context.Context, tx *db.Tx, actor audit.Actor, wh, pc *Node, towns []*Node, goods map[string]*Goods, today time.Time) error {
	from, to := today.AddDate(0, 0, -30).Format("2006-01-02"), today.AddDate(0, 0, 60).Format("2006-01-02")
	season := fmt.Sprintf("%d年%s", today.Year(), map[bool]string{true: "春耕", false: "秋冬种"}[today.Month() <= 6])
	type rp struct {
		n *Node
		g *Goods
	}
	list := []rp{{pc, goods["复合肥 15-15-15"]}, {pc, goods["尿素"]}, {wh, goods["巫山龙骨坡大米"]}, {wh, goods["菜籽油"]}}
	for _, t := range towns[:min(3, len(towns))] {
		list = append(list, rp{t, goods["复合肥 15-15-15"]})
	}
	for i, x := range list {
		have, err := onHand(ctx, tx, x.n.ID, x.g.ID)
		if err != nil {
			return err
		}
		plan, safety := max(have, 10)*100/90, max(have, 10)*60/100
		if i%2 == 0 {
			plan = max(have*95/100, 1) // covered
		}
		if i == len(list)-1 {
			plan, safety = have*3+120, have+40 // one township below its safety stock
		}
		if _, err := s.saveReservePlanTx(ctx, tx, actor, x.n, ReservePlanInput{NodeID: x.n.ID, GoodsID: x.g.ID, Season: season, FromOn: from, ToOn: to,
			PlanQty: plan, SafetyQty: safety}); err != nil {
			return err
		}
	}
	county := region.County(wh.RegionCode)
	y := today.Year()
	for _, b := range []struct {
		year int
		fen  int64
	}{{y - 1, 15_000_000}, {y, 20_000_000}} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO supply_reserve_budgets (county_code, year, budget_fen) VALUES (?, ?, ?)`, county, b.year, b.fen); err != nil {
			return err
		}
	}
	contracts := []struct {
		no          string
		n           *Node
		principal   int64
		start, end  time.Time
		rate, ratio int64
		paid        bool
		lender      string
	}{
		{"CBDK-" + fmt.Sprint(y-1) + "-01", pc, 300_000_000, time.Date(y-1, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(y-1, 9, 1, 0, 0, 0, 0, time.UTC), 38_500, 5_000, true, "巫山农村商业银行"},
		{"CBDK-" + fmt.Sprint(y) + "-01", pc, 500_000_000, time.Date(y, 1, 10, 0, 0, 0, 0, time.UTC), time.Date(y, 7, 10, 0, 0, 0, 0, time.UTC), 36_500, 5_000, today.Month() > 7, "巫山农村商业银行"},
		{"CBDK-" + fmt.Sprint(y) + "-02", wh, 200_000_000, time.Date(y, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 11, 30, 0, 0, 0, 0, time.UTC), 34_500, 4_000, false, "中国农业银行巫山支行"},
	}
	for _, c := range contracts {
		days := int(c.end.Sub(c.start).Hours() / 24)
		sub := Subsidy(c.principal, c.rate, days, c.ratio)
		status, paidOn := "accrued", ""
		if c.paid {
			status, paidOn = "paid", c.end.AddDate(0, 0, 20).Format("2006-01-02")
			if paidOn > today.Format("2006-01-02") {
				paidOn = today.Format("2006-01-02")
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO supply_reserve_contracts (id, county_code, no, node_id, borrower_id, lender, principal_fen, rate_ppm, start_on, end_on,
			days, ratio_bp, subsidy_fen, year, status, paid_on, created_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tx.NextID(), county, c.no, c.n.ID,
			c.lender, c.principal, c.rate, c.start.Format("2006-01-02"), c.end.Format("2006-01-02"), days, c.ratio, sub, c.end.Year(), status, paidOn, s.now().UTC()); err != nil {
			return err
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "supply_demo", Summary: "演示数据：储备计划、贴息合同与年度预算"})
}

func (s *Service) seedPrices(ctx context.Context, tx *db.Tx, actor audit.Actor, rng *rand.Rand, towns, outlets []*Node, today time.Time) error {
	county := region.County(towns[0].RegionCode)
	items := []struct {
		name, unit, cat string
		base, ref       int64
		pct             int
	}{{"猪肉（鲜）", "元/千克", "肉", 2800, 3400, 10}, {"大米（粳米）", "元/千克", "粮油", 620, 760, 8}, {"菜籽油", "元/升", "粮油", 1650, 1900, 8},
		{"鸡蛋", "元/千克", "禽蛋", 1100, 1400, 10}, {"复合肥 15-15-15", "元/袋", "农资", 16000, 17500, 8}, {"尿素", "元/袋", "农资", 12800, 14000, 8}}
	var itemIDs []int64
	for _, it := range items {
		id := tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO supply_price_items (id, county_code, name, unit, category, reference_fen, alert_pct) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, county, it.name, it.unit, it.cat, it.ref, it.pct); err != nil {
			return err
		}
		itemIDs = append(itemIDs, id)
	}
	type pt struct {
		id     int64
		region string
	}
	var pts []pt
	for i, t := range towns[:min(6, len(towns))] {
		id := tx.NextID()
		var nodeID int64
		code, name := t.RegionCode, s.regions.ShortName(t.RegionCode)+"农贸市场"
		if i < len(outlets) && i%2 == 1 {
			nodeID, code, name = outlets[i].ID, outlets[i].RegionCode, outlets[i].Name
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO supply_price_points (id, county_code, name, region_code, node_id) VALUES (?, ?, ?, ?, ?)`, id, county, name, code, nodeID); err != nil {
			return err
		}
		pts = append(pts, pt{id, code})
	}
	var reportRows, alertRows [][]any
	now := s.now().UTC()
	const weeks = 13
	for ii, it := range items {
		for pi, p := range pts {
			price := it.base + int64(pi)*it.base/100
			var prev int64
			for w := weeks; w >= 0; w-- {
				d := today.AddDate(0, 0, -7*w-pi%3).Format("2006-01-02")
				price += int64(rng.IntN(int(it.base/25)+1)) - it.base/50
				if w == 0 && ii == 0 && pi < 2 {
					price = price * 118 / 100 // this week's pork spike
				}
				id := tx.NextID()
				reportRows = append(reportRows, []any{id, itemIDs[ii], p.id, p.region, d, price, "价格监测员", now})
				if price > it.ref {
					alertRows = append(alertRows, []any{tx.NextID(), id, itemIDs[ii], p.region, "reference", d,
						fmt.Sprintf("%s %s 元，高于参考价 %s 元", it.name, yuan(price), yuan(it.ref))})
				}
				if prev > 0 {
					diff := price - prev
					if diff*100 > int64(it.pct)*prev || -diff*100 > int64(it.pct)*prev {
						dir := "上涨"
						if diff < 0 {
							dir, diff = "下跌", -diff
						}
						alertRows = append(alertRows, []any{tx.NextID(), id, itemIDs[ii], p.region, "wow", d, fmt.Sprintf("%s 周环比%s %.1f%%（上周均价 %s 元，本次 %s 元），超过 %d%% 阈值",
							it.name, dir, float64(diff)*100/float64(prev), yuan(prev), yuan(price), it.pct)})
					}
				}
				prev = price
			}
		}
	}
	if err := tx.InsertRows(ctx, "supply_price_reports", []string{"id", "item_id", "point_id", "region_code", "reported_on", "price_fen", "reporter", "created_at"},
		reportRows, 200); err != nil {
		return err
	}
	if err := tx.InsertRows(ctx, "supply_price_alerts", []string{"id", "report_id", "item_id", "region_code", "kind", "reported_on", "detail"}, alertRows, 200); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "supply_demo",
		Summary: fmt.Sprintf("演示数据：价格监测 %d 条报价，%d 条预警", len(reportRows), len(alertRows))})
}
