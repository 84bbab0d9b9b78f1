package service

import (
	"context"
	"fmt"
	"math/rand/v2"
	"nongfu/internal/platform/web"
	"strings"
	"time"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

type demoSubject struct {
	id           int64
	name, region string
}

// demoSubjects reads subjects written earlier in the same demo transaction (the register's Lookup runs outside it):
// like the books and federation seeders, the one documented read of another room's table, demo only.
func demoSubjects(ctx context.Context, tx *db.Tx, ids []int64) (map[int64]demoSubject, error) {
	out := map[int64]demoSubject{}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		ph, args := db.InList(part)
		rows, err := tx.QueryContext(ctx, `SELECT id, name, region_code FROM subjects WHERE status = 'active' AND id IN (`+ph+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("demo subjects: %w", err)
		}
		for rows.Next() {
			var x demoSubject
			if err := rows.Scan(&x.id, &x.name, &x.region); err != nil {
				rows.Close()
				return nil, err
			}
			out[x.id] = x
		}
		rows.Close()
	}
	return out, nil
}

// SeedDemo writes the county's service carriers (the county center and seven township centers hosted by the
// supply co-ops, 综合服务社 built by supply co-op + village collective pairs, about 40 village stations), the
// catalog, about 150 contracts and about 200 requests in every state including overdue ones. Deterministic for the
// same input and day; does nothing when the county already has its county-level center.
func (s *Service) SeedDemo(ctx context.Context, tx *db.Tx, townships []string, orgs map[string][]int64, households []int64) error {
	if len(townships) == 0 {
		return nil
	}
	county := region.County(townships[0])
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_centers WHERE county_code = ? AND level = 'county'`, county).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	var ids []int64
	for _, k := range []string{"supply_coop", "village_collective", "cooperative", "family_farm"} {
		ids = append(ids, orgs[k]...)
	}
	ids = append(ids, households...)
	members, err := demoMembers(ctx, tx)
	if err != nil {
		return err
	}
	ids = append(ids, members...)
	subs, err := demoSubjects(ctx, tx, ids)
	if err != nil {
		return err
	}
	byTown := func(kind string) map[string][]demoSubject {
		m := map[string][]demoSubject{}
		for _, id := range orgs[kind] {
			if x, ok := subs[id]; ok {
				t := region.Township(x.region)
				m[t] = append(m[t], x)
			}
		}
		return m
	}
	supply, collectives := byTown("supply_coop"), byTown("village_collective")
	rng := rand.New(rand.NewPCG(2027, 3))
	now := s.nowUTC()
	var entries []audit.Entry
	var all []*Center
	add := func(in CenterInput) *Center {
		if r, ok := s.regions.Get(in.RegionCode); ok {
			in.Lng, in.Lat = r.Lng+float64(rng.IntN(200)-100)/10000, r.Lat+float64(rng.IntN(200)-100)/10000
		}
		c := &Center{ID: tx.NextID(), Level: in.Level, Name: in.Name, HostID: in.HostID, CollectiveID: in.CollectiveID, StrongVillage: in.StrongVillage,
			RegionCode: in.RegionCode, Lng: in.Lng, Lat: in.Lat, Staff: in.Staff, Status: in.Status, Services: in.Services}
		all = append(all, c)
		entries = append(entries, audit.Entry{Actor: audit.System, Action: "create", Entity: "service_center", EntityID: c.ID,
			Summary: "演示数据：登记" + LevelLabel(c.Level) + "：" + c.Name})
		return c
	}
	centerSvc := []string{"bookkeeping", "archives", "government", "business", "training", "supply", "marketing", "branding", "finance"}
	prodSvc := []string{"plough", "plant", "protect", "harvest", "drying", "soil", "inputs"}
	countyCode := townships[0][:6] + "000000"
	var host int64
	if l := orgs["supply_coop"]; len(l) > 0 {
		host = l[0]
	}
	countyCenter := add(CenterInput{Level: LevelCounty, Name: s.regions.ShortName(countyCode) + "为农服务中心", HostID: host, RegionCode: countyCode, Staff: 36,
		Status: OpenOperating, Services: append(append([]string{}, centerSvc...), prodSvc...)})
	townCenter := map[string]*Center{}
	for i, t := range townships {
		if i >= 7 {
			break
		}
		h := host
		if l := supply[t]; len(l) > 0 {
			h = l[0].id
		}
		townCenter[t] = add(CenterInput{Level: LevelTownship, Name: s.regions.ShortName(t) + "为农服务中心", HostID: h, RegionCode: t, Staff: 8 + rng.IntN(10),
			Status: OpenOperating, Services: append([]string{"government", "business", "archives", "bookkeeping", "training"}, prodSvc[:4]...)})
	}
	coops := 0
	for i, t := range townships {
		if coops >= 12 {
			break
		}
		sl, cl := supply[t], collectives[t]
		if len(sl) == 0 || len(cl) == 0 {
			continue
		}
		col := cl[i%len(cl)]
		status := OpenOperating
		if coops%6 == 5 {
			status = OpenPlanning
		}
		add(CenterInput{Level: LevelCoop, Name: s.regions.ShortName(col.region) + "农村综合服务社", HostID: sl[0].id, CollectiveID: col.id,
			StrongVillage: coops%4 == 0, RegionCode: col.region, Staff: 3 + rng.IntN(6), Status: status, Services: []string{"supply", "marketing", "inputs", "plough", "protect"}})
		coops++
	}
	stations := 0
	for round := 0; stations < 40 && round < 10; round++ {
		for _, t := range townships {
			cl := collectives[t]
			if stations >= 40 || round >= len(cl) {
				continue
			}
			col := cl[round]
			status := OpenOperating
			switch stations % 10 {
			case 7:
				status = OpenPlanning
			case 9:
				status = OpenClosed
			}
			add(CenterInput{Level: LevelStation, Name: s.regions.ShortName(col.region) + "一站式服务站", HostID: col.id, RegionCode: col.region, Staff: 1 + rng.IntN(3),
				Status: status, Services: []string{"government", "archives", "inputs"}})
			stations++
		}
	}
	var rows [][]any
	for _, c := range all {
		rows = append(rows, []any{c.ID, county, c.Level, c.Name, c.HostID, c.CollectiveID, c.StrongVillage, c.RegionCode, c.Lng, c.Lat, c.Staff, c.Status,
			strings.Join(c.Services, ","), "", "", now, now})
	}
	if err := tx.InsertRows(ctx, "service_centers", []string{"id", "county_code", "level", "name", "host_id", "collective_id", "strong_village", "region_code",
		"lng", "lat", "staff", "status", "services", "phone", "note", "created_at", "updated_at"}, rows, 200); err != nil {
		return fmt.Errorf("demo centers: %w", err)
	}
	// the catalog, at its defaults
	rows = rows[:0]
	for _, d := range defaultCatalog {
		it, _ := defaultItem(d.Code)
		rows = append(rows, []any{county, it.Code, it.PriceFen, it.weightK, it.DueHours, "", now})
	}
	if err := tx.InsertRows(ctx, "service_catalog", []string{"county_code", "code", "price_fen", "weight_k", "due_hours", "updated_by", "updated_at"}, rows, 100); err != nil {
		return fmt.Errorf("demo catalog: %w", err)
	}
	centerFor := func(reg string) *Center {
		if c, ok := townCenter[region.Township(reg)]; ok {
			return c
		}
		return countyCenter
	}
	// clients: member users' subjects first, then cooperatives, family farms and households, in the order given
	var clients []demoSubject
	seen := map[int64]bool{}
	for _, group := range [][]int64{members, orgs["cooperative"], orgs["family_farm"], households} {
		for _, id := range group {
			if x, ok := subs[id]; ok && !seen[id] {
				seen[id] = true
				clients = append(clients, x)
			}
		}
	}
	today := now.In(web.Shanghai)
	day := func(d int) string { return today.AddDate(0, 0, d).Format("2006-01-02") }
	rows = rows[:0]
	for i := 0; i < 150 && i < len(clients); i++ {
		x := clients[i]
		c := centerFor(x.region)
		from, to, status := day(-30-rng.IntN(300)), "", ContractActive
		to = day(30 + rng.IntN(330))
		switch {
		case i%15 == 7: // expired
			from, to = day(-500), day(-20)
		case i%15 == 11:
			status = ContractTerminated
		}
		scope := []string{prodSvc[rng.IntN(4)], prodSvc[4+rng.IntN(3)]}
		if i%3 == 0 {
			scope = append(scope, "bookkeeping")
		}
		rows = append(rows, []any{tx.NextID(), county, c.ID, c.RegionCode, x.id, x.region, strings.Join(scope, ","), from, to, int64(50000 + rng.IntN(200)*1000),
			status, now})
		if i%25 == 3 { // a second contract of the same subject (counted once)
			rows = append(rows, []any{tx.NextID(), county, countyCenter.ID, countyCenter.RegionCode, x.id, x.region, "branding", day(-10), day(200), int64(200000),
				ContractActive, now})
		}
	}
	if err := tx.InsertRows(ctx, "service_contracts", []string{"id", "county_code", "center_id", "center_region", "subject_id", "region_code", "scope", "date_from",
		"date_to", "fee_fen", "status", "created_at"}, rows, 200); err != nil {
		return fmt.Errorf("demo contracts: %w", err)
	}
	entries = append(entries, audit.Entry{Actor: audit.System, Action: "create", Entity: "service_contract", Summary: fmt.Sprintf("演示数据：签约服务 %d 份", len(rows))})
	// requests: statuses by index; the older open ones are overdue
	titles := map[string][]string{
		"government":  {"办理新型农业经营主体认定", "代办农机购置补贴申请", "代办耕地地力保护补贴", "代办土地承包经营权变更"},
		"business":    {"代理农产品购销合同签订", "代办营业执照年报", "代理商标注册"},
		"archives":    {"调阅土地流转合同档案", "整理合作社成员档案"},
		"bookkeeping": {"代账委托受理", "补交上月原始凭证"},
		"training":    {"报名柑橘修剪培训"},
	}
	types := []string{"government", "government", "business", "archives", "bookkeeping", "training"}
	var reqRows, stepRows [][]any
	for i := 0; i < 200 && len(clients) > 0; i++ {
		x := clients[(i*7)%len(clients)]
		c := centerFor(x.region)
		typ := types[i%len(types)]
		ts := titles[typ]
		filed := now.Add(-time.Duration(2+rng.IntN(24*40)) * time.Hour)
		if i < 20 {
			filed = now.Add(-time.Duration(1+rng.IntN(48)) * time.Hour) // recent ones, still in time
		}
		due := DueAt(filed, DefaultDueHours)
		id := tx.NextID()
		proxy := i%3 != 0
		steps := [][]any{{id, 1, "file", filed, int64(0), map[bool]string{true: "乡镇工作人员", false: x.name}[proxy], map[bool]string{true: "工作人员代办", false: ""}[proxy]}}
		status := []string{ReqFiled, ReqAccepted, ReqHandled, ReqFinished, ReqFinished, ReqFinished, ReqReturned}[i%7]
		at := filed
		var closed any
		reason := ""
		next := func(action string) {
			at = at.Add(time.Duration(4+rng.IntN(40)) * time.Hour)
			if at.After(now) {
				at = now.Add(-time.Minute)
			}
			note := ""
			if action == "return" {
				note = "材料不全，请补充身份证复印件和承包合同"
				reason = note
			}
			steps = append(steps, []any{id, len(steps) + 1, action, at, int64(0), c.Name + "工作人员", note})
		}
		switch status {
		case ReqAccepted:
			next("accept")
		case ReqHandled:
			next("accept")
			next("handle")
		case ReqFinished:
			next("accept")
			next("handle")
			next("finish")
			closed = at
		case ReqReturned:
			next("return")
			closed = at
		}
		reqRows = append(reqRows, []any{id, county, c.ID, c.RegionCode, x.id, typ, ts[i%len(ts)], "", proxy, status, filed, due, closed, reason})
		stepRows = append(stepRows, steps...)
	}
	if err := tx.InsertRows(ctx, "service_requests", []string{"id", "county_code", "center_id", "center_region", "subject_id", "type", "title", "detail", "proxy",
		"status", "filed_at", "due_at", "closed_at", "return_reason"}, reqRows, 200); err != nil {
		return fmt.Errorf("demo requests: %w", err)
	}
	if err := tx.InsertRows(ctx, "service_request_steps", []string{"request_id", "seq", "action", "at", "by_id", "by_name", "note"}, stepRows, 200); err != nil {
		return fmt.Errorf("demo steps: %w", err)
	}
	entries = append(entries, audit.Entry{Actor: audit.System, Action: "create", Entity: "service_request", Summary: fmt.Sprintf("演示数据：服务申请 %d 件", len(reqRows))})
	return audit.WriteMany(ctx, tx, entries)
}

// demoMembers is the subjects of the demo's member accounts (so that they see their own contracts and requests).
func demoMembers(ctx context.Context, tx *db.Tx) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT subject_id FROM users WHERE role = 'member' AND subject_id <> 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("demo members: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
