package service

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
	"nongfu/internal/service/track"
)

type demoPlot struct {
	id, subject, centi int64
	region, name       string
	lng, lat           float64
	polygon            string
}

func (s *Service) demoPlots(ctx context.Context, tx *db.Tx, subjects []int64) ([]demoPlot, error) {
	var out []demoPlot
	for start := 0; start < len(subjects); start += 500 {
		ph, args := db.InList(subjects[start:min(start+500, len(subjects))])
		rows, err := tx.QueryContext(ctx, `SELECT id, subject_id, area, region_code, name, lng, lat, polygon FROM plots WHERE status = 'active' AND area > 0
			AND subject_id IN (`+ph+`) ORDER BY subject_id, id`, args...)
		if err != nil {
			return nil, fmt.Errorf("demo plots: %w", err)
		}
		for rows.Next() {
			var p demoPlot
			if err := rows.Scan(&p.id, &p.subject, &p.centi, &p.region, &p.name, &p.lng, &p.lat, &p.polygon); err != nil {
				rows.Close()
				return nil, err
			}
			if p.lng == 0 && p.lat == 0 { // no map position: near the village centre, spread by id
				p.lng, p.lat = s.plotCoord(p.region, 0, 0)
				p.lng += float64(p.id%97-48) * 0.0002
				p.lat += float64(p.id%89-44) * 0.0002
			}
			out = append(out, p)
		}
		rows.Close()
	}
	return out, nil
}

func demoUserSubject(ctx context.Context, tx *db.Tx, role string) (int64, string) {
	var id int64
	var name string
	_ = tx.QueryRowContext(ctx, `SELECT u.subject_id, u.display_name FROM users u WHERE u.role = ? AND u.subject_id <> 0 ORDER BY u.id LIMIT 1`, role).Scan(&id, &name)
	return id, name
}

// SeedTrusteeship writes the demo's providers (the provider account's machinery co-op and one service team per
// township), their machines and staff, a season of trusteeship orders on household plots in every state — settled
// months ago, accepted and waiting for dispatch, dispatched for the coming days, in work, completed awaiting the
// farmer's acceptance, disputed — with GPS tracks on some, and training sessions with attendance. Deterministic; does
// nothing when the county already has providers. Bulk rows are written directly (one audit entry for the batch).
func (s *Service) SeedTrusteeship(ctx context.Context, tx *db.Tx, townships []string, orgs map[string][]int64, byTown map[string][]int64) error {
	if len(townships) == 0 {
		return nil
	}
	county := region.County(townships[0])
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_providers WHERE county_code = ?`, county).Scan(&n); err != nil || n > 0 {
		return err
	}
	rng := rand.New(rand.NewPCG(7, 3))
	now := s.nowUTC()
	today := s.now().In(web.Shanghai)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, web.Shanghai)
	date := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
	provSubject, _ := demoUserSubject(ctx, tx, "provider")
	memberSubject, _ := demoUserSubject(ctx, tx, "member")
	coops, err := demoSubjects(ctx, tx, append(append([]int64{}, orgs["cooperative"]...), provSubject))
	if err != nil {
		return err
	}
	coopByTown := map[string][]demoSubject{}
	for _, id := range orgs["cooperative"] {
		if x, ok := coops[id]; ok && id != provSubject {
			coopByTown[region.Township(x.region)] = append(coopByTown[region.Township(x.region)], x)
		}
	}
	var provs []*prov
	provByTown := map[string][]*prov{}
	addProv := func(sub demoSubject, kind string, services []string, founded int, towns []string) error {
		p := &prov{id: tx.NextID(), kind: kind, services: services, town: region.Township(sub.region), msvc: map[int64][]string{}, rate: map[int64]float64{}}
		listed, _ := qualify(founded, today.Year(), services, towns)
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_providers (id, county_code, subject_id, name, kind, region_code, founded_year, services, townships, contact,
			phone, listed, status, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', '', ?, ?)`, p.id, county, sub.id, sub.name, kind,
			sub.region, founded, strings.Join(services, ","), strings.Join(towns, ","), "负责人", fmt.Sprintf("1390000%04d", rng.IntN(10000)), listed, now, now); err != nil {
			return fmt.Errorf("demo provider: %w", err)
		}
		// machines by kind, based near the team's village
		type mk struct {
			name, kind, impl string
			svc              []string
			width, rate      float64
		}
		var fleet []mk
		switch kind {
		case KindMachinery:
			fleet = []mk{{"东方红拖拉机", "拖拉机", "旋耕机", []string{"plough"}, 2.2, 60}, {"久保田插秧机", "插秧机", "", []string{"plant"}, 1.8, 40},
				{"沃得收割机", "联合收割机", "", []string{"harvest"}, 2.5, 50}, {"植保无人机", "植保无人机", "喷洒系统", []string{"protect"}, 6, 300}}
			if sub.id == provSubject {
				fleet = append(fleet, mk{"雷沃拖拉机", "拖拉机", "旋耕机", []string{"plough", "plant"}, 2.4, 70}, mk{"久保田收割机", "联合收割机", "", []string{"harvest"}, 2.2, 45})
			}
		case KindProtection:
			fleet = []mk{{"大疆 T40 无人机", "植保无人机", "喷洒系统", []string{"protect"}, 7, 350}, {"极飞 P100 无人机", "植保无人机", "喷洒系统", []string{"protect"}, 6, 300}}
		case KindTech:
			fleet = []mk{{"测土车", "测土配肥车", "", []string{"soil"}, 0, 200}}
		case KindInputs:
			fleet = []mk{{"配送车", "货车", "", []string{"inputs"}, 0, 500}}
		}
		for i, m := range fleet {
			mid := tx.NextID()
			status := MachineOK
			if rng.IntN(12) == 0 {
				status = MachineBroken
			}
			name := fmt.Sprintf("%s #%d", m.name, i+1)
			lng, lat := s.plotCoord(sub.region, 0, 0)
			if _, err := tx.ExecContext(ctx, `INSERT INTO service_machines (id, provider_id, county_code, region_code, name, kind, services, implement, width_cm, rate_centi,
				hours_day, base_lng, base_lat, operator, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 8, ?, ?, ?, ?, ?, ?)`, mid, p.id, county, sub.region,
				name, m.kind, strings.Join(m.svc, ","), m.impl, int64(m.width*100), int64(m.rate*100), lng+rng.Float64()*0.01, lat+rng.Float64()*0.01,
				demoOperators[rng.IntN(len(demoOperators))], status, now, now); err != nil {
				return fmt.Errorf("demo machine: %w", err)
			}
			if status == MachineOK {
				p.machines = append(p.machines, mid)
				p.msvc[mid], p.rate[mid] = m.svc, m.rate
			}
		}
		for i := 0; i < 2+rng.IntN(3); i++ {
			if _, err := tx.ExecContext(ctx, `INSERT INTO service_provider_staff (id, provider_id, name, duty, phone, created_at) VALUES (?, ?, ?, ?, '', ?)`, tx.NextID(), p.id,
				demoOperators[rng.IntN(len(demoOperators))], []string{"机手", "飞手", "技术员", "调度员"}[i%4], now); err != nil {
				return err
			}
		}
		provs = append(provs, p)
		for _, t := range towns {
			provByTown[t] = append(provByTown[t], p)
		}
		return nil
	}
	if x, ok := coops[provSubject]; ok {
		t := region.Township(x.region)
		towns := []string{t}
		for _, o := range townships {
			if o != t && len(towns) < 3 {
				towns = append(towns, o)
			}
		}
		if err := addProv(x, KindMachinery, WholeProcess, today.Year()-9, towns); err != nil {
			return err
		}
	}
	kinds := []string{KindMachinery, KindProtection, KindMachinery, KindTech, KindInputs}
	for i, t := range townships {
		list := coopByTown[t]
		if len(list) == 0 {
			continue
		}
		kind := kinds[i%len(kinds)]
		svc := map[string][]string{KindMachinery: WholeProcess, KindProtection: {"protect"}, KindTech: {"soil"}, KindInputs: {"inputs"}}[kind]
		if err := addProv(list[0], kind, svc, today.Year()-1-rng.IntN(8), []string{t}); err != nil {
			return err
		}
	}
	// orders on household plots: about 14 households per township with a machinery provider
	var hh []int64
	for _, t := range townships {
		if !hasMachinery(provByTown[t]) {
			continue
		}
		list := byTown[t]
		hh = append(hh, list[:min(14, len(list))]...)
	}
	if memberSubject != 0 {
		hh = append(hh, memberSubject)
	}
	plots, err := s.demoPlots(ctx, tx, hh)
	if err != nil {
		return err
	}
	bySubject := map[int64][]demoPlot{}
	var subjOrder []int64
	for _, p := range plots {
		if len(bySubject[p.subject]) == 0 {
			subjOrder = append(subjOrder, p.subject)
		}
		bySubject[p.subject] = append(bySubject[p.subject], p)
	}
	prices := map[string]int64{}
	for _, it := range defaultCatalog {
		prices[it.Code] = it.PriceFen
	}
	machineDay := map[int64]map[string]int{} // next free minute per machine-day, for the demo's simple plan
	plan := func(p *prov, svc string, day string, centi int64) (int64, int, int) {
		for _, mid := range p.machines {
			if !containsStr(p.msvc[mid], svc) {
				continue
			}
			if machineDay[mid] == nil {
				machineDay[mid] = map[string]int{}
			}
			start := max(machineDay[mid][day], dayStart+30)
			dur := int(float64(centi) / 100 / (p.rate[mid] / 8) * 60)
			if start+dur > dayEnd-30 {
				continue
			}
			machineDay[mid][day] = start + dur + 20
			return mid, start, start + dur
		}
		return 0, 0, 0
	}
	type stepRow struct {
		action, from, to, note string
		at                     time.Time
	}
	states := []string{OrdSettled, OrdSettled, OrdSettled, OrdSettled, OrdChecked, OrdCompleted, OrdCompleted, OrdDisputed, OrdWorking, OrdDispatched, OrdDispatched,
		OrdAccepted, OrdAccepted, OrdAccepted, OrdPlaced, OrdCancelled}
	orders := 0
	for i, sid := range subjOrder {
		pls := bySubject[sid]
		pl := pls[0]
		town := region.Township(pl.region)
		var p *prov
		for _, c := range provByTown[town] {
			if c.kind == KindMachinery {
				p = c
				break
			}
		}
		if p == nil {
			continue
		}
		state := states[(i*7+3)%len(states)]
		if sid == memberSubject {
			state = OrdCompleted // the demo member has an order to accept
		}
		scope, mode := ScopeWhole, ModeNanny
		svcs := WholeProcess
		switch i % 3 {
		case 1:
			scope, mode, svcs = ScopeMulti, ModeMenu, []string{"plough", "plant"}
		case 2:
			scope, mode, svcs = ScopeSingle, ModeMenu, []string{[]string{"protect", "harvest", "plough"}[i%3]}
		}
		if i%11 == 0 {
			mode = ModeOrder
		}
		use := pls[:min(len(pls), 1+i%2)]
		// timeline: settled orders were placed 3–8 months ago; open ones in the last weeks
		var placed time.Time
		switch state {
		case OrdSettled, OrdChecked:
			placed = today.AddDate(0, -3-rng.IntN(6), -rng.IntN(28))
		default:
			placed = today.AddDate(0, 0, -3-rng.IntN(20))
		}
		placed = placed.Add(time.Duration(8+rng.IntN(9)) * time.Hour)
		oid := tx.NextID()
		var subsidy int64
		if scope == ScopeWhole {
			subsidy = 2000
		}
		ref := ""
		if mode == ModeOrder {
			ref = fmt.Sprintf("GX-%d-%04d", today.Year(), i)
		}
		provID := p.id
		if state == OrdPlaced && i%2 == 0 {
			provID = 0
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_orders (id, county_code, subject_id, region_code, provider_id, scope, mode, contract_ref, services, status,
			subsidy_fen_mu, proxy, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)`, oid, county, sid, pl.region, provID, scope, mode, ref,
			strings.Join(svcs, ","), state, subsidy, i%4 == 0, placed.UTC(), now); err != nil {
			return fmt.Errorf("demo order: %w", err)
		}
		steps := []stepRow{{"place", "", OrdPlaced, ScopeLabel(scope) + "·" + ModeLabel(mode), placed}}
		at := placed
		next := func(action, from, to, note string, hours int) {
			at = at.Add(time.Duration(hours) * time.Hour)
			if at.After(now) {
				at = now.Add(-time.Minute)
			}
			steps = append(steps, stepRow{action, from, to, note, at})
		}
		var amount, sub int64
		done := map[string]bool{OrdSettled: true, OrdChecked: true, OrdCompleted: true, OrdDisputed: true}[state]
		for k, pl := range use {
			for si, sv := range svcs {
				jid := tx.NextID()
				status, mid, day, start, end := JobPending, int64(0), "", 0, 0
				wFrom, wTo := date(rng.IntN(3)), date(5+rng.IntN(8))
				var rep, trk, acc int64
				var trackRow []any
				flag := false
				doneOn := ""
				switch {
				case state == OrdCancelled:
					status = JobCancelled
				case done || (state == OrdWorking && (k+si)%2 == 0):
					status = JobDone
					d := placed.AddDate(0, 0, 3+si*12+rng.IntN(5))
					if d.After(today) {
						d = today.AddDate(0, 0, -rng.IntN(3))
					}
					doneOn = d.Format(time.DateOnly)
					wFrom, wTo = placed.AddDate(0, 0, 1).Format(time.DateOnly), d.AddDate(0, 0, 5).Format(time.DateOnly)
					rep = pl.centi
					if rng.IntN(9) == 0 {
						rep = pl.centi * 5 / 4 // an over-declared report
					}
					if pl.polygon != "" && rng.IntN(3) == 0 {
						if t, err := track.Parse([]byte(pl.polygon)); err == nil {
							if m, err := t.Area(0); err == nil {
								trk = int64(m.AreaMu * 100)
								flag = diffRatio(rep, trk) > TrackFlagRatio
								trackRow = []any{jid, m.Method, m.Points, int64(m.LengthM), trk, t.GeoJSON(), now}
							}
						}
					}
					if state == OrdSettled || state == OrdChecked {
						acc = rep
					}
					if state == OrdDisputed {
						acc = pl.centi
					}
				case state == OrdDispatched || state == OrdWorking:
					day = date(rng.IntN(4))
					if mid, start, end = plan(p, sv, day, pl.centi); mid != 0 {
						status = JobPlanned
					}
				}
				amount += (acc*prices[sv] + 50) / 100
				sub += (acc*subsidy + 50) / 100
				if _, err := tx.ExecContext(ctx, `INSERT INTO service_jobs (id, order_id, county_code, region_code, subject_id, provider_id, mode, plot_id, plot_name, lng, lat,
					service, area_centi, price_fen, window_from, window_to, status, machine_id, plan_day, plan_start, plan_end, locked, reported_centi, track_centi, track_flag,
					accepted_centi, done_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, jid, oid, county, pl.region, sid, provID, mode,
					pl.id, pl.name, pl.lng, pl.lat, sv, pl.centi, prices[sv], wFrom, wTo, status, mid, day, start, end, status == JobDone && mid != 0, rep, trk, flag, acc, doneOn); err != nil {
					return fmt.Errorf("demo job: %w", err)
				}
				if trackRow != nil {
					if _, err := tx.ExecContext(ctx, `INSERT INTO service_tracks (id, job_id, format, method, points, length_m, width_cm, area_centi, geometry, created_at)
						VALUES (?, ?, 'geojson', ?, ?, ?, 0, ?, ?, ?)`, append([]any{tx.NextID()}, trackRow...)...); err != nil {
						return fmt.Errorf("demo track: %w", err)
					}
				}
			}
		}
		if state != OrdPlaced && state != OrdCancelled {
			next("accept", OrdPlaced, OrdAccepted, "服务主体：已指派", 5)
		}
		switch state {
		case OrdCancelled:
			next("cancel", OrdPlaced, OrdCancelled, "改种，不再需要", 20)
		case OrdDispatched, OrdWorking, OrdCompleted, OrdChecked, OrdSettled, OrdDisputed:
			next("dispatch", OrdAccepted, OrdDispatched, "全部作业已派到农机", 24)
		}
		if done || state == OrdWorking {
			next("report", OrdDispatched, OrdWorking, "报工", 72)
		}
		if done {
			next("complete", OrdWorking, OrdCompleted, "全部作业完工，待验收", 240)
		}
		switch state {
		case OrdChecked, OrdSettled:
			next("confirm", OrdCompleted, OrdChecked, "面积与质量确认无误", 48)
		case OrdDisputed:
			next("dispute", OrdCompleted, OrdDisputed, "实际面积比报工面积小", 48)
			if _, err := tx.ExecContext(ctx, `UPDATE service_orders SET dispute = ? WHERE id = ?`, "实际面积比报工面积小", oid); err != nil {
				return err
			}
		}
		if state == OrdSettled {
			sub = min(sub, amount)
			next("settle", OrdChecked, OrdSettled, fmt.Sprintf("金额 %s 元，补贴 %s 元，应付 %s 元", web.FormatYuanExact(amount), web.FormatYuanExact(sub), web.FormatYuanExact(amount-sub)), 72)
			if _, err := tx.ExecContext(ctx, `UPDATE service_orders SET amount_fen = ?, subsidy_fen = ?, payable_fen = ?, settled_on = ? WHERE id = ?`, amount, sub, amount-sub,
				at.In(web.Shanghai).Format(time.DateOnly), oid); err != nil {
				return err
			}
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, `INSERT INTO service_order_steps (id, order_id, job_id, action, from_status, to_status, actor_id, actor_name, note, at)
				VALUES (?, ?, 0, ?, ?, ?, 0, ?, ?, ?)`, tx.NextID(), oid, st.action, st.from, st.to, "演示数据", st.note, st.at.UTC()); err != nil {
				return err
			}
		}
		orders++
	}
	if err := s.seedTraining(ctx, tx, townships, byTown, rng, today); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: audit.Actor{Name: "演示数据"}, Action: "create", Entity: "service_demo", EntityID: 0,
		Summary: fmt.Sprintf("演示数据：服务主体 %d 个、托管订单 %d 单", len(provs), orders)})
}

var demoOperators = []string{"王建国", "李德明", "张成富", "刘海军", "陈永红", "杨光明", "赵志强", "黄世平", "周大山", "吴长青"}

type prov struct {
	id       int64
	kind     string
	services []string
	town     string
	machines []int64
	msvc     map[int64][]string
	rate     map[int64]float64
}

func hasMachinery(list []*prov) bool {
	for _, p := range list {
		if p.kind == KindMachinery {
			return true
		}
	}
	return false
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Service) seedTraining(ctx context.Context, tx *db.Tx, townships []string, byTown map[string][]int64, rng *rand.Rand, today time.Time) error {
	county := region.County(townships[0])
	courses := []string{"水稻绿色高产技术", "柑橘（脆李）栽培管理", "植保无人机操作", "农村电商与品牌营销", "家庭农场经营管理", "中药材规范种植"}
	trainers := []string{"县农技站 李老师", "县农广校 王老师", "市农科院 陈研究员", "县供销社 刘老师"}
	now := s.nowUTC()
	for i, t := range townships {
		hh := byTown[t]
		for k, yearsAgo := range []int{1, 0} {
			start := today.AddDate(-yearsAgo, -1-(i+k)%8, -rng.IntN(20))
			end := start.AddDate(0, 0, 2)
			sid := tx.NextID()
			if _, err := tx.ExecContext(ctx, `INSERT INTO training_sessions (id, county_code, region_code, course, topic, trainer, place, date_from, date_to, hours, created_at)
				VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, 24, ?)`, sid, county, t, courses[(i+k)%len(courses)], trainers[(i+k)%len(trainers)], "镇为农服务中心培训室",
				start.Format(time.DateOnly), end.Format(time.DateOnly), now); err != nil {
				return fmt.Errorf("demo session: %w", err)
			}
			// about 25 people per session; the second year's class repeats a few of the first
			from := k * 20
			for j := from; j < min(from+25, len(hh)); j++ {
				attended := end.Before(today) && rng.IntN(10) > 0
				cert := ""
				eid := tx.NextID()
				if attended {
					cert = fmt.Sprintf("GSZNM-%s-%06d", end.Format("2006"), eid%1000000)
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO training_enrolments (id, session_id, subject_id, person_key, name, region_code, attended, certificate_no, date_to, created_at)
					SELECT ?, ?, s.id, ?, s.name, s.region_code, ?, ?, ?, ? FROM subjects s WHERE s.id = ?`, eid, sid, fmt.Sprintf("%d:", hh[j]), attended, cert,
					end.Format(time.DateOnly), now, hh[j]); err != nil {
					return fmt.Errorf("demo enrolment: %w", err)
				}
			}
		}
	}
	// person keys carry the name like Enrol does
	_, err := tx.ExecContext(ctx, `UPDATE training_enrolments SET person_key = person_key || name WHERE person_key LIKE '%:'`)
	return err
}
