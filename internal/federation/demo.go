package federation

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// DemoSubjects tells SeedDemo which subjects the demo register holds.
type DemoSubjects struct {
	County     string             // county code (6 or 12 digits)
	Townships  []string           // 12-digit township codes
	Orgs       map[string][]int64 // kind code → subject ids (cooperative, family_farm, enterprise, supply_coop, bank, village_collective …)
	Households map[string][]int64 // township code → household subject ids
}

// demoFact is what the seeder needs to know of a subject.
type demoFact struct {
	id         int64
	kind       string
	name       string
	regionCode string
	industries string
	active     bool
}

// demoFacts reads subjects inside tx. The demo loader creates the register in the same, uncommitted transaction,
// which registry.Service.Lookup (reader pool) cannot see, so this one read goes to the register's table directly.
func demoFacts(ctx context.Context, tx *db.Tx, ids []int64) (map[int64]demoFact, error) {
	out := make(map[int64]demoFact, len(ids))
	for start := 0; start < len(ids); start += 500 {
		end := min(start+500, len(ids))
		args := make([]any, 0, end-start)
		for _, id := range ids[start:end] {
			args = append(args, id)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, kind, name, region_code, industries, status FROM subjects WHERE id IN (`+db.Placeholders(len(args))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("demo subjects: %w", err)
		}
		for rows.Next() {
			var f demoFact
			var st string
			if err := rows.Scan(&f.id, &f.kind, &f.name, &f.regionCode, &f.industries, &st); err != nil {
				rows.Close()
				return nil, err
			}
			f.active = st == "active"
			out[f.id] = f
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var (
	demoSurnames = []rune("王李张刘陈杨黄赵周吴徐孙马朱胡郭何罗高林谭向冉")
	demoGiven    = []string{"明", "华", "建国", "秀英", "德全", "志强", "春燕", "光荣", "大勇", "玉兰", "永福", "文静", "国庆", "红梅", "家富", "小平", "世军", "桂芳"}
)

func demoPerson(r *rand.Rand) string {
	return string(demoSurnames[r.IntN(len(demoSurnames))]) + demoGiven[r.IntN(len(demoGiven))]
}

func demoCharter(name string, v int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s章程\n\n第一章 总则\n第一条 本会名称为%s（以下简称本会）。\n", name, name)
	b.WriteString("第二条 本会是在县委、县政府领导下，由农民合作经济组织、涉农企业、为农服务组织等自愿组成的生产、供销、信用“三位一体”综合合作组织。\n")
	b.WriteString("第三条 本会接受县供销合作社的业务指导，秘书处设在县农民合作社服务中心。\n\n")
	b.WriteString("第二章 业务范围\n第四条 开展农业社会化服务、农资供应、农产品营销、品牌建设、技术培训和信息服务。\n")
	if v >= 2 {
		b.WriteString("第五条 协同金融机构开展会员信用评价、整村授信和信贷对接，依托数字化平台实现“最多报一次”。\n")
	}
	b.WriteString("\n第三章 会员\n第六条 凡承认本章程、自愿申请入会的农民专业合作社、家庭农场、农业企业、村集体经济组织、基层供销社、金融机构和农户，经理事会审核同意，即为本会会员。\n")
	b.WriteString("第七条 会员有退会自由；严重违反本章程的，经理事会表决予以除名。\n\n")
	b.WriteString("第四章 组织机构\n第八条 本会最高权力机构为会员代表大会，每届五年；理事会为执行机构，监事会为监督机构。\n")
	return b.String()
}

// SeedDemo creates the county's demo federations, governance and memberships inside tx (the demo loader's
// transaction). It is deterministic and writes one summary audit record; it does nothing when the county
// already has federations.
func (s *Service) SeedDemo(ctx context.Context, tx *db.Tx, d DemoSubjects) error {
	county12 := d.County
	if len(county12) == 6 {
		county12 += "000000"
	}
	county := region.County(county12)
	if county == "" {
		return fmt.Errorf("seed federations: bad county code %q", d.County)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM federations WHERE county_code = ?`, county).Scan(&n); err != nil {
		return fmt.Errorf("seed federations: %w", err)
	}
	if n > 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(2024, 501))
	base := time.Date(2024, 3, 1, 1, 30, 0, 0, time.UTC)
	now := s.now().UTC()

	// Facts of every organisation and of the households that will apply (30 % and a few more).
	var ids []int64
	for _, l := range d.Orgs {
		ids = append(ids, l...)
	}
	hhPick := map[string][]int64{}
	hhState := map[int64]string{}
	for _, t := range d.Townships {
		for _, id := range d.Households[t] {
			x := rng.Float64()
			st := ""
			switch {
			case x < 0.30:
				st = StatusApproved
			case x < 0.31:
				st = StatusApplied
			case x < 0.315:
				st = StatusRejected
			case x < 0.32:
				st = StatusWithdrawn
			}
			if st != "" {
				hhPick[t] = append(hhPick[t], id)
				hhState[id] = st
				ids = append(ids, id)
			}
		}
	}
	facts, err := demoFacts(ctx, tx, ids)
	if err != nil {
		return err
	}
	orgs := func(kind string) []demoFact {
		var out []demoFact
		for _, id := range d.Orgs[kind] {
			if f, ok := facts[id]; ok && f.active {
				out = append(out, f)
			}
		}
		return out
	}
	countyName := s.regions.ShortName(county12)
	short := strings.TrimSuffix(strings.TrimSuffix(countyName, "县"), "区")

	// Federations.
	var feds []*Federation
	newFed := func(level, code, name, regionCode string, towns []string, industry string, guidedBy int64, secID int64, secName string) (*Federation, error) {
		f := &Federation{ID: tx.NextID(), CountyCode: county, Code: code, Name: name, Level: level, RegionCode: regionCode, Townships: towns,
			Industry: industry, GuidedBy: guidedBy, SecretariatSubjectID: secID, SecretariatName: secName, PresidentName: demoPerson(rng),
			EstablishedOn: base.AddDate(0, 0, rng.IntN(60)).Format("2006-01-02"), Address: s.regions.Name(regionCode), Status: FedActive,
			CreatedAt: now, UpdatedAt: now}
		if towns == nil {
			f.Townships = []string{}
		}
		if err := s.insertFed(ctx, tx, f); err != nil {
			return nil, err
		}
		feds = append(feds, f)
		return f, nil
	}
	var secID int64
	secName := countyName + "农民合作社服务中心"
	if sc := orgs("supply_coop"); len(sc) > 0 {
		secID, secName = sc[0].id, sc[0].name
	}
	cf, err := newFed(LevelCounty, "X01", countyName+"农民合作经济组织联合会", county12, nil, "", 0, secID, secName)
	if err != nil {
		return err
	}
	cf.EstablishedOn = "2024-03-20"
	if _, err := tx.ExecContext(ctx, `UPDATE federations SET established_on = ? WHERE id = ?`, cf.EstablishedOn, cf.ID); err != nil {
		return err
	}
	// 7 township federations: five single townships and two 片区 of three and two townships.
	var townFeds []*Federation
	towns := d.Townships
	for i, size := range []int{1, 1, 1, 1, 1, 3, 2} {
		if len(towns) == 0 {
			break
		}
		size = min(size, len(towns))
		group := append([]string(nil), towns[:size]...)
		towns = towns[size:]
		var name string
		if len(group) == 1 {
			name = s.regions.ShortName(group[0]) + "农民合作经济组织联合会"
		} else {
			var parts []string
			for _, t := range group {
				nm := s.regions.ShortName(t)
				for _, suf := range []string{"街道", "镇", "乡"} {
					nm = strings.TrimSuffix(nm, suf)
				}
				parts = append(parts, nm)
			}
			name = strings.Join(parts, "") + "片区农民合作经济组织联合会"
		}
		var tsec int64
		tsecName := s.regions.ShortName(group[0]) + "为农服务中心"
		for _, sc := range orgs("supply_coop") {
			if region.Township(sc.regionCode) == group[0] && sc.id != secID {
				tsec, tsecName = sc.id, sc.name
				break
			}
		}
		f, err := newFed(LevelTownship, fmt.Sprintf("Z%02d", i+1), name, group[0], group, "", cf.ID, tsec, tsecName)
		if err != nil {
			return err
		}
		townFeds = append(townFeds, f)
	}
	var indFeds []*Federation
	for i, ind := range []string{"脆李", "柑橘"} {
		f, err := newFed(LevelIndustry, fmt.Sprintf("C%02d", i+1), short+ind+"产业农合联", county12, nil, ind, cf.ID, 0, short+ind+"产业协会")
		if err != nil {
			return err
		}
		indFeds = append(indFeds, f)
	}

	// Governance: three bodies of the first term, posts, meetings; charters.
	for _, f := range feds {
		start, _ := time.Parse("2006-01-02", f.EstablishedOn)
		end := start.AddDate(5, 0, -1)
		bodies := map[string]*Body{}
		for _, k := range BodyKinds {
			b := &Body{ID: tx.NextID(), FederationID: f.ID, Kind: k, TermNo: 1, TermStart: start.Format("2006-01-02"), TermEnd: end.Format("2006-01-02"), CreatedAt: now}
			if err := insertBody(ctx, tx, b); err != nil {
				return err
			}
			bodies[k] = b
		}
		seats := []struct{ body, title string }{{BodyCouncil, "会长"}, {BodyCouncil, "副会长"}, {BodyCouncil, "副会长"}, {BodyCouncil, "秘书长"},
			{BodyCouncil, "理事"}, {BodyCouncil, "理事"}, {BodyCouncil, "理事"}, {BodySupervisory, "监事长"}, {BodySupervisory, "监事"}, {BodySupervisory, "监事"}}
		for i, st := range seats {
			b := bodies[st.body]
			name := demoPerson(rng)
			if i == 0 {
				name = f.PresidentName
			}
			x := &Post{ID: tx.NextID(), FederationID: f.ID, BodyID: b.ID, Title: st.title, HolderName: name, TermStart: b.TermStart, TermEnd: b.TermEnd, CreatedAt: now}
			if err := insertPost(ctx, tx, x); err != nil {
				return err
			}
		}
		meetings := []struct {
			body, title, agenda string
			days                int
		}{
			{BodyAssembly, "第一次会员代表大会（成立大会）", "一、审议通过章程；二、选举第一届理事会、监事会；三、审议工作计划", 0},
			{BodyCouncil, "第一届理事会第一次会议", "一、选举会长、副会长；二、聘任秘书长；三、审议会员入会申请", 1},
			{BodySupervisory, "第一届监事会第一次会议", "一、选举监事长；二、审议监督工作制度", 30 + rng.IntN(60)},
		}
		if f.Level != LevelCounty {
			meetings = meetings[:2+rng.IntN(2)]
		}
		for _, mt := range meetings {
			expected := 35 + rng.IntN(40)
			if mt.body != BodyAssembly {
				expected = 7 + rng.IntN(5)
			}
			present := expected - rng.IntN(4)
			att := make([]string, 0, 5)
			for range 5 {
				att = append(att, demoPerson(rng))
			}
			m := &Meeting{ID: tx.NextID(), FederationID: f.ID, BodyID: bodies[mt.body].ID, HeldOn: start.AddDate(0, 0, mt.days).Format("2006-01-02"), Title: mt.title,
				Agenda: mt.agenda, Attendees: att, Present: present, Expected: expected, CreatedBy: audit.System.Name, CreatedAt: now,
				Minutes: fmt.Sprintf("会议应到%d人，实到%d人，符合章程规定。会议由%s主持，逐项审议并表决通过了全部议程。会议要求围绕生产、供销、信用“三位一体”服务，做好会员发展和为农服务工作。", expected, present, f.PresidentName)}
			if err := insertMeeting(ctx, tx, m); err != nil {
				return err
			}
		}
		versions := 1
		if f.Level == LevelCounty {
			versions = 2
		}
		for v := 1; v <= versions; v++ {
			adopted := start
			note := "成立大会通过"
			if v == 2 {
				adopted, note = time.Date(2024, 11, 15, 0, 0, 0, 0, time.UTC), "增加信用服务与数字化平台条款"
			}
			c := &Charter{ID: tx.NextID(), FederationID: f.ID, Version: v, AdoptedOn: adopted.Format("2006-01-02"), Text: demoCharter(f.Name, v), Note: note,
				CreatedBy: audit.System.Name, CreatedAt: now}
			if err := insertCharter(ctx, tx, c); err != nil {
				return err
			}
		}
	}

	// Memberships: prepared statements, no audit record per row.
	insM, err := tx.Prepare(ctx, `INSERT INTO memberships (id, federation_id, county_code, subject_id, subject_kind, region_code, township_code, status,
		member_no, member_seq, note, on_behalf, applied_by, applied_by_name, applied_at, decided_at, decided_by_name, reason, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insM.Close()
	insE, err := tx.Prepare(ctx, `INSERT INTO membership_events (id, membership_id, federation_id, at, actor_id, actor_name, from_status, to_status, reason, on_behalf)
		VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insE.Close()
	seqs := map[int64]int{}
	total := map[string]int{}
	actor := audit.System.Name
	add := func(f *Federation, x demoFact, status, reason string) error {
		id := tx.NextID()
		applied := base.AddDate(0, 0, 20+rng.IntN(200)).Add(time.Duration(rng.IntN(480)) * time.Minute)
		decided := applied.AddDate(0, 0, 1+rng.IntN(14))
		onBehalf := x.kind == "household"
		var memberNo any
		seq := 0
		if status == StatusApproved || status == StatusWithdrawn || status == StatusExpelled {
			seqs[f.ID]++
			seq = seqs[f.ID]
			memberNo = fmt.Sprintf("%s-%04d", f.Code, seq)
		}
		var decidedAt any = decided
		decidedBy := actor
		if status == StatusApplied {
			decidedAt, decidedBy = nil, ""
		}
		updated := applied
		if status != StatusApplied {
			updated = decided
		}
		if _, err := insM.ExecContext(ctx, id, f.ID, county, x.id, x.kind, x.regionCode, region.Township(x.regionCode), status, memberNo, seq, "",
			onBehalf, 0, actor, applied, decidedAt, decidedBy, reason, updated); err != nil {
			return fmt.Errorf("seed membership: %w", err)
		}
		ev := func(at time.Time, from, to, why string, ob bool) error {
			_, err := insE.ExecContext(ctx, tx.NextID(), id, f.ID, at, actor, from, to, why, ob)
			return err
		}
		if err := ev(applied, "", StatusApplied, "", onBehalf); err != nil {
			return fmt.Errorf("seed membership event: %w", err)
		}
		switch status {
		case StatusApproved:
			err = ev(decided, StatusApplied, StatusApproved, "", false)
		case StatusRejected:
			err = ev(decided, StatusApplied, StatusRejected, reason, false)
		case StatusWithdrawn, StatusExpelled:
			if err = ev(decided, StatusApplied, StatusApproved, "", false); err == nil {
				err = ev(decided.AddDate(0, 2, 0), StatusApproved, status, reason, false)
			}
		}
		if err != nil {
			return fmt.Errorf("seed membership event: %w", err)
		}
		total[status]++
		return nil
	}

	// County federation: every cooperative, enterprise, family farm, supply co-op and bank; some collectives and
	// service co-ops; one of each closing state.
	special := map[int64]struct{ status, reason string }{}
	if l := orgs("family_farm"); len(l) >= 2 {
		special[l[len(l)-1].id] = struct{ status, reason string }{StatusRejected, "申请材料不全，缺少经营情况说明，请补充后重新申请"}
	}
	if l := orgs("cooperative"); len(l) >= 3 {
		special[l[len(l)-1].id] = struct{ status, reason string }{StatusWithdrawn, "合作社业务调整，申请退会"}
		special[l[len(l)-2].id] = struct{ status, reason string }{StatusExpelled, "连续两年未参加会员代表大会，经理事会表决除名"}
	}
	for _, kind := range []string{"cooperative", "enterprise", "family_farm", "supply_coop", "bank"} {
		for _, x := range orgs(kind) {
			st, reason := StatusApproved, ""
			if sp, ok := special[x.id]; ok {
				st, reason = sp.status, sp.reason
			}
			if err := add(cf, x, st, reason); err != nil {
				return err
			}
		}
	}
	for _, kind := range []string{"village_collective", "service_coop"} {
		for i, x := range orgs(kind) {
			st := StatusApproved
			if i < 2 {
				st = StatusApplied
			} else if i%2 == 1 {
				continue
			}
			if err := add(cf, x, st, ""); err != nil {
				return err
			}
		}
	}
	// Township federations: organisations of the covered townships and about 30 % of their households.
	for _, f := range townFeds {
		covered := map[string]bool{}
		for _, t := range f.Townships {
			covered[t] = true
		}
		for _, kind := range []string{"cooperative", "family_farm", "village_collective", "supply_coop", "service_coop"} {
			for _, x := range orgs(kind) {
				if covered[region.Township(x.regionCode)] {
					if err := add(f, x, StatusApproved, ""); err != nil {
						return err
					}
				}
			}
		}
		for _, t := range f.Townships {
			for _, id := range hhPick[t] {
				x, ok := facts[id]
				if !ok || !x.active {
					continue
				}
				st, reason := hhState[id], ""
				switch st {
				case StatusRejected:
					reason = "户籍及承包地不在本片区，请向所在乡镇农合联申请"
				case StatusWithdrawn:
					reason = "外出务工，申请退会"
				}
				if err := add(f, x, st, reason); err != nil {
					return err
				}
			}
		}
	}
	// Industry federations: cooperatives, farms and enterprises of the industry (or a third of them when the
	// register records no industries), and one pending application each.
	for _, f := range indFeds {
		var cand []demoFact
		for _, kind := range []string{"cooperative", "family_farm", "enterprise"} {
			cand = append(cand, orgs(kind)...)
		}
		var picked []demoFact
		for _, x := range cand {
			if strings.Contains(x.industries, "|"+f.Industry+"|") {
				picked = append(picked, x)
			}
		}
		if len(picked) < 3 {
			picked = picked[:0]
			for _, x := range cand {
				if rng.IntN(3) == 0 {
					picked = append(picked, x)
				}
			}
		}
		for i, x := range picked {
			st := StatusApproved
			if i == len(picked)-1 && len(picked) > 1 {
				st = StatusApplied
			}
			if err := add(f, x, st, ""); err != nil {
				return err
			}
		}
	}
	summary := fmt.Sprintf("载入演示农合联：%d 个（县级1、乡镇%d、产业%d），入会记录 %d 条（已入会 %d、待审核 %d、未通过 %d、已退会 %d、已除名 %d）",
		len(feds), len(townFeds), len(indFeds), total[StatusApproved]+total[StatusApplied]+total[StatusRejected]+total[StatusWithdrawn]+total[StatusExpelled],
		total[StatusApproved], total[StatusApplied], total[StatusRejected], total[StatusWithdrawn], total[StatusExpelled])
	return audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "seed", Entity: "federation", EntityID: cf.ID, Summary: summary, After: total})
}
