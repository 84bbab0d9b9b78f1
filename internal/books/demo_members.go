package books

import (
	"context"
	"fmt"
	"time"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
	"nongfu/internal/registry"
)

// Demo member accounts, share register, surplus distribution and 示范社.

const demoSharePrice = 10000 // 100 元 a share, in 分

// capitalShares registers the founding contributions (the voucher just added) and one member's land use rights.
func (g *demoGen) capitalShares(y, m int) {
	vid := g.vouchers[len(g.vouchers)-1][0].(int64)
	date := fmt.Sprintf("%d-%02d-03", y, m)
	for _, mb := range g.members {
		g.share(mb, date, "cash", "货币出资", "", mb.capital, vid)
	}
	if len(g.members) > 1 {
		mb := g.members[1]
		a := g.amount(20, 60) * 1000
		g.post(y, m, 6, mb.name+"以土地经营权作价入股", dl{code: "1601", d: a}, dl{code: "3001", c: a, member: mb.name, memberID: mb.id})
		g.share(mb, fmt.Sprintf("%d-%02d-06", y, m), "land", fmt.Sprintf("承包地 %d 亩经营权（入股期 5 年）", 5+g.rng.IntN(10)), "成员大会作价决议（参照本村土地流转年租金 × 年限）",
			a, g.vouchers[len(g.vouchers)-1][0].(int64))
	}
}

func (g *demoGen) share(mb demoMember, date, kind, desc, basis string, amount, vid int64) {
	id := g.tx.NextID()
	at := time.Date(g.year-1, 1, 3, 2, 0, 0, 0, time.UTC)
	g.shareRows = append(g.shareRows, []any{id, g.bookID, mb.id, date, kind, desc, basis, amount, amount / demoSharePrice, vid, g.maker.name, at})
	y := date[:4]
	g.entry(mb.id, date, y, EntryCapital, 0, "", amount, vid, id, "入股："+AssetKindLabel(kind))
}

func (g *demoGen) entry(member int64, date, year, kind string, qty int64, unit string, amount, vid, ref int64, memo string) {
	var yr int
	fmt.Sscanf(year, "%d", &yr)
	g.entryRows = append(g.entryRows, []any{g.tx.NextID(), g.bookID, member, date, yr, kind, qty, unit, amount, vid, ref, memo, g.maker.name,
		time.Date(yr, 1, 1, 0, 0, 0, 0, time.UTC)})
}

// trade records a member's delivery of produce (交易量、交易额) at 2.40–4.00 元 a kilogram.
func (g *demoGen) trade(y, m int, mb demoMember, amount int64) {
	price := int64(240 + g.rng.IntN(160)) // 分 per kg
	qty := amount * 1000 / price          // thousandths of a kg
	g.entry(mb.id, fmt.Sprintf("%d-%02d-14", y, m), fmt.Sprint(y), EntryTrade, qty, "公斤", amount, 0, 0, "交售产品")
}

// distribute posts the year's distribution with one line per member and writes the member-account entries, split
// exactly like the wizard does (Allocate over the year's trade and over capital plus reserve shares).
func (g *demoGen) distribute(y int, carryID, net, reserve, ret, rest int64) {
	trade := make([]int64, len(g.members))
	for _, r := range g.entryRows {
		if r[5] == EntryTrade && r[4] == y {
			for i, mb := range g.members {
				if mb.id == r[2].(int64) {
					trade[i] += r[8].(int64)
				}
			}
		}
	}
	res, _ := Allocate(reserve, trade)
	rets, ok := Allocate(ret, trade)
	if !ok { // no trade at all: everything by shares
		rest += ret
		ret = 0
		rets = make([]int64, len(g.members))
		res, _ = Allocate(reserve, g.capitals())
	}
	equity := g.capitals()
	for i := range equity {
		equity[i] += res[i]
	}
	rests, _ := Allocate(rest, equity)
	ls := []dl{{code: "3501", d: reserve + ret + rest}, {code: "3301", c: reserve}}
	for i, mb := range g.members {
		if rets[i] > 0 {
			ls = append(ls, dl{code: "2221", c: rets[i], member: mb.name, memberID: mb.id})
		}
	}
	for i, mb := range g.members {
		if rests[i] > 0 {
			ls = append(ls, dl{code: "2222", c: rests[i], member: mb.name, memberID: mb.id})
		}
	}
	g.add(y, 12, 31, fmt.Sprintf("%d 年度盈余分配", y), KindCarry, "", ls...)
	vid := g.vouchers[len(g.vouchers)-1][0].(int64)
	did := g.tx.NextID()
	date := fmt.Sprintf("%d-12-31", y)
	g.distRows = append(g.distRows, []any{did, g.bookID, y, net, reserve, net - reserve, ret, rest, carryID, vid, g.maker.name, time.Date(y+1, 1, 2, 2, 0, 0, 0, time.UTC)})
	for i, mb := range g.members {
		for _, e := range []struct {
			kind string
			amt  int64
			memo string
		}{{EntryReserve, res[i], "盈余公积量化"}, {EntryReturn, rets[i], "按交易量（额）返还"}, {EntryRest, rests[i], "按出资额和公积金份额分配"}} {
			if e.amt != 0 {
				g.entry(mb.id, date, fmt.Sprint(y), e.kind, 0, "", e.amt, vid, did, fmt.Sprintf("%d 年度%s", y, e.memo))
			}
		}
	}
}

func (g *demoGen) capitals() []int64 {
	out := make([]int64, len(g.members))
	for _, r := range g.entryRows {
		if r[5] == EntryCapital {
			for i, mb := range g.members {
				if mb.id == r[2].(int64) {
					out[i] += r[8].(int64)
				}
			}
		}
	}
	return out
}

func (g *demoGen) writeMemberBooks(ctx context.Context) error {
	if err := g.tx.InsertRows(ctx, "books_shares", []string{"id", "book_id", "member_id", "contributed_on", "asset_kind", "description", "valuation_basis", "amount",
		"shares", "voucher_id", "created_by_name", "created_at"}, g.shareRows, 80); err != nil {
		return err
	}
	if err := g.tx.InsertRows(ctx, "books_member_entries", []string{"id", "book_id", "member_id", "entry_date", "year", "kind", "quantity", "unit", "amount",
		"voucher_id", "ref_id", "memo", "created_by_name", "created_at"}, g.entryRows, 80); err != nil {
		return err
	}
	return g.tx.InsertRows(ctx, "books_distributions", []string{"id", "book_id", "year", "undistributed", "reserve", "distributable", "by_volume", "by_shares",
		"carry_voucher_id", "voucher_id", "made_by_name", "created_at"}, g.distRows, 20)
}

// seedExemplary files 示范社 applications for the demo cooperatives with figures computed from the demo data, and
// awards each the highest level whose thresholds it meets (national, city, county); a few stay pending, one is
// revoked after monitoring, so every state shows.
func (s *Service) seedExemplary(ctx context.Context, tx *db.Tx, orgs []demoOrg, year int, by demoUser) error {
	at := time.Date(year-1, 11, 20, 2, 0, 0, 0, time.UTC)
	n := 0
	for i, o := range orgs {
		if o.kind != "cooperative" {
			continue
		}
		sub, err := s.demoSubject(ctx, tx, o)
		if err != nil {
			return err
		}
		declared := map[string]float64{"general_meetings": 2, "rep_share": 70, "brand": b2f(i%3 != 2), "certification": b2f(i%2 == 0),
			"households_led": float64(80 + 40*(i%6)), "scale_mu": float64(150 + 90*(i%7))}
		figs, err := s.exFigures(ctx, tx, sub, declared)
		if err != nil {
			return err
		}
		level := ""
		for _, lv := range []string{LevelNational, LevelCity, LevelCounty} {
			if len(failing(lv, figs)) == 0 {
				level = lv
				break
			}
		}
		status := ExApproved
		if level == "" || n%5 == 4 {
			status = ExApplied
			if level == "" {
				level = LevelCounty
			}
		}
		id, err := s.insertExemplaryTx(ctx, tx, audit.System, by.name, sub, year-1, level, figs, "演示数据", at)
		if err != nil {
			return err
		}
		n++
		if status == ExApplied {
			continue
		}
		score := 0
		for _, ind := range ExIndicators {
			v := ind.Max
			if f, ok := figs[ind.Key]; !ok || !f.Known || f.Value == 0 {
				v = ind.Max / 2
			}
			score += v
			if _, err := tx.ExecContext(ctx, `INSERT INTO coop_exemplary_scores (app_id, indicator, score, evaluator_name, scored_at) VALUES (?, ?, ?, ?, ?)`,
				id, ind.Key, v, "县评审组", at); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE coop_exemplary SET status = ?, score = ?, awarded_on = ?, decided_by_name = ? WHERE id = ?`,
			ExApproved, score, fmt.Sprintf("%d-12-15", year-1), by.name, id); err != nil {
			return err
		}
		x := &Exemplary{ID: id, Name: o.name}
		result, note := "pass", "年度监测合格"
		if n == 3 {
			result, note = "warn", "成员（代表）大会记录不全，限期整改"
		}
		if n == 6 {
			result, note = "revoke", "连续两年未按章程分配盈余，撤销示范社称号"
		}
		if err := s.monitorTx(ctx, tx, audit.System, by.name, x, MonitorInput{Year: year - 1, Result: result, Note: note}, at.AddDate(0, 1, 0)); err != nil {
			return err
		}
	}
	return nil
}

// demoSubject reads an organisation through the register, or from the demo transaction when the register cannot
// see it yet (the documented demo exception).
func (s *Service) demoSubject(ctx context.Context, tx *db.Tx, o demoOrg) (*registry.Subject, error) {
	if s.subjects != nil {
		subs, err := s.subjects.Lookup(ctx, []int64{o.id})
		if err != nil {
			return nil, err
		}
		if x, ok := subs[o.id]; ok {
			return x, nil
		}
	}
	x := &registry.Subject{ID: o.id, Name: o.name, Kind: o.kind, RegionCode: o.region, Status: registry.StatusActive}
	var scaleCenti int64
	if err := tx.QueryRowContext(ctx, `SELECT established_on, registered_on, households_led, scale_mu FROM subjects WHERE id = ?`, o.id).
		Scan(&x.EstablishedOn, &x.RegisteredOn, &x.HouseholdsLed, &scaleCenti); err != nil {
		return nil, fmt.Errorf("demo subject %d: %w", o.id, err)
	}
	x.ScaleMu = float64(scaleCenti) / 100
	return x, nil
}
