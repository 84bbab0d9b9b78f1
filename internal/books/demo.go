package books

import (
	"context"
	"fmt"
	"math/rand/v2"
	"nongfu/internal/platform/web"
	"slices"
	"strings"
	"time"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
	"nongfu/internal/registry"
)

// demoBooks is how many organisations the demo puts under service.
const demoBooks = 12

type demoUser struct {
	id        int64
	name      string
	role      string
	scopes    string
	subjectID int64
}

type demoOrg struct {
	id                       int64
	name, kind, region, town string
}

// SeedDemo puts up to a dozen of the given organisations under bookkeeping service and writes two years of posted,
// numbered, balanced vouchers for each: the previous year in full (closed, with the year-end carry and surplus
// distribution) and year up to the current month (past months closed; a draft and a reviewed voucher left in the
// current month). Deterministic for the same input. Organisations already under service are left alone.
func (s *Service) SeedDemo(ctx context.Context, tx *db.Tx, orgIDs []int64, year int) error {
	if len(orgIDs) == 0 {
		return nil
	}
	orgs, err := s.demoOrgs(ctx, tx, orgIDs)
	if err != nil {
		return err
	}
	users, err := demoUsers(ctx, tx)
	if err != nil {
		return err
	}
	// members' own organisations first (so that the member account reads its books), then the township
	// operators' townships, then the rest in the order given
	var maker, reviewer demoUser
	maker = demoUser{id: 0, name: "代账中心制单员"}
	reviewer = demoUser{id: 0, name: "代账中心审核员"}
	rank := map[int64]int{}
	for _, u := range users {
		switch u.role {
		case "member":
			rank[u.subjectID] = 3
		case "township_operator":
			if maker.id == 0 {
				maker = u
			}
		case "county_admin":
			if reviewer.id == 0 {
				reviewer = u
			}
		}
	}
	for _, u := range users {
		if u.role != "township_operator" {
			continue
		}
		for _, sc := range strings.Split(u.scopes, ",") {
			pre := strings.TrimRight(strings.TrimSpace(sc), "0")
			for _, o := range orgs {
				if pre != "" && strings.HasPrefix(o.region, pre) && rank[o.id] < 2 {
					rank[o.id] = 2
				}
			}
		}
	}
	slices.SortStableFunc(orgs, func(a, b demoOrg) int { return rank[b.id] - rank[a.id] })
	// at most four from the operators' townships so the dozen spreads over the county
	var picked []demoOrg
	town := 0
	for _, o := range orgs {
		if len(picked) == demoBooks {
			break
		}
		if rank[o.id] == 2 {
			if town >= 4 {
				continue
			}
			town++
		}
		picked = append(picked, o)
	}
	if len(picked) < demoBooks {
		for _, o := range orgs {
			if len(picked) == demoBooks {
				break
			}
			if !slices.ContainsFunc(picked, func(p demoOrg) bool { return p.id == o.id }) {
				picked = append(picked, o)
			}
		}
	}
	now := s.now().In(web.Shanghai)
	var entries []audit.Entry
	for i, o := range picked {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM books WHERE subject_id = ?`, o.id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		g := &demoGen{s: s, tx: tx, rng: rand.New(rand.NewPCG(uint64(year), uint64(i+1))), org: o, maker: maker, reviewer: reviewer,
			year: year, now: now, big: i == 0, keepUndistributed: i == len(picked)-1 && len(picked) > 2}
		if err := g.run(ctx); err != nil {
			return fmt.Errorf("demo books of %s: %w", o.name, err)
		}
		entries = append(entries, audit.Entry{Actor: audit.System, Action: "create", Entity: "book", EntityID: g.bookID,
			Summary: fmt.Sprintf("演示数据：%s 纳入统一财务代账，凭证 %d 张", o.name, g.count)})
	}
	if len(entries) == 0 {
		return nil
	}
	if err := s.seedExemplary(ctx, tx, picked, year, reviewer); err != nil {
		return err
	}
	return audit.WriteMany(ctx, tx, entries)
}

// demoOrgs reads the organisations through the register's API; ids it cannot see yet (written earlier in this
// same transaction) are read from the demo transaction itself — the one documented read of another room's table.
func (s *Service) demoOrgs(ctx context.Context, tx *db.Tx, ids []int64) ([]demoOrg, error) {
	var out []demoOrg
	found := map[int64]bool{}
	if s.subjects != nil {
		subs, err := s.subjects.Lookup(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if x, ok := subs[id]; ok {
				found[id] = true
				if serviceKind(x.Kind) && x.Status == registry.StatusActive {
					out = append(out, demoOrg{id: x.ID, name: x.Name, kind: x.Kind, region: x.RegionCode})
				}
			}
		}
	}
	var missing []int64
	for _, id := range ids {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	for start := 0; start < len(missing); start += 500 {
		part := missing[start:min(start+500, len(missing))]
		ph, args := db.InList(part)
		rows, err := tx.QueryContext(ctx, `SELECT id, name, kind, region_code FROM subjects WHERE status = 'active' AND id IN (`+ph+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("demo orgs: %w", err)
		}
		got := map[int64]demoOrg{}
		for rows.Next() {
			var o demoOrg
			if err := rows.Scan(&o.id, &o.name, &o.kind, &o.region); err != nil {
				rows.Close()
				return nil, err
			}
			got[o.id] = o
		}
		rows.Close()
		for _, id := range part {
			if o, ok := got[id]; ok && serviceKind(o.kind) {
				out = append(out, o)
			}
		}
	}
	return out, nil
}

func demoUsers(ctx context.Context, tx *db.Tx) ([]demoUser, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, display_name, role, scopes, subject_id FROM users
		WHERE role IN ('county_admin', 'township_operator', 'member') AND active = ? ORDER BY id`, true)
	if err != nil {
		return nil, fmt.Errorf("demo users: %w", err)
	}
	defer rows.Close()
	var out []demoUser
	for rows.Next() {
		var u demoUser
		if err := rows.Scan(&u.id, &u.name, &u.role, &u.scopes, &u.subjectID); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// demoGen writes one organisation's books.
type demoGen struct {
	s               *Service
	tx              *db.Tx
	rng             *rand.Rand
	org             demoOrg
	maker, reviewer demoUser
	year            int
	now             time.Time
	bookID          int64
	count           int

	members []demoMember
	// running balances the generator keeps to stay realistic (in 分)
	bank, cash, stock, wip, recv, payable, wages, loan, tax int64
	income, expense                                         map[string]int64
	returns, rest                                           int64

	vouchers, lines [][]any
	numbers         map[string]int
	closes          [][]any

	// member accounts, share register and distribution (demo_members.go)
	big, keepUndistributed                     bool
	memberRows, entryRows, shareRows, distRows [][]any
}

type demoMember struct {
	name, code string
	id         int64
	capital    int64
}

var demoSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾")
var demoGiven = []string{"德全", "春燕", "明华", "建国", "秀英", "国强", "玉兰", "志勇", "桂芳", "海涛", "丽娟", "长江", "红梅", "永福", "小平", "家富"}

type dl struct {
	code     string
	d, c     int64
	member   string
	memberID int64
}

func (g *demoGen) amount(lo, hi int64) int64 { // whole 元 between lo and hi, in 分
	return (lo + g.rng.Int64N(hi-lo+1)) * 100
}

func (g *demoGen) run(ctx context.Context) error {
	prev := g.year - 1
	start := fmt.Sprintf("%d-01", prev)
	created := time.Date(prev, 1, 2, 1, 0, 0, 0, time.UTC)
	var err error
	g.bookID, err = g.s.createBookTx(ctx, g.tx, audit.System, bookRow{subjectID: g.org.id, name: g.org.name, kind: g.org.kind, region: g.org.region,
		start: start, keeperID: g.maker.id, keeper: g.maker.name, note: "演示数据", createdAt: created})
	if err != nil {
		return err
	}
	g.numbers = map[string]int{}
	g.income, g.expense = map[string]int64{}, map[string]int64{}
	// members and their 成员往来 sub-accounts
	nm := 20 + g.rng.IntN(50)
	if g.big {
		nm = 105 + g.rng.IntN(20)
	}
	seen := map[string]bool{}
	var accRows [][]any
	for len(g.members) < nm {
		name := string(demoSurnames[g.rng.IntN(len(demoSurnames))]) + demoGiven[g.rng.IntN(len(demoGiven))]
		if seen[name] {
			continue
		}
		seen[name] = true
		m := demoMember{name: name, code: fmt.Sprintf("1102.%03d", len(g.members)+1), id: g.tx.NextID()}
		g.members = append(g.members, m)
		accRows = append(accRows, []any{g.bookID, m.code, name, "1102", m.id, created})
		g.memberRows = append(g.memberRows, []any{m.id, g.bookID, len(g.members), name, int64(0), fmt.Sprintf("%d-01-0%d", prev, 1+len(g.members)%3), "active", "", created})
	}
	if err := g.tx.InsertRows(ctx, "books_members", []string{"id", "book_id", "no", "name", "subject_id", "joined_on", "status", "note", "created_at"}, g.memberRows, 100); err != nil {
		return err
	}
	if err := g.tx.InsertRows(ctx, "books_accounts", []string{"book_id", "code", "name", "parent_code", "member_id", "created_at"}, accRows, 50); err != nil {
		return err
	}
	lastMonth := 12
	if g.year == g.now.Year() {
		lastMonth = int(g.now.Month())
	} else if g.year > g.now.Year() {
		lastMonth = 0
	}
	for y := prev; y <= g.year; y++ {
		months := 12
		if y == g.year {
			months = lastMonth
		}
		for m := 1; m <= months; m++ {
			current := y == g.now.Year() && m == int(g.now.Month())
			g.month(y, m, current)
			// the book left for the wizard stays open from the previous December: year-end work is not done yet
			if !current && !(g.keepUndistributed && (y == g.year || m == 12)) {
				per := fmt.Sprintf("%d-%02d", y, m)
				at := time.Date(y, time.Month(m), 1, 2, 0, 0, 0, time.UTC).AddDate(0, 1, 2)
				g.closes = append(g.closes, []any{g.bookID, per, at, g.reviewer.id, g.reviewer.name})
			}
		}
	}
	if err := g.tx.InsertRows(ctx, "books_vouchers", []string{"id", "book_id", "period", "voucher_date", "number", "summary", "status", "kind", "reverses_id",
		"attachments", "debit_total", "credit_total", "maker_id", "maker_name", "made_at", "reviewer_id", "reviewer_name", "reviewed_at",
		"poster_id", "poster_name", "posted_at", "created_at", "updated_at"}, g.vouchers, 40); err != nil {
		return err
	}
	if err := g.tx.InsertRows(ctx, "books_lines", lineCols, g.lines, 80); err != nil {
		return err
	}
	if err := g.writeMemberBooks(ctx); err != nil {
		return err
	}
	return g.tx.InsertRows(ctx, "books_closes", []string{"book_id", "period", "closed_at", "closed_by_id", "closed_by_name"}, g.closes, 100)
}

// add records one voucher; status posted unless given.
func (g *demoGen) add(y, m, day int, summary string, kind string, status string, lines ...dl) {
	last := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if day > last {
		day = last
	}
	if y == g.now.Year() && m == int(g.now.Month()) && day > g.now.Day() {
		day = g.now.Day()
	}
	date := time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC)
	per := date.Format("2006-01")
	var dt, ct int64
	for _, l := range lines {
		dt += l.d
		ct += l.c
	}
	if dt != ct || dt == 0 {
		panic(fmt.Sprintf("demo voucher %q does not balance: %d / %d", summary, dt, ct))
	}
	id := g.tx.NextID()
	made := date.Add(time.Duration(1+g.rng.IntN(8)) * time.Hour)
	var number, reviewerID, posterID any = nil, int64(0), int64(0)
	reviewerName, posterName := "", ""
	var reviewed, posted any
	if status == "" {
		status = StatusPosted
	}
	if status != StatusDraft {
		reviewerID, reviewerName = g.reviewer.id, g.reviewer.name
		reviewed = made.Add(2 * time.Hour)
	}
	if status == StatusPosted {
		g.numbers[per]++
		number = g.numbers[per]
		posterID, posterName = g.reviewer.id, g.reviewer.name
		posted = made.Add(3 * time.Hour)
		for _, l := range lines {
			switch top(l.code)[0] {
			case '5':
				if a, _ := ChartOf(DefaultChart).Account(top(l.code)); a.Side == Credit {
					g.income[l.code] += l.c - l.d
				} else {
					g.expense[l.code] += l.d - l.c
				}
			}
		}
	}
	g.vouchers = append(g.vouchers, []any{id, g.bookID, per, date.Format("2006-01-02"), number, summary, status, kind, int64(0),
		g.rng.IntN(4), dt, ct, g.maker.id, g.maker.name, made, reviewerID, reviewerName, reviewed, posterID, posterName, posted, made, made})
	for i, l := range lines {
		memo := ""
		g.lines = append(g.lines, []any{id, i + 1, g.bookID, per, l.code, l.d, l.c, memo, l.memberID, l.member})
	}
	g.count++
}

func (g *demoGen) post(y, m, day int, summary string, lines ...dl) {
	g.add(y, m, day, summary, KindNormal, "", lines...)
}

func (g *demoGen) member() demoMember { return g.members[g.rng.IntN(len(g.members))] }

// month writes one month of business.
func (g *demoGen) month(y, m int, current bool) {
	first := y == g.year-1 && m == 1
	harvest := m >= 6 && m <= 11
	if first {
		var ls []dl
		var total int64
		for i, mb := range g.members {
			a := g.amount(10, 50) * 1000
			total += a
			g.members[i].capital = a
			ls = append(ls, dl{code: "3001", c: a, member: mb.name, memberID: mb.id})
		}
		g.post(y, m, 3, "收到成员入股股金", append([]dl{{code: "1002", d: total}}, ls...)...)
		g.bank += total
		g.capitalShares(y, m)
	}
	if (y == g.year-1 && m == 2) || (y == g.year && m == 3) {
		a := g.amount(10, 30) * 10000
		g.post(y, m, 8, "取得农商行短期借款", dl{code: "1002", d: a}, dl{code: "2001", c: a})
		g.bank += a
		g.loan += a
	}
	// cash for petty expenses
	cash := g.amount(2000, 5000)
	g.post(y, m, 2, "提取备用金", dl{code: "1001", d: cash}, dl{code: "1002", c: cash})
	g.bank -= cash
	g.cash += cash
	// inputs bought
	if m <= 9 {
		a := g.amount(8000, 30000)
		if g.rng.IntN(3) == 0 {
			g.post(y, m, 5, "赊购化肥、农药", dl{code: "1201", d: a}, dl{code: "2101", c: a})
			g.payable += a
		} else {
			g.post(y, m, 5, "购入种苗、化肥", dl{code: "1201", d: a}, dl{code: "1002", c: a})
			g.bank -= a
		}
		g.stock += a
		use := g.stock * int64(50+g.rng.IntN(30)) / 100 / 100 * 100
		if use > 0 {
			g.post(y, m, 10, "生产领用农资", dl{code: "4001", d: use}, dl{code: "1201", c: use})
			g.stock -= use
			g.wip += use
		}
	}
	// wages: production workers into cost, office into 管理费用
	wp, wa := g.amount(6000, 15000), g.amount(2000, 4000)
	g.post(y, m, 25, "计提本月工资", dl{code: "4001", d: wp}, dl{code: "5401", d: wa}, dl{code: "2201", c: wp + wa})
	g.wip += wp
	g.wages += wp + wa
	if !current || g.now.Day() > 26 {
		g.post(y, m, 28, "发放本月工资", dl{code: "2201", d: wp + wa}, dl{code: "1002", c: wp + wa})
		g.wages -= wp + wa
		g.bank -= wp + wa
	}
	// office costs paid in cash
	office := min(g.amount(300, 1500), g.cash)
	if office > 0 {
		g.post(y, m, 15, "支付办公费、水电费", dl{code: "5401", d: office}, dl{code: "1001", c: office})
		g.cash -= office
	}
	if harvest {
		// harvest into stock
		if g.wip > 0 {
			h := g.wip * int64(40+g.rng.IntN(40)) / 100 / 100 * 100
			if m == 11 {
				h = g.wip
			}
			if h > 0 {
				g.post(y, m, 12, "产品收获入库", dl{code: "1201", d: h}, dl{code: "4001", c: h})
				g.wip -= h
				g.stock += h
			}
		}
		// produce bought from members (成员交易)
		var ls []dl
		var tot int64
		for k := 0; k < 2+g.rng.IntN(3); k++ {
			mb := g.member()
			a := g.amount(3000, 12000)
			tot += a
			ls = append(ls, dl{code: mb.code, c: a, member: mb.name, memberID: mb.id})
			g.trade(y, m, mb, a)
		}
		g.post(y, m, 14, "收购成员产品", append([]dl{{code: "1201", d: tot}}, ls...)...)
		g.stock += tot
		var pay []dl
		for _, l := range ls {
			pay = append(pay, dl{code: l.code, d: l.c, member: l.member})
		}
		g.post(y, m, 20, "支付成员产品收购款", append(pay, dl{code: "1002", c: tot})...)
		g.bank -= tot
	}
	if m >= 6 {
		// sales and their cost
		cost := g.stock * int64(50+g.rng.IntN(30)) / 100 / 100 * 100
		if cost > 0 {
			sale := cost * int64(125+g.rng.IntN(40)) / 100 / 100 * 100
			cashPart := sale * int64(60+g.rng.IntN(30)) / 100 / 100 * 100
			ls := []dl{{code: "1002", d: cashPart}}
			if sale > cashPart {
				ls = append(ls, dl{code: "1101", d: sale - cashPart})
			}
			g.post(y, m, 18, "销售农产品", append(ls, dl{code: "5001", c: sale})...)
			g.bank += cashPart
			g.recv += sale - cashPart
			g.post(y, m, 18, "结转已售产品成本", dl{code: "5201", d: cost}, dl{code: "1201", c: cost})
			g.stock -= cost
			t := sale * 3 / 1000 / 100 * 100
			if t > 0 {
				g.post(y, m, 26, "计提税金及附加", dl{code: "5301", d: t}, dl{code: "2211", c: t})
				g.tax += t
			}
		}
	}
	if g.recv > 0 && g.rng.IntN(2) == 0 {
		a := g.recv
		g.post(y, m, 9, "收回客户货款", dl{code: "1002", d: a}, dl{code: "1101", c: a})
		g.bank += a
		g.recv = 0
	}
	if g.payable > 0 && m%2 == 0 {
		a := g.payable
		g.post(y, m, 11, "支付农资欠款", dl{code: "2101", d: a}, dl{code: "1002", c: a})
		g.bank -= a
		g.payable = 0
	}
	if g.tax > 0 && m%3 == 1 {
		a := g.tax
		g.post(y, m, 15, "缴纳税费", dl{code: "2211", d: a}, dl{code: "1002", c: a})
		g.bank -= a
		g.tax = 0
	}
	if g.loan > 0 && m%3 == 0 {
		i := g.loan * 45 / 1000 / 4 / 100 * 100 // 4.5 % a year, paid quarterly
		if i > 0 {
			g.post(y, m, 21, "支付借款利息", dl{code: "5501", d: i}, dl{code: "1002", c: i})
			g.bank -= i
		}
	}
	if m == 7 && g.rng.IntN(2) == 0 {
		a := g.amount(2000, 8000)
		g.post(y, m, 16, "收到农业社会化服务补贴", dl{code: "1002", d: a}, dl{code: "5101", c: a})
		g.bank += a
	}
	if y == g.year-1 && m == 11 && g.loan > 0 {
		a := g.loan
		g.post(y, m, 25, "归还农商行短期借款", dl{code: "2001", d: a}, dl{code: "1002", c: a})
		g.bank -= a
		g.loan = 0
	}
	if y == g.year-1 && m == 12 {
		g.yearEnd(y)
	}
	if y == g.year && m == 2 {
		g.payReturns(y, m)
	}
	if current {
		// work in progress: one draft and one reviewed voucher wait for the next steps
		a := g.amount(500, 2000)
		g.add(y, m, g.now.Day(), "购买包装材料", KindNormal, StatusReviewed, dl{code: "1201", d: a}, dl{code: "1001", c: a})
		b := g.amount(200, 800)
		g.add(y, m, g.now.Day(), "报销差旅费", KindNormal, StatusDraft, dl{code: "5401", d: b}, dl{code: "1001", c: b})
	}
}

// yearEnd carries the year's income and expenses into 本年盈余, then into 盈余分配, and distributes the surplus:
// 10 % to 盈余公积, 60 % of the rest returned by transaction volume, part of the remainder by shares.
func (g *demoGen) yearEnd(y int) {
	var inc, exp []dl
	var ti, te int64
	for _, code := range sortedKeys(g.income) {
		if a := g.income[code]; a != 0 {
			inc = append(inc, dl{code: code, d: a})
			ti += a
		}
	}
	for _, code := range sortedKeys(g.expense) {
		if a := g.expense[code]; a != 0 {
			exp = append(exp, dl{code: code, c: a})
			te += a
		}
	}
	if ti > 0 {
		g.add(y, 12, 31, "结转本年收入", KindCarry, "", append(inc, dl{code: "3401", c: ti})...)
	}
	if te > 0 {
		g.add(y, 12, 31, "结转本年支出", KindCarry, "", append([]dl{{code: "3401", d: te}}, exp...)...)
	}
	g.income, g.expense = map[string]int64{}, map[string]int64{}
	net := ti - te
	switch {
	case net > 0:
		g.add(y, 12, 31, "结转本年盈余", KindCarry, "", dl{code: "3401", d: net}, dl{code: "3501", c: net})
		carryID := g.vouchers[len(g.vouchers)-1][0].(int64)
		if g.keepUndistributed {
			break // left for the wizard to show
		}
		reserve := net / 10 / 100 * 100
		a := net - reserve
		ret := (a*int64(60+g.rng.IntN(20))/100 + 99) / 100 * 100 // whole 元, rounded up: never below the share chosen
		ret = min(ret, a)
		rest := a - ret
		if reserve > 0 {
			g.distribute(y, carryID, net, reserve, ret, rest)
			g.returns, g.rest = ret, rest
		}
	case net < 0:
		g.add(y, 12, 31, "结转本年亏损", KindCarry, "", dl{code: "3501", d: -net}, dl{code: "3401", c: -net})
	}
}

// payReturns pays last year's returns to members.
func (g *demoGen) payReturns(y, m int) {
	tot := g.returns + g.rest
	if tot <= 0 {
		return
	}
	ls := []dl{}
	if g.returns > 0 {
		ls = append(ls, dl{code: "2221", d: g.returns})
	}
	if g.rest > 0 {
		ls = append(ls, dl{code: "2222", d: g.rest})
	}
	g.post(y, m, 10, "向成员支付上年盈余返还和剩余盈余", append(ls, dl{code: "1002", c: tot})...)
	g.bank -= tot
	g.returns, g.rest = 0, 0
}

func sortedKeys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
