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
)

// demoGoods is the demo catalog (registration numbers are synthetic, in the official formats).
var demoGoods = []GoodsInput{
	{Category: "seed", Name: "杂交玉米种子 渝单8号", Spec: "2千克/袋", Unit: "袋", RegNo: "渝审玉2009003"},
	{Category: "seed", Name: "马铃薯种薯 鄂马铃薯5号", Spec: "25千克/袋", Unit: "袋"},
	{Category: "seed", Name: "水稻种子 Y两优1号", Spec: "1千克/袋", Unit: "袋", RegNo: "国审稻2008001"},
	{Category: "fertilizer", Name: "复合肥 15-15-15", Spec: "50千克/袋", Unit: "袋", RegNo: "渝农肥（2023）准字0001号"},
	{Category: "fertilizer", Name: "尿素", Spec: "50千克/袋", Unit: "袋"},
	{Category: "fertilizer", Name: "有机肥", Spec: "40千克/袋", Unit: "袋", RegNo: "农肥（2022）准字1234号"},
	{Category: "pesticide", Name: "吡虫啉可湿性粉剂", Spec: "10%·20克/袋", Unit: "袋", RegNo: "PD20060001"},
	{Category: "pesticide", Name: "代森锰锌可湿性粉剂", Spec: "80%·100克/袋", Unit: "袋", RegNo: "PD20080002"},
	{Category: "pesticide", Name: "草甘膦水剂", Spec: "30%·1千克/瓶", Unit: "瓶", RegNo: "PD20070003"},
	{Category: "film", Name: "地膜", Spec: "0.012毫米×1.2米", Unit: "千克", Decimals: 1},
	{Category: "film", Name: "大棚膜", Spec: "0.08毫米×8米", Unit: "千克", Decimals: 1},
	{Category: "rice", Name: "巫山龙骨坡大米", Spec: "10千克/袋", Unit: "袋"},
	{Category: "rice", Name: "散装大米", Spec: "", Unit: "千克", Decimals: 1},
	{Category: "flour", Name: "小麦粉", Spec: "5千克/袋", Unit: "袋"},
	{Category: "flour", Name: "挂面", Spec: "1千克/把", Unit: "把"},
	{Category: "grain", Name: "玉米粒", Spec: "", Unit: "千克", Decimals: 1},
	{Category: "oil", Name: "菜籽油", Spec: "5升/桶", Unit: "桶"},
	{Category: "oil", Name: "大豆油", Spec: "5升/桶", Unit: "桶"},
	{Category: "meat", Name: "猪肉", Spec: "鲜肉", Unit: "千克", Decimals: 3},
	{Category: "meat", Name: "腊肉", Spec: "", Unit: "千克", Decimals: 3},
}

// SeedDemo builds the county's network — a county warehouse, a 集采集配中心 and a cold store, a logistics node per
// township, and 60 village points, 流通网点 and one-stop stations spread over the townships' villages (operators
// taken in turn from operators) — the goods catalog, and four months of receipts at the county, transfers down to
// the townships and villages, issues and losses, never below zero. Deterministic for the same input and day; a
// county that already has nodes is left alone.
func (s *Service) SeedDemo(ctx context.Context, tx *db.Tx, townships []string, operators []int64) error {
	if len(townships) == 0 {
		return nil
	}
	county := region.County(townships[0])
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_nodes WHERE county_code = ?`, county).Scan(&have); err != nil {
		return err
	}
	if have > 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(4, 2026))
	now := s.now().UTC().Truncate(time.Microsecond)
	actor := audit.Actor{ID: 0, Name: "演示数据"}

	// goods
	var goods []*Goods
	var gRows [][]any
	for _, in := range demoGoods {
		id := tx.NextID()
		gRows = append(gRows, []any{id, county, in.Category, in.Name, in.Spec, in.Unit, in.Decimals, in.RegNo, "active", now})
		goods = append(goods, &Goods{ID: id, Category: in.Category, Name: in.Name, Unit: in.Unit, Decimals: in.Decimals})
	}
	if err := tx.InsertRows(ctx, "supply_goods", []string{"id", "county_code", "category", "name", "spec", "unit", "decimals", "reg_no", "status", "created_at"},
		gRows, 100); err != nil {
		return err
	}

	// nodes
	type dn struct {
		id     int64
		kind   string
		region string
		town   int
	}
	var nodes []dn
	var nRows [][]any
	countyCode := county
	if len(countyCode) == 6 {
		countyCode += "000000" // the tenancy column holds 6 digits; the tree is keyed by 12
	}
	cname := s.regions.ShortName(countyCode)
	add := func(kind, name, code string, op int64, fns string, status string, town int) dn {
		lng, lat := 0.0, 0.0
		if r, ok := s.regions.Get(code); ok {
			lng, lat = r.Lng+(rng.Float64()-0.5)*0.004, r.Lat+(rng.Float64()-0.5)*0.004
		}
		n := dn{id: tx.NextID(), kind: kind, region: code, town: town}
		nRows = append(nRows, []any{n.id, county, kind, name, code, op, fns, "", lng, lat, status, "", now, now})
		nodes = append(nodes, n)
		return n
	}
	wh := add(KindCountyWarehouse, cname+"县级仓储物流中心", countyCode, 0, "", NodeActive, -1)
	pc := add(KindPoolingCenter, cname+"农资集采集配中心", countyCode, 0, "", NodeActive, -1)
	add(KindColdStore, cname+"冷链仓储中心", townships[0], 0, "", NodeActive, -1)
	var townNodes []dn
	for i, t := range townships {
		townNodes = append(townNodes, add(KindTownshipNode, s.regions.ShortName(t)+"物流服务站", t, 0, "", NodeActive, i))
	}
	var village []dn
	fnSets := []string{"express,inputs,daily,produce,finance", "express,inputs,daily", "express,daily,produce", "inputs,daily,finance"}
	opi := 0
	for i := 0; i < 60; i++ {
		ti := i % len(townships)
		vs := s.regions.Children(townships[ti])
		if len(vs) == 0 {
			continue
		}
		v := vs[(i/len(townships))%len(vs)]
		var op int64
		if len(operators) > 0 && i%4 != 3 {
			op = operators[opi%len(operators)]
			opi++
		}
		status := NodeActive
		if i%17 == 16 {
			status = NodeBuilding
		}
		var n dn
		switch i % 3 {
		case 0:
			n = add(KindStation, v.Name+"一站式服务站", v.Code, op, fnSets[i%len(fnSets)], status, ti)
		case 1:
			n = add(KindOutlet, v.Name+"供销流通网点", v.Code, op, "", status, ti)
		default:
			n = add(KindVillagePoint, v.Name+"村级物流点", v.Code, op, "", status, ti)
		}
		if status == NodeActive {
			village = append(village, n)
		}
	}
	if err := tx.InsertRows(ctx, "supply_nodes", []string{"id", "county_code", "kind", "name", "region_code", "operator_id", "functions", "address",
		"lng", "lat", "status", "note", "created_at", "updated_at"}, nRows, 100); err != nil {
		return err
	}

	// moves: four months, week by week, kept non-negative in memory
	bal := map[[2]int64]int64{}
	var mRows [][]any
	unit := func(g *Goods) int64 {
		u := int64(1)
		for range g.Decimals {
			u *= 10
		}
		return u
	}
	move := func(n dn, g *Goods, kind string, qty, other, transfer int64, day string) {
		bal[[2]int64{n.id, g.ID}] += qty
		mRows = append(mRows, []any{tx.NextID(), county, n.id, g.ID, kind, qty, other, transfer, nil, nil, day, "", "", actor.ID, actor.Name, now})
	}
	transfer := func(from, to dn, g *Goods, qty int64, day string) {
		if have := bal[[2]int64{from.id, g.ID}]; qty > have {
			qty = have
		}
		if qty <= 0 {
			return
		}
		t := tx.NextID()
		move(from, g, MoveTransferOut, -qty, to.id, t, day)
		move(to, g, MoveTransferIn, qty, from.id, t, day)
	}
	out := func(n dn, g *Goods, kind string, qty int64, day string) {
		if have := bal[[2]int64{n.id, g.ID}]; qty > have {
			qty = have
		}
		if qty > 0 {
			move(n, g, kind, -qty, 0, 0, day)
		}
	}
	start := now.In(web.Shanghai).AddDate(0, -4, 0)
	today := now.In(web.Shanghai).Format("2006-01-02")
	for d := start; d.Format("2006-01-02") < today; d = d.AddDate(0, 0, 7) {
		day := d.Format("2006-01-02")
		for gi, g := range goods {
			u := unit(g)
			src := wh
			if g.Category != "rice" && g.Category != "flour" && g.Category != "grain" && g.Category != "oil" && g.Category != "meat" {
				src = pc
			}
			move(src, g, MoveReceipt, int64(150+rng.IntN(100))*u, 0, 0, day)
			for ti, tn := range townNodes {
				if (ti+gi)%3 == int(d.Unix()/604800)%3 {
					transfer(src, tn, g, int64(10+rng.IntN(15))*u, day)
				}
			}
		}
		for vi, vn := range village {
			tn := townNodes[vn.town]
			for k := range 2 {
				g := goods[(vi+k*7+int(d.Unix()/604800))%len(goods)]
				u := unit(g)
				transfer(tn, vn, g, int64(3+rng.IntN(5))*u, day)
				out(vn, g, MoveIssue, int64(1+rng.IntN(5))*u+int64(rng.IntN(int(u))), day)
			}
			if vi%11 == 0 {
				out(vn, goods[vi%len(goods)], MoveLoss, unit(goods[vi%len(goods)]), day)
			}
		}
	}
	if err := tx.InsertRows(ctx, "supply_moves", []string{"id", "county_code", "node_id", "goods_id", "kind", "qty", "other_node_id", "transfer_id",
		"reverses_id", "counted", "moved_on", "ref", "note", "actor_id", "actor_name", "created_at"}, mRows, 500); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "supply_demo", EntityID: wh.id,
		Summary: fmt.Sprintf("演示数据：网点 %d 个，商品 %d 种，库存流水 %d 笔", len(nodes), len(goods), len(mRows))})
}
