package books_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/books"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/web"
	"nongfu/internal/platform/webtest"
	"nongfu/internal/registry"
	"nongfu/internal/testenv"
)

const county = testenv.County

type env struct {
	*testenv.Env
	svc    *books.Service
	admin2 *auth.Principal // another county admin, user 2
	op     *auth.Principal // township operator of town 0, user 3
	op3    *auth.Principal // township operator of town 3, user 4
}

func setup(t *testing.T, d *db.DB) *env {
	t.Helper()
	base := testenv.New(t, d, books.Migrations)
	e := &env{Env: base, svc: books.NewService(d, base.Reg)}
	if len(e.Towns) < 4 {
		t.Fatalf("need 4 townships, have %d", len(e.Towns))
	}
	e.Admin.DisplayName = "县管理员" // county admin, user 1
	e.admin2 = &auth.Principal{UserID: 2, Username: "admin2", DisplayName: "审核员", Role: auth.CountyAdmin, Scopes: []string{county}}
	e.op = &auth.Principal{UserID: 3, Username: "op", DisplayName: "乡镇记账员", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}}
	e.op3 = &auth.Principal{UserID: 4, Username: "op3", Role: auth.TownshipOperator, Scopes: []string{e.Towns[3].Code}}
	return e
}

func (e *env) org(kind string, town int, name string) *registry.Subject {
	e.T.Helper()
	return e.Create(e.Org(kind, name, e.Village(town)))
}

func (e *env) book(town int, name, start string) *books.Book {
	e.T.Helper()
	x := e.org("cooperative", town, name)
	b, err := e.svc.CreateBook(context.Background(), e.Admin, books.BookInput{SubjectID: x.ID, StartPeriod: start})
	if err != nil {
		e.T.Fatalf("create book: %v", err)
	}
	return b
}

func line(code string, d, c int64) books.LineInput {
	return books.LineInput{AccountCode: code, Debit: d, Credit: c}
}

// posted makes, reviews and posts a voucher.
func (e *env) posted(b *books.Book, date string, lines ...books.LineInput) *books.Voucher {
	e.T.Helper()
	ctx := context.Background()
	v, err := e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: date, Summary: "测试凭证", Lines: lines})
	if err != nil {
		e.T.Fatalf("create voucher: %v", err)
	}
	if _, err := e.svc.Review(ctx, e.Admin, b.ID, v.ID); err != nil {
		e.T.Fatalf("review: %v", err)
	}
	v, err = e.svc.Post(ctx, e.admin2, b.ID, v.ID)
	if err != nil {
		e.T.Fatalf("post: %v", err)
	}
	return v
}

func code(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.CodeOf(err)
}

func thisMonth() string { return time.Now().In(web.Shanghai).Format("2006-01") }

func TestChart(t *testing.T) {
	c := books.ChartOf(books.DefaultChart)
	for _, want := range []struct{ code, name, cat, side string }{
		{"1001", "库存现金", "asset", "debit"}, {"1102", "成员往来", "asset", "debit"}, {"1402", "生产性生物资产", "asset", "debit"},
		{"1502", "累计折旧", "asset", "credit"}, {"2211", "应交税费", "liability", "credit"}, {"3001", "股金", "equity", "credit"},
		{"3401", "本年盈余", "equity", "credit"}, {"4001", "生产成本", "cost", "debit"}, {"5001", "经营收入", "pl", "credit"},
		{"5401", "管理费用", "pl", "debit"},
	} {
		a, ok := c.Account(want.code)
		if !ok || a.Name != want.name || a.Category != want.cat || a.Side != want.side {
			t.Errorf("account %s: %+v", want.code, a)
		}
	}
	if _, ok := c.Account("1401"); !ok {
		t.Error("no 消耗性生物资产")
	}
	for _, x := range []struct {
		in   string
		want int64
	}{{"1,200", 120000}, {"0.5", 50}, {"１２．３４", 1234}, {"", 0}, {"-8.01", -801}} {
		got, err := books.ParseYuan(x.in)
		if err != nil || got != x.want {
			t.Errorf("ParseYuan(%q) = %d, %v", x.in, got, err)
		}
	}
	for _, bad := range []string{"1.234", "abc", "1e5"} {
		if _, err := books.ParseYuan(bad); err == nil {
			t.Errorf("ParseYuan(%q) accepted", bad)
		}
	}
	if s := books.FormatYuan(123456789); s != "1,234,567.89" {
		t.Errorf("FormatYuan: %s", s)
	}
}

func TestVoucherRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		start := time.Now().In(web.Shanghai).AddDate(0, -2, 0).Format("2006-01")
		b := e.book(0, "七星脆李专业合作社", start)
		if b.StartPeriod != start || b.KindLabel != "农民专业合作社" {
			t.Fatalf("book: %+v", b)
		}
		if _, err := e.svc.CreateBook(ctx, e.Admin, books.BookInput{SubjectID: b.SubjectID}); code(err) != apperr.Conflict {
			t.Errorf("second book of one subject: %v", err)
		}
		hh := e.org("enterprise", 0, "巫山农业有限公司")
		if _, err := e.svc.CreateBook(ctx, e.Admin, books.BookInput{SubjectID: hh.ID}); code(err) != apperr.Invalid {
			t.Errorf("enterprise under service: %v", err)
		}
		day := start + "-10"
		// unbalanced: refused with the difference in Chinese
		_, err := e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: day, Summary: "购入化肥",
			Lines: []books.LineInput{line("1201", 120000, 0), line("1002", 0, 100000)}})
		if code(err) != apperr.Invalid || apperr.MessageOf(err) != "借贷不平衡：借方合计 1,200.00 元，贷方合计 1,000.00 元，相差 200.00 元" {
			t.Fatalf("unbalanced: %v", err)
		}
		for name, lines := range map[string][]books.LineInput{
			"one line":    {line("1201", 100, 0)},
			"negative":    {line("1201", -100, 0), line("1002", 0, -100)},
			"both sides":  {line("1201", 100, 100), line("1002", 0, 0)},
			"no account":  {line("9999", 100, 0), line("1002", 0, 100)},
			"zero amount": {line("1201", 0, 0), line("1002", 0, 0), {AccountCode: "1001", Memo: "x"}},
		} {
			if _, err := e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: day, Summary: "x", Lines: lines}); code(err) != apperr.Invalid {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: "2001-01-01", Summary: "x", Lines: []books.LineInput{line("1201", 1, 0), line("1002", 0, 1)}}); code(err) != apperr.Invalid {
			t.Errorf("before start: %v", err)
		}
		// a sub-account makes its parent a non-leaf
		acc, err := e.svc.AddAccount(ctx, e.op, b.ID, "1102", "张三", 0)
		if err != nil || acc.Code != "1102.001" || acc.FullName != "成员往来-张三" {
			t.Fatalf("sub-account: %+v %v", acc, err)
		}
		if _, err := e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: day, Summary: "x", Lines: []books.LineInput{line("1102", 1, 0), line("1002", 0, 1)}}); code(err) != apperr.Invalid {
			t.Errorf("parent of sub-accounts used: %v", err)
		}
		// draft → review (not by the maker) → post
		v, err := e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: day, Summary: "收购成员产品",
			Lines: []books.LineInput{line("1201", 50000, 0), {AccountCode: "1102.001", Credit: 50000, MemberName: "张三"}}})
		if err != nil || v.Status != books.StatusDraft || v.Number != 0 || v.Word != "草稿" {
			t.Fatalf("draft: %+v %v", v, err)
		}
		if _, err := e.svc.Post(ctx, e.Admin, b.ID, v.ID); code(err) != apperr.Conflict {
			t.Errorf("post before review: %v", err)
		}
		if _, err := e.svc.Review(ctx, e.op, b.ID, v.ID); code(err) != apperr.Forbidden {
			t.Errorf("maker reviews: %v", err)
		}
		if _, err := e.svc.Review(ctx, e.Admin, b.ID, v.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UpdateVoucher(ctx, e.op, b.ID, v.ID, books.VoucherInput{Date: day, Summary: "x", Lines: []books.LineInput{line("1201", 1, 0), line("1002", 0, 1)}}); code(err) != apperr.Conflict {
			t.Errorf("edit after review: %v", err)
		}
		v, err = e.svc.Post(ctx, e.op, b.ID, v.ID) // the maker may post; who posted is recorded
		if err != nil || v.Status != books.StatusPosted || v.Number != 1 || v.PosterID != e.op.UserID || v.ReviewerID != e.Admin.UserID {
			t.Fatalf("post: %+v %v", v, err)
		}
		if _, err := e.svc.UpdateVoucher(ctx, e.op, b.ID, v.ID, books.VoucherInput{Date: day, Summary: "x", Lines: []books.LineInput{line("1201", 1, 0), line("1002", 0, 1)}}); code(err) != apperr.Conflict {
			t.Errorf("edit after posting: %v", err)
		}
		if _, err := e.svc.Post(ctx, e.Admin, b.ID, v.ID); code(err) != apperr.Conflict {
			t.Errorf("post twice: %v", err)
		}
		// reversal: red lines, linked, numbered when posted; the original cannot be reversed twice
		rv, err := e.svc.Reverse(ctx, e.op, b.ID, v.ID, day)
		if err != nil || rv.Kind != books.KindReversal || rv.ReversesID != v.ID || rv.Lines[0].Debit != -50000 || rv.DebitTotal != -50000 {
			t.Fatalf("reverse: %+v %v", rv, err)
		}
		if _, err := e.svc.Reverse(ctx, e.op, b.ID, v.ID, day); code(err) != apperr.Conflict {
			t.Errorf("reverse twice: %v", err)
		}
		if _, err := e.svc.Review(ctx, e.Admin, b.ID, rv.ID); err != nil {
			t.Fatal(err)
		}
		if rv, err = e.svc.Post(ctx, e.Admin, b.ID, rv.ID); err != nil || rv.Number != 2 {
			t.Fatalf("post reversal: %+v %v", rv, err)
		}
		if orig, _ := e.svc.GetVoucher(ctx, e.Admin, b.ID, v.ID); orig.ReversedByID != rv.ID {
			t.Errorf("original not linked: %+v", orig)
		}
		tb, err := e.svc.TrialBalance(ctx, e.Admin, b.ID, "", start)
		if err != nil || !tb.Balanced || tb.DebitTotal != 0 || tb.PeriodDebitTotal != 0 {
			t.Errorf("trial balance after reversal: %+v %v", tb, err)
		}
		// close: in order, no pending vouchers; closed periods refuse entry and posting
		pending, err := e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: day, Summary: "x", Lines: []books.LineInput{line("1001", 100, 0), line("1002", 0, 100)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ClosePeriod(ctx, e.op, b.ID, books.NextPeriod(start)); code(err) != apperr.Conflict {
			t.Errorf("close out of order: %v", err)
		}
		if err := e.svc.ClosePeriod(ctx, e.op, b.ID, start); code(err) != apperr.Conflict || !strings.Contains(apperr.MessageOf(err), "1 张凭证未记账") {
			t.Errorf("close with pending: %v", err)
		}
		if _, err := e.svc.Review(ctx, e.Admin, b.ID, pending.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Post(ctx, e.Admin, b.ID, pending.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ClosePeriod(ctx, e.op, b.ID, start); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: day, Summary: "x", Lines: []books.LineInput{line("1001", 100, 0), line("1002", 0, 100)}}); code(err) != apperr.Invalid {
			t.Errorf("entry into closed period: %v", err)
		}
		// reopen: county admin only, with a reason, audited; then posting works again
		if err := e.svc.ReopenPeriod(ctx, e.op, b.ID, start, "更正"); code(err) != apperr.Forbidden {
			t.Errorf("operator reopens: %v", err)
		}
		if err := e.svc.ReopenPeriod(ctx, e.Admin, b.ID, start, " "); code(err) != apperr.Invalid {
			t.Errorf("reopen without reason: %v", err)
		}
		if err := e.svc.ReopenPeriod(ctx, e.Admin, b.ID, start, "补记漏记的运费"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'book' AND action = 'reopen' AND summary LIKE '%补记漏记的运费%'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("reopen audited: %d %v", n, err)
		}
		e.posted(b, day, line("1201", 3000, 0), line("1001", 0, 3000))
		// closing with a reviewed voucher waiting; posting into a period closed meanwhile is refused
		w, err := e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: day, Summary: "x", Lines: []books.LineInput{line("1001", 100, 0), line("1002", 0, 100)}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Review(ctx, e.Admin, b.ID, w.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO books_closes (book_id, period, closed_at, closed_by_id, closed_by_name) VALUES (?, ?, ?, 1, 'x')`, b.ID, start, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Post(ctx, e.Admin, b.ID, w.ID); code(err) != apperr.Conflict || !strings.Contains(apperr.MessageOf(err), "已结账") {
			t.Errorf("post into closed period: %v", err)
		}
		if n, err := audit.Verify(ctx, d); err != nil || n == 0 {
			t.Errorf("audit chain: %d %v", n, err)
		}
	})
}

// TestProperty posts and reverses random balanced vouchers over several months and checks after each step that
// the trial balance and the balance sheet balance and every posted voucher balances.
func TestProperty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		start := time.Now().In(web.Shanghai).AddDate(0, -3, 0).Format("2006-01")
		b := e.book(0, "红椿土豆专业合作社", start)
		for _, m := range []string{"甲", "乙", "丙"} {
			if _, err := e.svc.AddAccount(ctx, e.Admin, b.ID, "1102", "成员"+m, 0); err != nil {
				t.Fatal(err)
			}
		}
		accs, err := e.svc.Accounts(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		var leaves []string
		for _, a := range accs {
			if a.Code != "1102" {
				leaves = append(leaves, a.Code)
			}
		}
		rng := rand.New(rand.NewPCG(7, 7))
		periods := []string{start, books.NextPeriod(start), books.NextPeriod(books.NextPeriod(start))}
		var posted []*books.Voucher
		steps := 60
		if d.Engine() == db.Postgres {
			steps = 30
		}
		for i := 0; i < steps; i++ {
			if len(posted) > 3 && rng.IntN(5) == 0 {
				v := posted[rng.IntN(len(posted))]
				if v.Kind == books.KindNormal && v.ReversedByID == 0 {
					rv, err := e.svc.Reverse(ctx, e.op, b.ID, v.ID, periods[2]+"-15")
					if err == nil {
						if _, err := e.svc.Review(ctx, e.Admin, b.ID, rv.ID); err != nil {
							t.Fatal(err)
						}
						if rv, err = e.svc.Post(ctx, e.Admin, b.ID, rv.ID); err != nil {
							t.Fatal(err)
						}
						v.ReversedByID = rv.ID
						posted = append(posted, rv)
					} else if code(err) != apperr.Conflict {
						t.Fatal(err)
					}
				}
			} else {
				// 2–5 lines whose sides sum equal
				n := 2 + rng.IntN(4)
				var lines []books.LineInput
				var debit int64
				for k := 0; k < n-1; k++ {
					a := 1 + rng.Int64N(5_000_00)
					if k == 0 || rng.IntN(2) == 0 {
						lines = append(lines, line(leaves[rng.IntN(len(leaves))], a, 0))
						debit += a
					} else {
						lines = append(lines, line(leaves[rng.IntN(len(leaves))], 0, a))
						debit -= a
					}
				}
				if debit > 0 {
					lines = append(lines, line(leaves[rng.IntN(len(leaves))], 0, debit))
				} else if debit < 0 {
					lines = append(lines, line(leaves[rng.IntN(len(leaves))], -debit, 0))
				} else {
					continue
				}
				per := periods[rng.IntN(len(periods))]
				posted = append(posted, e.posted(b, fmt.Sprintf("%s-%02d", per, 1+rng.IntN(28)), lines...))
			}
			if i%10 != 9 {
				continue
			}
			for _, per := range periods {
				tb, err := e.svc.TrialBalance(ctx, e.Admin, b.ID, "", per)
				if err != nil || !tb.Balanced || tb.DebitTotal != tb.CreditTotal || tb.PeriodDebitTotal != tb.PeriodCreditTotal {
					t.Fatalf("step %d %s: trial balance %+v %v", i, per, tb, err)
				}
				bs, err := e.svc.BalanceSheet(ctx, e.Admin, b.ID, per)
				if err != nil || !bs.Balanced || bs.TotalAssets != bs.TotalLiabilities+bs.TotalEquity {
					t.Fatalf("step %d %s: balance sheet %+v %v", i, per, bs, err)
				}
			}
		}
		var bad int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT l.voucher_id FROM books_lines l JOIN books_vouchers v ON v.id = l.voucher_id
			WHERE v.status = 'posted' GROUP BY l.voucher_id HAVING SUM(l.debit) <> SUM(l.credit)) x`).Scan(&bad); err != nil || bad != 0 {
			t.Errorf("unbalanced posted vouchers: %d %v", bad, err)
		}
		checkNumbers(t, d, b.ID)
		// the balance sheet's unclosed surplus equals the surplus statement's
		st, err := e.svc.SurplusStatement(ctx, e.Admin, b.ID, periods[2])
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Surplus) == 0 {
			t.Error("empty surplus statement")
		}
	})
}

// checkNumbers asserts that every period's posted vouchers are numbered 1..n without gaps or repeats.
func checkNumbers(t *testing.T, d *db.DB, bookID int64) {
	t.Helper()
	rows, err := d.QueryContext(context.Background(), `SELECT period, COUNT(*), COUNT(DISTINCT number), MIN(number), MAX(number) FROM books_vouchers
		WHERE book_id = ? AND status = 'posted' GROUP BY period`, bookID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var per string
		var n, distinct, lo, hi int
		if err := rows.Scan(&per, &n, &distinct, &lo, &hi); err != nil {
			t.Fatal(err)
		}
		if n != distinct || lo != 1 || hi != n {
			t.Errorf("book %d %s: %d vouchers numbered %d..%d (%d distinct)", bookID, per, n, lo, hi, distinct)
		}
	}
}

func TestConcurrentPosting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		per := thisMonth()
		b := e.book(0, "大昌湖柑橘专业合作社", per)
		const workers, each = 6, 5
		var ids []int64
		for i := 0; i < workers*each; i++ {
			v, err := e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: per + "-01", Summary: "并发记账",
				Lines: []books.LineInput{line("1001", int64(100+i), 0), line("1002", 0, int64(100+i))}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Review(ctx, e.Admin, b.ID, v.ID); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, v.ID)
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(ids))
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				poster := &auth.Principal{UserID: int64(10 + w), Username: fmt.Sprintf("keeper%d", w), Role: auth.CountyAdmin, Scopes: []string{county}}
				for _, id := range ids[w*each : (w+1)*each] {
					if _, err := e.svc.Post(ctx, poster, b.ID, id); err != nil {
						errs <- err
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent post: %v", err)
		}
		checkNumbers(t, d, b.ID)
		vs, total, err := e.svc.ListVouchers(ctx, e.Admin, b.ID, books.VoucherFilter{Status: books.StatusPosted, PerPage: 100})
		if err != nil || total != workers*each || vs[0].Number != workers*each {
			t.Errorf("posted: %d, first %+v, %v", total, vs[0], err)
		}
	})
}

func TestAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		per := thisMonth()
		b := e.book(0, "当阳蜂蜜专业合作社", per)
		b3 := e.book(3, "庙宇核桃专业合作社", per)
		e.posted(b, per+"-01", line("1001", 100, 0), line("1002", 0, 100))
		member := &auth.Principal{UserID: 20, Role: auth.Member, SubjectID: b.SubjectID}
		other := &auth.Principal{UserID: 21, Role: auth.Member, SubjectID: b3.SubjectID}
		viewer := &auth.Principal{UserID: 22, Role: auth.Viewer, Scopes: []string{county}}
		dept := &auth.Principal{UserID: 23, Role: auth.Department, Scopes: []string{county}}
		bank := &auth.Principal{UserID: 24, Role: auth.Bank, SubjectID: b.SubjectID}
		sys := &auth.Principal{UserID: 25, Role: auth.Sysadmin, Scopes: []string{county}}
		count := func(p *auth.Principal) int {
			_, n, err := e.svc.ListBooks(ctx, p, books.BookFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for name, c := range map[string]struct {
			p    *auth.Principal
			want int
		}{"admin": {e.Admin, 2}, "op": {e.op, 1}, "op3": {e.op3, 1}, "member": {member, 1}, "other": {other, 1}, "viewer": {viewer, 2},
			"dept": {dept, 2}, "bank": {bank, 0}, "sysadmin": {sys, 0}} {
			if got := count(c.p); got != c.want {
				t.Errorf("%s lists %d books, want %d", name, got, c.want)
			}
		}
		if _, err := e.svc.TrialBalance(ctx, member, b.ID, "", per); err != nil {
			t.Errorf("member reads own books: %v", err)
		}
		if _, err := e.svc.TrialBalance(ctx, other, b.ID, "", per); code(err) != apperr.NotFound {
			t.Errorf("member reads another's books: %v", err)
		}
		if _, err := e.svc.GetBook(ctx, e.op3, b.ID); code(err) != apperr.NotFound {
			t.Errorf("operator out of scope: %v", err)
		}
		in := books.VoucherInput{Date: per + "-02", Summary: "x", Lines: []books.LineInput{line("1001", 1, 0), line("1002", 0, 1)}}
		for name, p := range map[string]*auth.Principal{"member": member, "viewer": viewer, "dept": dept} {
			if _, err := e.svc.CreateVoucher(ctx, p, b.ID, in); code(err) != apperr.Forbidden {
				t.Errorf("%s writes: %v", name, err)
			}
			if err := e.svc.ClosePeriod(ctx, p, b.ID, per); code(err) != apperr.Forbidden {
				t.Errorf("%s closes: %v", name, err)
			}
		}
		if _, err := e.svc.CreateVoucher(ctx, e.op3, b.ID, in); code(err) != apperr.NotFound {
			t.Errorf("operator out of scope writes: %v", err)
		}
		x := e.org("village_collective", 3, "庙宇镇某村股份经济合作联合社")
		if _, err := e.svc.CreateBook(ctx, e.op, books.BookInput{SubjectID: x.ID}); code(err) != apperr.Forbidden {
			t.Errorf("operator puts another township's org under service: %v", err)
		}
		if _, err := e.svc.CreateBook(ctx, e.op3, books.BookInput{SubjectID: x.ID}); err != nil {
			t.Errorf("operator in scope: %v", err)
		}
	})
}

func TestSeedDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		var orgIDs []int64
		for i := 0; i < 14; i++ {
			orgIDs = append(orgIDs, e.org("cooperative", i%4, fmt.Sprintf("演示专业合作社%02d", i)).ID)
		}
		year := time.Now().In(web.Shanghai).Year()
		began := time.Now()
		if err := d.InTx(ctx, func(tx *db.Tx) error { return e.svc.SeedDemo(ctx, tx, orgIDs, year) }); err != nil {
			t.Fatal(err)
		}
		took := time.Since(began)
		list, total, err := e.svc.ListBooks(ctx, e.Admin, books.BookFilter{PerPage: 100})
		if err != nil || total != 12 {
			t.Fatalf("demo books: %d %v", total, err)
		}
		var vouchers int
		for _, b := range list {
			vouchers += b.Vouchers
			checkNumbers(t, d, b.ID)
			for _, y := range []int{year - 1, year} {
				for _, m := range []int{1, 6, 12} {
					per := fmt.Sprintf("%d-%02d", y, m)
					tb, err := e.svc.TrialBalance(ctx, e.Admin, b.ID, "", per)
					if err != nil || !tb.Balanced || tb.DebitTotal <= 0 {
						t.Fatalf("%s %s trial balance: %+v %v", b.Name, per, tb, err)
					}
					bs, err := e.svc.BalanceSheet(ctx, e.Admin, b.ID, per)
					if err != nil || !bs.Balanced {
						t.Fatalf("%s %s balance sheet: %+v %v", b.Name, per, bs, err)
					}
				}
			}
			// the previous year is carried forward: no 损益 balance left at its end
			tb, _ := e.svc.TrialBalance(ctx, e.Admin, b.ID, "", fmt.Sprintf("%d-12", year-1))
			for _, r := range tb.Rows {
				if r.Category == books.CatPL && (r.ClosingDebit != 0 || r.ClosingCredit != 0) {
					t.Errorf("%s: %s not carried at year end: %+v", b.Name, r.Name, r)
				}
			}
			if b.ClosedThrough == "" || b.Pending != 2 {
				t.Errorf("%s: closed through %q, pending %d", b.Name, b.ClosedThrough, b.Pending)
			}
		}
		t.Logf("demo: 12 books, %d posted vouchers in %v", vouchers, took)
		if vouchers < 12*150 {
			t.Errorf("only %d vouchers", vouchers)
		}
		if d.Engine() == db.SQLite && took > 2*time.Second {
			t.Errorf("demo took %v", took)
		}
		// idempotent: a second run adds nothing
		if err := d.InTx(ctx, func(tx *db.Tx) error { return e.svc.SeedDemo(ctx, tx, orgIDs, year) }); err != nil {
			t.Fatal(err)
		}
		if _, n, _ := e.svc.ListBooks(ctx, e.Admin, books.BookFilter{}); n != 12 {
			t.Errorf("second seed: %d books", n)
		}
	})
}

func TestHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		site := webtest.Start(t, d, e.svc.Routes)
		coop := e.org("cooperative", 0, "福田蔬菜专业合作社")
		admin := site.User(auth.NewUser{Username: "admin", DisplayName: "县管理员", Role: auth.CountyAdmin, Scopes: []string{county}})
		op := site.User(auth.NewUser{Username: "op", DisplayName: "乡镇记账员", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}})
		member := site.User(auth.NewUser{Username: "coop", Role: auth.Member, SubjectID: coop.ID})
		viewer := site.User(auth.NewUser{Username: "viewer", Role: auth.Viewer, Scopes: []string{county}})

		per := thisMonth()
		st, body := op.JSON("POST", "/api/v1/books", map[string]any{"subject_id": coop.ID, "start_period": per})
		if st != 201 || body["name"] != "福田蔬菜专业合作社" {
			t.Fatalf("create book: %d %v", st, body)
		}
		id := int64(body["id"].(float64))
		if st, _ = viewer.JSON("POST", "/api/v1/books", map[string]any{"subject_id": coop.ID}); st != 403 {
			t.Errorf("viewer creates: %d", st)
		}
		st, body = member.JSON("GET", "/api/v1/books", nil)
		if st != 200 || body["total"].(float64) != 1 || body["items"].([]any)[0].(map[string]any)["id"].(float64) != float64(id) || body["per_page"] == nil {
			t.Fatalf("list: %d %v", st, body)
		}
		base := fmt.Sprintf("/api/v1/books/%d", id)
		st, body = op.JSON("POST", base+"/vouchers", map[string]any{"date": per + "-01", "summary": "购入化肥",
			"lines": []map[string]any{{"account_code": "1201", "debit": 120000}, {"account_code": "1002", "credit": 100000}}})
		if st != 422 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "相差 200.00 元") {
			t.Fatalf("unbalanced: %d %v", st, body)
		}
		st, body = op.JSON("POST", base+"/vouchers", map[string]any{"date": per + "-01", "summary": "购入化肥",
			"lines": []map[string]any{{"account_code": "1201", "debit": 120000}, {"account_code": "1002", "credit": 120000}}})
		if st != 201 || body["status"] != "draft" {
			t.Fatalf("create voucher: %d %v", st, body)
		}
		vid := int64(body["id"].(float64))
		vbase := fmt.Sprintf("%s/vouchers/%d", base, vid)
		if st, _ = op.JSON("POST", vbase+"/review", nil); st != 403 {
			t.Errorf("maker reviews: %d", st)
		}
		if st, _ = member.JSON("POST", vbase+"/review", nil); st != 403 {
			t.Errorf("member reviews: %d", st)
		}
		if st, body = admin.JSON("POST", vbase+"/review", nil); st != 200 || body["status"] != "reviewed" {
			t.Fatalf("review: %d %v", st, body)
		}
		if st, body = admin.JSON("POST", vbase+"/post", nil); st != 200 || body["number"].(float64) != 1 {
			t.Fatalf("post: %d %v", st, body)
		}
		if st, _ = op.JSON("PUT", vbase, map[string]any{"date": per + "-01", "summary": "x", "lines": []map[string]any{}}); st != 409 {
			t.Errorf("edit after post: %d", st)
		}
		st, body = member.JSON("GET", base+"/trial-balance?period="+per, nil)
		if st != 200 || body["debit_total"].(float64) != 120000 || body["credit_total"].(float64) != 120000 || len(body["rows"].([]any)) != 2 {
			t.Fatalf("trial balance: %d %v", st, body)
		}
		if st, body = viewer.JSON("GET", base+"/balance-sheet?period="+per, nil); st != 200 || body["balanced"] != true || body["total_assets"].(float64) != 0 {
			t.Errorf("balance sheet: %d %v", st, body)
		}
		if st, body = op.JSON("GET", base+"/vouchers?period="+per, nil); st != 200 || body["total"].(float64) != 1 {
			t.Errorf("vouchers: %d %v", st, body)
		}
		if st, body = op.JSON("GET", base+"/ledger?account=1201&to="+per, nil); st != 200 || len(body["lines"].([]any)) != 1 {
			t.Errorf("ledger: %d %v", st, body)
		}
		if st, body = op.JSON("POST", vbase+"/reverse", nil); st != 201 || body["kind"] != "reversal" {
			t.Errorf("reverse: %d %v", st, body)
		}
		if st, _ = op.JSON("POST", base+"/close?period="+per, nil); st != 409 {
			t.Errorf("close with a pending reversal: %d", st)
		}
		if st, body = admin.JSON("GET", "/api/v1/books/999/trial-balance?period="+per, nil); st != 404 {
			t.Errorf("missing book: %d %v", st, body)
		}
		if st, _ = admin.JSON("GET", base+"/trial-balance?period=2026-13", nil); st != 422 {
			t.Errorf("bad period: %d", st)
		}

		// pages
		for _, path := range []string{"/books", fmt.Sprintf("/books/%d", id), fmt.Sprintf("/books/%d/vouchers/%d", id, vid), fmt.Sprintf("/books/%d/vouchers/new", id)} {
			if st, html := op.Form("GET", path, nil); st != 200 || !strings.Contains(html, "福田蔬菜专业合作社") {
				t.Errorf("page %s: %d", path, st)
			}
		}
		for _, tab := range []string{"trial", "balance", "surplus", "ledger", "accounts", "periods"} {
			if st, html := member.Form("GET", fmt.Sprintf("/books/%d?tab=%s&period=%s", id, tab, per), nil); st != 200 || strings.Contains(html, "填制凭证") {
				t.Errorf("member tab %s: %d", tab, st)
			}
		}
		for _, rep := range []string{"trial", "balance", "surplus", "ledger", "vouchers"} {
			if st, body := member.Form("GET", fmt.Sprintf("/books/%d/export?report=%s&period=%s", id, rep, per), nil); st != 200 || !strings.HasPrefix(body, "PK") {
				t.Errorf("export %s: %d", rep, st)
			}
		}
		form := url.Values{"date": {per + "-03"}, "summary": {"销售蔬菜"}, "account": {"1002", "5001", ""}, "debit": {"1,200.00", "", ""},
			"credit": {"", "1000", ""}, "memo": {"", "", ""}, "member": {"", "", ""}, "action": {"save"}}
		st, html := op.Form("POST", fmt.Sprintf("/books/%d/vouchers/new", id), form)
		if st != 422 || !strings.Contains(html, "借贷不平衡：借方合计 1,200.00 元，贷方合计 1,000.00 元，相差 200.00 元") || !strings.Contains(html, `value="1,200.00"`) {
			t.Errorf("form imbalance: %d", st)
		}
		form.Set("action", "addline")
		if st, html = op.Form("POST", fmt.Sprintf("/books/%d/vouchers/new", id), form); st != 200 || strings.Count(html, `name="account"`) != 4 {
			t.Errorf("add line: %d %d", st, strings.Count(html, `name="account"`))
		}
		form["credit"] = []string{"", "1200", ""}
		form.Set("action", "save")
		st, loc := op.Form("POST", fmt.Sprintf("/books/%d/vouchers/new", id), form)
		if st != 303 || !strings.Contains(loc, "/vouchers/") {
			t.Fatalf("save form: %d %s", st, loc)
		}
		if st, loc = admin.Form("POST", loc+"/review", url.Values{}); st != 303 {
			t.Errorf("review page: %d", st)
		}
		if st, _ = admin.Form("POST", loc+"/post", url.Values{}); st != 303 {
			t.Errorf("post page: %d", st)
		}
		st, body = admin.JSON("GET", base+"/surplus-statement?period="+per, nil)
		if st != 200 || body["net_surplus"].(float64) != 120000 {
			t.Errorf("statements update after posting: %d %v", st, body)
		}
		// every route is documented
		doc := site.Server.API.Document()
		paths := doc["paths"].(map[string]map[string]any)
		for _, p := range []string{"/api/v1/books", "/api/v1/books/{id}/trial-balance", "/api/v1/books/{id}/vouchers/{vid}/post", "/api/v1/books/{id}/close"} {
			if paths[p] == nil {
				t.Errorf("openapi misses %s", p)
			}
		}
	})
}
