package books_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/books"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/web"
	"nongfu/internal/testenv"
)

// TestAllocateProperty: for random totals and weights the parts sum exactly to the total, each part is within one
// 分 of its exact share, and zero weights get nothing.
func TestAllocateProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for n := 0; n < 5000; n++ {
		k := 1 + rng.IntN(40)
		w := make([]int64, k)
		var sum float64
		for i := range w {
			if rng.IntN(5) > 0 {
				w[i] = rng.Int64N(1 << uint(1+rng.IntN(50)))
			}
			sum += float64(w[i])
		}
		total := rng.Int64N(1 << uint(1+rng.IntN(45)))
		if rng.IntN(10) == 0 {
			total = -total
		}
		parts, ok := books.Allocate(total, w)
		if !ok {
			if sum != 0 {
				t.Fatalf("not ok with positive weights %v", w)
			}
			continue
		}
		var got int64
		for i, p := range parts {
			got += p
			if w[i] == 0 && p != 0 {
				t.Fatalf("zero weight got %d", p)
			}
			exact := float64(total) * float64(w[i]) / sum
			if d := math.Abs(float64(p) - exact); d > 1+math.Abs(exact)*1e-9 {
				t.Fatalf("part %d = %d, exact %.3f (total %d weights %v)", i, p, exact, total, w)
			}
		}
		if got != total {
			t.Fatalf("parts sum %d, want %d (weights %v)", got, total, w)
		}
	}
	if p, _ := books.Allocate(100, []int64{1, 1, 1}); p[0] != 34 || p[1] != 33 || p[2] != 33 {
		t.Errorf("100 over three equal weights = %v, want [34 33 33]", p)
	}
}

// coop sets up a book of the previous year with three members, capital, trade and a posted surplus.
type coopFixture struct {
	b       *books.Book
	members []books.Member
	year    int
}

func (e *env) coop(t *testing.T) coopFixture {
	ctx := context.Background()
	year := time.Now().In(web.Shanghai).Year() - 1
	in := e.Org("cooperative", "青龙山茶叶专业合作社", e.Village(0))
	in.EstablishedOn = testenv.Ptr("2019-05-01")
	x := e.Create(in)
	b, err := e.svc.CreateBook(ctx, e.Admin, books.BookInput{SubjectID: x.ID, StartPeriod: fmt.Sprintf("%d-01", year)})
	if err != nil {
		t.Fatal(err)
	}
	f := coopFixture{b: b, year: year}
	for i, n := range []string{"王德全", "李春燕", "张明华"} {
		m, err := e.svc.AddMember(ctx, e.op, b.ID, books.MemberInput{Name: n, JoinedOn: fmt.Sprintf("%d-01-0%d", year, i+1)})
		if err != nil {
			t.Fatal(err)
		}
		f.members = append(f.members, m)
	}
	// capital: 10 000, 20 000 and 30 000 元; 李春燕 brings land use rights valued by a member meeting
	for i, m := range f.members {
		in := books.ShareInput{MemberID: m.ID, Date: fmt.Sprintf("%d-01-10", year), AssetKind: "cash", Amount: int64(i+1) * 1_000_000, Shares: int64(i+1) * 10}
		if i == 1 {
			in.AssetKind, in.Description, in.ValuationBasis = "land", "承包地 8 亩", "成员大会作价决议"
		}
		sh, err := e.svc.AddShare(ctx, e.op, b.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		e.reviewPost(b, sh.VoucherID)
	}
	// trade: 3 : 1 : 0
	for i, amt := range []int64{3_000_000, 1_000_000} {
		if _, err := e.svc.AddEntry(ctx, e.op, b.ID, books.EntryInput{MemberID: f.members[i].ID, Date: fmt.Sprintf("%d-06-01", year), Kind: books.EntryTrade,
			Quantity: "1500.5", Unit: "公斤", Amount: amt}); err != nil {
			t.Fatal(err)
		}
	}
	// a year's business: income 100 000.01, expenses 40 000 → surplus 60 000.01 元
	e.posted(b, fmt.Sprintf("%d-07-01", year), line("1002", 10_000_001, 0), line("5001", 0, 10_000_001))
	e.posted(b, fmt.Sprintf("%d-08-01", year), line("5201", 4_000_000, 0), line("1002", 0, 4_000_000))
	return f
}

func (e *env) reviewPost(b *books.Book, id int64) {
	e.T.Helper()
	ctx := context.Background()
	if _, err := e.svc.Review(ctx, e.Admin, b.ID, id); err != nil {
		e.T.Fatalf("review: %v", err)
	}
	if _, err := e.svc.Post(ctx, e.admin2, b.ID, id); err != nil {
		e.T.Fatalf("post: %v", err)
	}
}

func TestDistribution(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		f := e.coop(t)
		b := f.b
		accs, err := e.svc.MemberAccounts(ctx, e.Admin, b.ID, f.year)
		if err != nil {
			t.Fatal(err)
		}
		if accs[1].Capital != 2_000_000 || accs[1].Shares != 20 || accs[0].Trade != 3_000_000 || accs[0].TradeQty != 1_500_500 {
			t.Fatalf("member accounts: %+v", accs)
		}
		// 59 % is refused, citing the law, and nothing is written
		_, err = e.svc.Distribute(ctx, e.op, b.ID, books.DistributionInput{Year: f.year, Reserve: 600_001, ReturnPct: 59})
		if code(err) != apperr.Invalid || !strings.Contains(apperr.MessageOf(err), "第四十四条") || !strings.Contains(apperr.MessageOf(err), "至少应返还") {
			t.Fatalf("59%% return: %v", err)
		}
		// an explicit amount one 分 below 60 % is refused too
		undist := int64(6_000_001)
		a := undist - 600_001
		_, err = e.svc.Distribute(ctx, e.op, b.ID, books.DistributionInput{Year: f.year, Reserve: 600_001, ByVolume: a*60/100 - 1})
		if code(err) != apperr.Invalid {
			t.Fatalf("one 分 short: %v", err)
		}
		if ds, _ := e.svc.Distributions(ctx, e.Admin, b.ID); len(ds) != 0 {
			t.Fatalf("refused distribution left %d records", len(ds))
		}
		dist, err := e.svc.Distribute(ctx, e.op, b.ID, books.DistributionInput{Year: f.year, Reserve: 600_001, ReturnPct: 70})
		if err != nil {
			t.Fatal(err)
		}
		if dist.Undistributed != undist || dist.Distributable != a || dist.ByVolume*100 < 70*a || dist.ByVolume+dist.ByShares != a || !dist.NeedsCarry {
			t.Fatalf("distribution: %+v", dist)
		}
		var res, ret, rest int64
		for _, r := range dist.Rows {
			res, ret, rest = res+r.Reserve, ret+r.Return, rest+r.Rest
		}
		if res != dist.Reserve || ret != dist.ByVolume || rest != dist.ByShares {
			t.Fatalf("parts do not sum: %d %d %d vs %+v", res, ret, rest, dist)
		}
		if dist.Rows[2].Return != 0 || math.Abs(float64(dist.Rows[0].Return-3*dist.Rows[1].Return)) > 3 || dist.Rows[2].Rest == 0 {
			t.Fatalf("member with no trade gets no return but a rest: %+v", dist.Rows)
		}
		// a second run of the same year is refused
		if _, err := e.svc.Distribute(ctx, e.op, b.ID, books.DistributionInput{Year: f.year, Reserve: 1, ReturnPct: 60}); code(err) != apperr.Conflict {
			t.Fatalf("second distribution: %v", err)
		}
		// member accounts change only once the vouchers are posted (by someone else)
		accs, _ = e.svc.MemberAccounts(ctx, e.Admin, b.ID, f.year)
		if accs[0].Returned != 0 {
			t.Fatalf("returns counted before posting: %+v", accs[0])
		}
		e.reviewPost(b, dist.CarryVoucher)
		e.reviewPost(b, dist.Voucher)
		accs, _ = e.svc.MemberAccounts(ctx, e.Admin, b.ID, f.year)
		for i, m := range accs {
			r := dist.Rows[i]
			if m.Returned != r.Return || m.Rest != r.Rest || m.Reserve != r.Reserve {
				t.Errorf("member %s account %+v, plan %+v", m.Name, m, r)
			}
		}
		// books: 盈余分配 is zero after distributing all, the trial balance and balance sheet balance
		tb, err := e.svc.TrialBalance(ctx, e.Admin, b.ID, "", fmt.Sprintf("%d-12", f.year))
		if err != nil || tb.DebitTotal != tb.CreditTotal {
			t.Fatalf("trial balance: %+v %v", tb, err)
		}
		bs, err := e.svc.BalanceSheet(ctx, e.Admin, b.ID, fmt.Sprintf("%d-12", f.year))
		if err != nil || !bs.Balanced {
			t.Fatalf("balance sheet: %+v %v", bs, err)
		}
		eq, err := e.svc.EquityStatement(ctx, e.Admin, b.ID, fmt.Sprintf("%d-12", f.year))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range eq.Columns {
			if c.Opening+c.Increase-c.Decrease != c.Closing {
				t.Errorf("equity column %s does not add up: %+v", c.Item, c)
			}
		}
		if eq.Columns[0].Closing != 6_000_000 || eq.Columns[3].Closing != 600_001 || eq.Columns[4].Closing != 0 || eq.Columns[4].Increase != undist {
			t.Errorf("equity statement: %+v", eq.Columns)
		}
		st, err := e.svc.MemberStatement(ctx, e.Admin, b.ID, f.members[0].ID, f.year)
		if err != nil || len(st.Entries) != 5 { // capital, trade, reserve, return, rest
			t.Fatalf("statement: %+v %v", st, err)
		}
	})
}

func TestShares(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		f := e.coop(t)
		b, m := f.b, f.members
		date := fmt.Sprintf("%d-03-01", f.year)
		// a non-cash contribution needs its valuation basis
		_, err := e.svc.AddShare(ctx, e.op, b.ID, books.ShareInput{MemberID: m[0].ID, Date: date, AssetKind: "house", Amount: 100, Shares: 1})
		if code(err) != apperr.Invalid || apperr.FieldsOf(err)["valuation_basis"] == "" {
			t.Fatalf("no valuation basis: %v", err)
		}
		// transfers: not more than held
		_, err = e.svc.TransferShares(ctx, e.op, b.ID, books.TransferInput{FromMember: m[0].ID, ToMember: m[2].ID, Date: date, Shares: 11, Amount: 100})
		if code(err) != apperr.Invalid {
			t.Fatalf("over-transfer: %v", err)
		}
		if _, err := e.svc.TransferShares(ctx, e.op, b.ID, books.TransferInput{FromMember: m[0].ID, ToMember: m[2].ID, Date: date, Shares: 4, Amount: 400_000}); err != nil {
			t.Fatal(err)
		}
		accs, _ := e.svc.MemberAccounts(ctx, e.Admin, b.ID, f.year)
		if accs[0].Shares != 6 || accs[2].Shares != 34 || accs[0].Capital != 600_000 || accs[2].Capital != 3_400_000 {
			t.Fatalf("after transfer: %+v", accs)
		}
		var sum int64
		for _, a := range accs {
			sum += a.Capital
		}
		tb, _ := e.svc.TrialBalance(ctx, e.Admin, b.ID, "", fmt.Sprintf("%d-12", f.year))
		for _, r := range tb.Rows {
			if r.Code == "3001" && r.ClosingCredit != sum {
				t.Errorf("股金 %d, member capital %d", r.ClosingCredit, sum)
			}
		}
		// voucher lines are tied to the member register by name or id; an unknown id is refused
		v, err := e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: date, Summary: "预付成员货款", Lines: []books.LineInput{
			{AccountCode: "1102", Debit: 100, MemberName: "王德全"}, {AccountCode: "1001", Credit: 100, MemberName: "外部客户"}}})
		if err != nil || v.Lines[0].MemberID != m[0].ID || v.Lines[1].MemberID != 0 || v.Lines[1].MemberName != "外部客户" {
			t.Fatalf("member on a line: %+v %v", v, err)
		}
		_, err = e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: date, Summary: "x", Lines: []books.LineInput{
			{AccountCode: "1102", Debit: 100, MemberID: 999}, {AccountCode: "1001", Credit: 100}}})
		if code(err) != apperr.Invalid || apperr.FieldsOf(err)["lines.0.member_id"] == "" {
			t.Fatalf("unknown member id: %v", err)
		}
		// viewers read, do not write
		if _, err := e.svc.AddMember(ctx, &auth.Principal{UserID: 22, Role: auth.Viewer, Scopes: []string{county}}, b.ID, books.MemberInput{Name: "某人"}); code(err) != apperr.Forbidden && code(err) != apperr.NotFound {
			t.Fatalf("viewer added a member: %v", err)
		}
	})
}

// TestReversedContribution: a reversed share voucher no longer counts in the member account.
func TestReversedContribution(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		f := e.coop(t)
		sh, err := e.svc.AddShare(ctx, e.op, f.b.ID, books.ShareInput{MemberID: f.members[2].ID, Date: fmt.Sprintf("%d-05-01", f.year), AssetKind: "cash", Amount: 500_000, Shares: 5})
		if err != nil {
			t.Fatal(err)
		}
		e.reviewPost(f.b, sh.VoucherID)
		accs, _ := e.svc.MemberAccounts(ctx, e.Admin, f.b.ID, f.year)
		if accs[2].Capital != 3_500_000 || accs[2].Shares != 35 {
			t.Fatalf("after contribution: %+v", accs[2])
		}
		rv, err := e.svc.Reverse(ctx, e.op, f.b.ID, sh.VoucherID, fmt.Sprintf("%d-05-02", f.year))
		if err != nil {
			t.Fatal(err)
		}
		e.reviewPost(f.b, rv.ID)
		accs, _ = e.svc.MemberAccounts(ctx, e.Admin, f.b.ID, f.year)
		if accs[2].Capital != 3_000_000 || accs[2].Shares != 30 {
			t.Fatalf("after reversal: %+v", accs[2])
		}
	})
}
