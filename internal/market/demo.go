package market

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
	"nongfu/internal/registry"
	"nongfu/internal/validate"
)

// DemoBrands are the county's regional public brands and the municipal families, with their standards' gist.
var DemoBrands = []BrandInput{
	{Name: "巫山脆李", Level: BrandRegional, Family: "巴味渝珍", Products: "脆李", Owner: "巫山县果品产业发展中心", StandardNo: "DB500237/T 001",
		Standard: "单果重≥25克，可溶性固形物≥12%，果面洁净无病斑；海拔300–1200米标准化果园，农残符合GB 2763。"},
	{Name: "巫山恋橙", Level: BrandRegional, Family: "三峡柑橘", Products: "脐橙,柑橘", Owner: "巫山县果品产业发展中心", StandardNo: "DB500237/T 002",
		Standard: "果径≥70毫米，可溶性固形物≥11.5%，固酸比≥12；留树保鲜采收，不打蜡。"},
	{Name: "巫山中药材", Level: BrandRegional, Family: "巴味渝珍", Products: "党参,独活,玄参,中药材", Owner: "巫山县中药材协会", StandardNo: "DB500237/T 003",
		Standard: "道地产区种植，GAP基地管理，晒干或低温烘干，含水量≤13%。"},
	{Name: "巫山鸡蛋", Level: BrandRegional, Family: "巴味渝珍", Products: "鸡蛋", Owner: "巫山县畜牧产业协会", StandardNo: "DB500237/T 004",
		Standard: "林下散养，单枚重45–60克，产后48小时内分级包装。"},
	{Name: "巫山洋芋", Level: BrandRegional, Family: "巴味渝珍", Products: "洋芋,马铃薯", Owner: "巫山县农业技术推广中心", StandardNo: "DB500237/T 005",
		Standard: "高山种植（海拔≥800米），单薯重≥100克，无青皮、无机械伤。"},
	{Name: "巫山龙骨坡大米", Level: BrandRegional, Family: "巴味渝珍", Products: "大米", Owner: "巫山县粮油协会", StandardNo: "DB500237/T 006",
		Standard: "龙骨坡片区稻田，一季中稻，GB/T 1354 一级及以上。"},
	{Name: "巴味渝珍", Level: BrandMunicipal, Products: "脆李,脐橙,鸡蛋,洋芋,大米,中药材", Owner: "重庆市农业农村委员会", StandardNo: "巴味渝珍授权管理办法",
		Standard: "市级农产品区域公用品牌，授权使用须获“两品一标”认证或县级公用品牌授权。"},
	{Name: "三峡柑橘", Level: BrandMunicipal, Products: "脐橙,柑橘", Owner: "重庆市柑橘产业协会", StandardNo: "三峡柑橘品牌使用规范",
		Standard: "三峡库区柑橘产业带产品，执行GB/T 21488 脐橙标准。"},
}

type demoProduct struct {
	product, brand, unit string
	qtyLo, qtyHi         int64 // quantity range of a supply listing
	priceFen             int64 // typical farm-gate price per unit
	season               int   // days from today the season starts (negative: already started)
}

var demoProducts = []demoProduct{
	{"脆李", "巫山脆李", "公斤", 2000, 20000, 800, -20},
	{"脐橙", "巫山恋橙", "公斤", 3000, 30000, 500, 5},
	{"洋芋", "巫山洋芋", "公斤", 5000, 50000, 240, -10},
	{"鸡蛋", "巫山鸡蛋", "枚", 5000, 40000, 120, -30},
	{"党参", "巫山中药材", "公斤", 300, 3000, 4500, 15},
	{"大米", "巫山龙骨坡大米", "公斤", 2000, 15000, 700, -40},
}

var demoBuyers = []struct{ name, channel string }{
	{"重庆永辉超市巫山店", "supermarket"}, {"新世纪百货巫山购物中心", "supermarket"}, {"巫山县农产品批发市场经营部", "wholesaler"},
	{"重庆双福农产品批发商行", "wholesaler"}, {"巫山县电商公共服务中心", "ecommerce"}, {"巫山县机关事务服务中心食堂", "canteen"},
	{"巫山县第二中学食堂", "canteen"},
}

type demoSub struct {
	id           int64
	name, region string
	kind         string
	lng, lat     float64
}

// demoSubjects reads subjects written earlier in the same demo transaction (the register's Lookup runs outside it):
// like the other rooms' seeders, the one documented read of the register's table, demo only.
func demoSubjects(ctx context.Context, tx *db.Tx, ids []int64) ([]demoSub, error) {
	var out []demoSub
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		ph, args := db.InList(part)
		rows, err := tx.QueryContext(ctx, `SELECT id, name, region_code, kind, lng, lat FROM subjects WHERE status = 'active' AND id IN (`+ph+`) ORDER BY id`, args...)
		if err != nil {
			return nil, fmt.Errorf("demo subjects: %w", err)
		}
		for rows.Next() {
			var x demoSub
			if err := rows.Scan(&x.id, &x.name, &x.region, &x.kind, &x.lng, &x.lat); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, x)
		}
		rows.Close()
	}
	return out, nil
}

// SeedDemo writes the county's brands, buyers (registered as enterprises in the register), about 60 supply and
// 15 demand listings, 12 order contracts over the past year in every state with deliveries, acceptances and
// payments, brand authorisations with batch codes, and three marketing events. producers are the cooperatives and
// family farms to post supply (the demo member first); seat is the township where the buyers sit. Deterministic
// for the same input and day; does nothing when the county already has brands.
func (s *Service) SeedDemo(ctx context.Context, tx *db.Tx, countyCode, seat string, producers []int64) error {
	county := region.County(countyCode)
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_brands WHERE county_code = ?`, county).Scan(&n); err != nil {
		return err
	}
	if n > 0 || len(producers) == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(7, uint64(len(producers))))
	sys := &auth.Principal{Username: "demo", DisplayName: "演示数据", Role: auth.CountyAdmin, Scopes: []string{countyCode}}
	now := s.nowUTC()
	today := parseDay(s.today())
	day := func(offset int) string { return today.AddDate(0, 0, offset).Format("2006-01-02") }
	// brands
	brandID := map[string]int64{}
	for _, b := range DemoBrands {
		id, err := s.insertBrand(ctx, tx, sys, county, b)
		if err != nil {
			return err
		}
		brandID[b.Name] = id
	}
	// buyers: new enterprises in the county seat
	var buyers []demoSub
	for i, b := range demoBuyers {
		first17 := fmt.Sprintf("91500237MA%07d", 6100+i)
		c, err := validate.CreditCodeCheckChar(first17)
		if err != nil {
			return err
		}
		kind, name, code, rc := "enterprise", b.name, first17+string(c), seat
		x, err := s.subjects.CreateTx(ctx, tx, sys, registry.SubjectInput{Kind: &kind, Name: &name, CreditCode: &code, RegionCode: &rc})
		if err != nil {
			return fmt.Errorf("demo buyer %s: %w", b.name, err)
		}
		if err := s.insertBuyer(ctx, tx, sys, x.ID, seat, b.name, BuyerInput{Channel: b.channel}); err != nil {
			return err
		}
		r, _ := s.regions.Get(seat)
		buyers = append(buyers, demoSub{id: x.ID, name: b.name, region: seat, kind: kind, lng: r.Lng, lat: r.Lat})
	}
	subs, err := demoSubjects(ctx, tx, producers)
	if err != nil {
		return err
	}
	byID := map[int64]demoSub{}
	for _, x := range subs {
		byID[x.id] = x
	}
	var prods []demoSub
	for _, id := range producers { // keep the caller's order: the demo member first
		if x, ok := byID[id]; ok {
			prods = append(prods, x)
		}
	}
	if len(prods) > 60 {
		prods = prods[:60]
	}
	loc := func(x demoSub) (float64, float64) {
		if x.lng != 0 || x.lat != 0 {
			return x.lng, x.lat
		}
		if r, ok := s.regions.Get(x.region); ok {
			return r.Lng, r.Lat
		}
		return 0, 0
	}
	grades := []string{"特级", "一级", "一级", "二级", "统货"}
	// brand authorisations: every producer of a branded product, valid this year and next
	authOf := map[int64]int64{}
	type authRow struct {
		id, subject int64
		product     string
		unit        string
		quota       int64
		region      string
	}
	var auths []authRow
	for i, x := range prods {
		pr := demoProducts[i%len(demoProducts)]
		if i%5 == 4 {
			continue // one in five holds no authorisation
		}
		in := AuthInput{SubjectID: x.id, Product: pr.product, DateFrom: day(-200), DateTo: day(500), Quota: pr.qtyHi * 2, Unit: pr.unit}
		b := &Brand{ID: brandID[pr.brand], Name: pr.brand}
		id, err := s.insertAuth(ctx, tx, sys, b, x.id, x.region, x.name, in)
		if err != nil {
			return err
		}
		authOf[x.id] = b.ID
		auths = append(auths, authRow{id, x.id, pr.product, pr.unit, in.Quota, x.region})
		// the municipal family of the county brand (巫山恋橙 belongs to 三峡柑橘, the others to 巴味渝珍)
		if family := map[string]string{"脆李": "巴味渝珍", "脐橙": "三峡柑橘", "鸡蛋": "巴味渝珍"}[pr.product]; family != "" {
			if _, err := s.insertAuth(ctx, tx, sys, &Brand{ID: brandID[family], Name: family}, x.id, x.region, x.name, in); err != nil {
				return err
			}
		}
	}
	for i, a := range auths {
		for k := 0; k < 1+i%3; k++ {
			q := a.quota / int64(8+rng.IntN(8))
			if _, err := s.insertBatch(ctx, tx, sys, &Authorisation{ID: a.id, Quota: a.quota, Unit: a.unit, Product: a.product},
				BatchInput{Quantity: q, HarvestDate: day(-rng.IntN(40)), OriginCode: a.region}); err != nil {
				return err
			}
		}
	}
	// open supply listings
	insert := func(in ListingInput, created time.Time) (int64, error) {
		// posted by the subject itself (a member), not on its behalf
		p := &auth.Principal{Username: "demo", DisplayName: "演示数据", Role: auth.Member, SubjectID: in.SubjectID}
		return s.insertListing(ctx, tx, p, in, created)
	}
	type pl struct {
		id  int64
		sub demoSub
		pr  demoProduct
		in  ListingInput
	}
	var supplies []pl
	for i, x := range prods {
		pr := demoProducts[i%len(demoProducts)]
		lng, lat := loc(x)
		qty := (pr.qtyLo + rng.Int64N(pr.qtyHi-pr.qtyLo)) / 100 * 100
		in := ListingInput{Side: SideSupply, SubjectID: x.id, RegionCode: x.region, Lng: lng, Lat: lat, Product: pr.product, Grade: grades[rng.IntN(len(grades))],
			Quantity: qty, Unit: pr.unit, PriceFen: pr.priceFen * int64(90+rng.IntN(25)) / 100, DateFrom: day(pr.season + rng.IntN(10)),
			DateTo: day(pr.season + 30 + rng.IntN(40)), Status: ListingOpen, Note: "可提供产地直发"}
		if i == 0 {
			in.Grade, in.Quantity, in.PriceFen, in.Note = "一级", 12000, 800, "合作社统一分级包装，可冷链直发"
		}
		if b, ok := authOf[x.id]; ok && b == brandID[pr.brand] {
			in.BrandID = b
		}
		id, err := insert(in, now.Add(-time.Duration(rng.IntN(20*24))*time.Hour))
		if err != nil {
			return err
		}
		supplies = append(supplies, pl{id, x, pr, in})
	}
	// open demand listings: each buyer asks for two products
	var demands []pl
	for i, b := range buyers {
		for k := 0; k < 2; k++ {
			pr := demoProducts[(i+k*3)%len(demoProducts)]
			grade := []string{"", "一级", "特级", "二级"}[rng.IntN(4)]
			in := ListingInput{Side: SideDemand, SubjectID: b.id, RegionCode: b.region, Lng: b.lng, Lat: b.lat, Product: pr.product, Grade: grade,
				Quantity: (pr.qtyLo + rng.Int64N(pr.qtyHi/2)) / 100 * 100, Unit: pr.unit, PriceFen: pr.priceFen * int64(95+rng.IntN(25)) / 100,
				DateFrom: day(pr.season + 5 + rng.IntN(10)), DateTo: day(pr.season + 25 + rng.IntN(30)), Status: ListingOpen, Note: "要求统一包装、提供检测报告"}
			id, err := insert(in, now.Add(-time.Duration(rng.IntN(15*24))*time.Hour))
			if err != nil {
				return err
			}
			demands = append(demands, pl{id, b, pr, in})
		}
	}
	// contracts of the past year: listings already matched, signed on a past day, fulfilled to various degrees
	for k := 0; k < 12; k++ {
		x := prods[(k*5)%len(prods)]
		b := buyers[k%len(buyers)]
		pr := demoProducts[(k*5)%len(prods)%len(demoProducts)]
		signedDay := -20 - k*27
		qty := (pr.qtyLo + rng.Int64N(pr.qtyHi-pr.qtyLo)) / 100 * 100
		price := pr.priceFen * int64(95+rng.IntN(15)) / 100
		lng, lat := loc(x)
		sIn := ListingInput{Side: SideSupply, SubjectID: x.id, RegionCode: x.region, Lng: lng, Lat: lat, Product: pr.product, Grade: "一级", Quantity: qty,
			Unit: pr.unit, PriceFen: price, DateFrom: day(signedDay), DateTo: day(signedDay + 40), Status: ListingMatched}
		dIn := ListingInput{Side: SideDemand, SubjectID: b.id, RegionCode: b.region, Lng: b.lng, Lat: b.lat, Product: pr.product, Grade: "一级", Quantity: qty,
			Unit: pr.unit, PriceFen: price, DateFrom: day(signedDay + 5), DateTo: day(signedDay + 40), Status: ListingMatched}
		created := today.AddDate(0, 0, signedDay-7)
		sid, err := insert(sIn, created)
		if err != nil {
			return err
		}
		did, err := insert(dIn, created)
		if err != nil {
			return err
		}
		sched := []Instalment{{Seq: 1, DueDate: day(signedDay + 15), Quantity: qty / 2, AmountFen: qty / 2 * price},
			{Seq: 2, DueDate: day(signedDay + 35), Quantity: qty - qty/2, AmountFen: (qty - qty/2) * price}}
		signed := today.AddDate(0, 0, signedDay).Add(3 * time.Hour)
		status := ContractSigned
		// the oldest are fulfilled; recent ones are part-way; one was late and one still owes money
		var fs []FulfilmentInput
		switch {
		case k >= 4:
			status = ContractFulfilled
			late := 0
			if k == 6 {
				late = 4
			}
			fs = []FulfilmentInput{{Kind: FulfilDelivered, OnDate: day(signedDay + 14), Quantity: qty / 2},
				{Kind: FulfilDelivered, OnDate: day(signedDay + 33 + late), Quantity: qty - qty/2},
				{Kind: FulfilAccepted, OnDate: day(signedDay + 36 + late), Quantity: qty},
				{Kind: FulfilPaid, OnDate: day(signedDay + 45), AmountFen: qty * price}}
		case k >= 1:
			fs = []FulfilmentInput{{Kind: FulfilDelivered, OnDate: day(signedDay + 13), Quantity: qty / 2},
				{Kind: FulfilAccepted, OnDate: day(signedDay + 14), Quantity: qty / 2},
				{Kind: FulfilPaid, OnDate: day(signedDay + 18), AmountFen: qty / 2 * price * 6 / 10}}
		}
		if err := s.seedContract(ctx, tx, sid, did, x, b, pr, qty, price, status, signed, sched, fs); err != nil {
			return err
		}
	}
	// one live contract of the demo member from its open listing, signed, part delivered; and one draft to sign
	if len(supplies) > 0 {
		sp := supplies[0]
		var d *pl
		for i := range demands {
			if demands[i].pr.product == sp.pr.product {
				d = &demands[i]
				break
			}
		}
		if d != nil {
			qty := min(sp.in.Quantity, d.in.Quantity) / 2
			price := max(sp.in.PriceFen, d.in.PriceFen)
			sched := []Instalment{{Seq: 1, DueDate: day(3), Quantity: qty, AmountFen: qty * price}}
			id, err := s.insertContractRow(ctx, tx, sp.id, d.id, sp.sub, d.sub, sp.pr, "一级", qty, price, ContractDraft, time.Time{}, sched)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE market_contracts SET seller_signed_at = ?, seller_signed_by = ? WHERE id = ?`, now, sp.sub.name, id); err != nil {
				return err
			}
		}
	}
	return s.seedEvents(ctx, tx, sys, countyCode, seat, prods, day)
}

func (s *Service) insertContractRow(ctx context.Context, tx *db.Tx, sid, did int64, seller, buyer demoSub, pr demoProduct, grade string, qty, price int64,
	status string, signed time.Time, sched []Instalment) (int64, error) {
	id := tx.NextID()
	no := fmt.Sprintf("DD%s-%d", time.Now().In(shanghai()).Format("2006"), id)
	var signedAt any
	if !signed.IsZero() {
		no = fmt.Sprintf("DD%s-%d", signed.In(shanghai()).Format("2006"), id)
		signedAt = signed.UTC()
	}
	created := s.nowUTC()
	if !signed.IsZero() {
		created = signed.UTC().Add(-48 * time.Hour)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO market_contracts (id, no, county_code, supply_id, demand_id, seller_id, seller_region, buyer_id,
		buyer_region, product, grade, quantity, unit, price_fen, amount_fen, quality_terms, match_score, status, seller_signed_at, seller_signed_by,
		buyer_signed_at, buyer_signed_by, signed_at, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, no, region.County(seller.region), sid, did, seller.id, seller.region, buyer.id, buyer.region, pr.product, grade, qty, pr.unit, price, qty*price,
		grade+"，执行“"+pr.brand+"”品牌标准；到货验收，不合格部分可拒收。", 80+int(id%15), status, signedAt, signerName(signedAt, seller.name),
		signedAt, signerName(signedAt, buyer.name), signedAt, "演示数据", created, created); err != nil {
		return 0, fmt.Errorf("demo contract: %w", err)
	}
	if err := insertSchedule(ctx, tx, id, sched); err != nil {
		return 0, err
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "create", Entity: "market_contract", EntityID: id,
		Summary: "演示订单合同 " + no})
}

func signerName(at any, name string) string {
	if at == nil {
		return ""
	}
	return name
}

func (s *Service) seedContract(ctx context.Context, tx *db.Tx, sid, did int64, seller, buyer demoSub, pr demoProduct, qty, price int64, status string,
	signed time.Time, sched []Instalment, fs []FulfilmentInput) error {
	id, err := s.insertContractRow(ctx, tx, sid, did, seller, buyer, pr, "一级", qty, price, status, signed, sched)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_fulfilments (id, contract_id, kind, on_date, quantity, amount_fen, note, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, '', '演示数据', ?)`, tx.NextID(), id, f.Kind, f.OnDate, f.Quantity, f.AmountFen, parseDay(f.OnDate).Add(10*time.Hour)); err != nil {
			return fmt.Errorf("demo fulfilment: %w", err)
		}
	}
	return nil
}

func (s *Service) seedEvents(ctx context.Context, tx *db.Tx, sys *auth.Principal, county, seat string, prods []demoSub, day func(int) string) error {
	events := []EventInput{
		{Kind: "festival", Name: "第十届巫山脆李节", RegionCode: seat, Venue: "巫山县文化广场", DateFrom: day(-120), DateTo: day(-118), Note: "脆李品鉴、订货会、农旅推介"},
		{Kind: "livestream", Name: "巫山恋橙直播带货专场", RegionCode: seat, Venue: "县电商公共服务中心直播间", DateFrom: day(-8), DateTo: day(-8)},
		{Kind: "fair", Name: "巴味渝珍·巫山农产品展示展销会（重庆主城）", RegionCode: county, Venue: "重庆国际博览中心", DateFrom: day(25), DateTo: day(28)},
	}
	for i, in := range events {
		id, err := s.insertEvent(ctx, tx, sys, in)
		if err != nil {
			return err
		}
		if i == 2 {
			continue // upcoming: no sales yet
		}
		e := &Event{ID: id, Name: in.Name}
		for k := 0; k < 6 && k < len(prods); k++ {
			x := prods[(k*4+i)%len(prods)]
			vol := int64(500 + 300*k)
			if err := s.upsertSale(ctx, tx, sys, e, x.region, x.name, SaleInput{SubjectID: x.id, Volume: vol, Unit: "公斤", SalesFen: vol * int64(600+100*i)}); err != nil {
				return err
			}
		}
	}
	return nil
}
