package credit_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/credit"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/webtest"
	"nongfu/internal/region"
	"nongfu/internal/registry"
	"nongfu/internal/testenv"
)

const county = testenv.County

// a fixed "today" so that dates in the tests do not drift
var today = time.Date(2025, 6, 15, 4, 0, 0, 0, time.UTC)

type env struct {
	*testenv.Env
	svc      *credit.Service
	village  string
	village2 string // another township
}

func setup(t *testing.T, d *db.DB) *env {
	t.Helper()
	base := testenv.New(t, d, credit.Migrations)
	svc := credit.NewService(d, base.Regions, base.Reg)
	svc.SetClock(func() time.Time { return today })
	return &env{Env: base, svc: svc, village: base.Village(0), village2: base.Village(1)}
}

func ptr[T any](v T) *T { return &v }

func (e *env) household(name, village string, industries ...string) *registry.Subject {
	e.T.Helper()
	in := e.Household(name, village)
	in.Industries, in.ScaleMu = &industries, ptr(8.5)
	return e.Create(in)
}

func (e *env) org(kind, name string) *registry.Subject {
	e.T.Helper()
	return e.Create(e.Org(kind, name, e.village))
}

func code(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.CodeOf(err)
}

var png = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)

func TestBankAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		bankA, bankB := e.org("bank", "巫山农商行"), e.org("bank", "农行巫山支行")
		farmer := e.household("王德全", e.village, "脆李")
		other := e.household("李秀英", e.village2, "柑橘")
		member := &auth.Principal{UserID: 10, Username: "farmer", Role: auth.Member, SubjectID: farmer.ID}
		userA := &auth.Principal{UserID: 20, Username: "bankA", Role: auth.Bank, SubjectID: bankA.ID}
		userB := &auth.Principal{UserID: 21, Username: "bankB", Role: auth.Bank, SubjectID: bankB.ID}
		op := &auth.Principal{UserID: 30, Username: "op", Role: auth.TownshipOperator, Scopes: []string{region.Township(e.village)}}
		viewer := &auth.Principal{UserID: 40, Username: "viewer", Role: auth.Viewer, Scopes: []string{county}}

		// without consent: 403 and no data
		if f, err := e.svc.File(ctx, userA, farmer.ID); code(err) != apperr.Forbidden || f != nil {
			t.Fatalf("no consent: %v %v", f, err)
		}
		// the member files a consent to bank A
		c, err := e.svc.CreateConsent(ctx, member, credit.ConsentInput{InstitutionID: bankA.ID, Purpose: "贷款审批", ValidTo: "2026-06-14"})
		if err != nil || c.State != "live" || c.OnBehalf {
			t.Fatalf("consent: %+v %v", c, err)
		}
		// with consent: the file, with the consent it relies on, and the read is logged
		f, err := e.svc.File(ctx, userA, farmer.ID)
		if err != nil || f.Consent == nil || f.Consent.ID != c.ID || len(f.Indicators) < 10 {
			t.Fatalf("with consent: %+v %v", f, err)
		}
		for _, ind := range f.Indicators {
			if ind.Source == "" || ind.AsOf == "" {
				t.Errorf("indicator without source or date: %+v", ind)
			}
			if ind.Key == "id_number" && !strings.Contains(ind.Value, "****") {
				t.Errorf("identity not masked: %s", ind.Value)
			}
		}
		// other bank: 403
		if _, err := e.svc.File(ctx, userB, farmer.ID); code(err) != apperr.Forbidden {
			t.Fatalf("other bank: %v", err)
		}
		// a bank asking for a subject that does not exist learns nothing either
		if _, err := e.svc.File(ctx, userA, 12345); code(err) != apperr.Forbidden {
			t.Fatalf("missing subject: %v", err)
		}
		// the subject and staff see who looked; the bank does not; a member of another subject does not
		reads, err := e.svc.Reads(ctx, member, farmer.ID)
		if err != nil || len(reads) != 1 || reads[0].ConsentID != c.ID || reads[0].InstitutionName != "巫山农商行" || reads[0].UserName != "bankA" {
			t.Fatalf("reads: %+v %v", reads, err)
		}
		if _, err := e.svc.Reads(ctx, op, farmer.ID); err != nil {
			t.Fatalf("staff reads: %v", err)
		}
		if _, err := e.svc.Reads(ctx, userA, farmer.ID); code(err) != apperr.Forbidden {
			t.Fatalf("bank reads list: %v", err)
		}
		// staff in scope read files; read-only roles too; staff out of scope do not
		if _, err := e.svc.File(ctx, op, farmer.ID); err != nil {
			t.Fatalf("staff in scope: %v", err)
		}
		if _, err := e.svc.File(ctx, viewer, farmer.ID); err != nil {
			t.Fatalf("viewer: %v", err)
		}
		if _, err := e.svc.File(ctx, op, other.ID); code(err) != apperr.Forbidden {
			t.Fatalf("staff out of scope: %v", err)
		}
		if _, err := e.svc.File(ctx, member, other.ID); code(err) != apperr.Forbidden {
			t.Fatalf("member reads another's file: %v", err)
		}
		// revoked: 403
		if _, err := e.svc.RevokeConsent(ctx, userA, c.ID, ""); code(err) != apperr.Forbidden {
			t.Fatalf("bank revokes: %v", err)
		}
		if _, err := e.svc.RevokeConsent(ctx, member, c.ID, "不再需要"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RevokeConsent(ctx, member, c.ID, ""); code(err) != apperr.Conflict {
			t.Fatalf("revoke twice: %v", err)
		}
		if _, err := e.svc.File(ctx, userA, farmer.ID); code(err) != apperr.Forbidden {
			t.Fatalf("revoked: %v", err)
		}
		// expired: 403 (a consent valid until yesterday, filed by staff as 代办 with the scan)
		_, err = e.svc.CreateConsent(ctx, op, credit.ConsentInput{SubjectID: farmer.ID, InstitutionID: bankB.ID, Purpose: "贷后管理", ValidFrom: "2025-01-01", ValidTo: "2025-06-15", Scan: png, ScanName: "授权书.png"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.File(ctx, userB, farmer.ID); err != nil {
			t.Fatalf("live on its last day: %v", err)
		}
		e.svc.SetClock(func() time.Time { return today.AddDate(0, 0, 1) })
		if _, err := e.svc.File(ctx, userB, farmer.ID); code(err) != apperr.Forbidden {
			t.Fatalf("expired: %v", err)
		}
		e.svc.SetClock(func() time.Time { return today })
		// lists: bank B sees only consents to itself; the member its own; the scan is kept
		l, _, err := e.svc.ListConsents(ctx, userB, credit.ConsentFilter{})
		if err != nil || len(l) != 1 || l[0].InstitutionID != bankB.ID || !l[0].OnBehalf || !l[0].HasScan {
			t.Fatalf("bank B consents: %+v %v", l, err)
		}
		if l, _, _ := e.svc.ListConsents(ctx, member, credit.ConsentFilter{}); len(l) != 2 {
			t.Fatalf("member consents: %d", len(l))
		}
		if sc, err := e.svc.ConsentScan(ctx, member, l[0].ID); err != nil || sc.ContentType != "image/png" {
			t.Fatalf("scan: %v", err)
		}
		// consent validation: 代办 without scan, wrong scan type, institution that is not one, other subject
		_, err = e.svc.CreateConsent(ctx, op, credit.ConsentInput{SubjectID: farmer.ID, InstitutionID: bankA.ID, Purpose: "贷款审批", ValidTo: "2026-01-01"})
		if f := apperr.FieldsOf(err); f["scan"] == "" {
			t.Errorf("代办 without scan: %v", err)
		}
		_, err = e.svc.CreateConsent(ctx, op, credit.ConsentInput{SubjectID: farmer.ID, InstitutionID: farmer.ID, Purpose: "x", ValidTo: "2020-01-01", Scan: []byte("hello")})
		if f := apperr.FieldsOf(err); f["scan"] == "" || f["institution_id"] == "" || f["purpose"] == "" || f["valid_to"] == "" {
			t.Errorf("invalid consent: %v", err)
		}
		_, err = e.svc.CreateConsent(ctx, op, credit.ConsentInput{SubjectID: farmer.ID, InstitutionID: bankA.ID, Purpose: "贷款审批", ValidTo: "2026-01-01", Scan: bytes.Repeat(png, 80000)})
		if f := apperr.FieldsOf(err); !strings.Contains(f["scan"], "5 MB") {
			t.Errorf("oversize scan: %v", err)
		}
		if _, err := e.svc.CreateConsent(ctx, member, credit.ConsentInput{SubjectID: other.ID, InstitutionID: bankA.ID, Purpose: "贷款审批", ValidTo: "2026-01-01"}); code(err) != apperr.Forbidden {
			t.Errorf("member files for another: %v", err)
		}
		if _, err := e.svc.CreateConsent(ctx, viewer, credit.ConsentInput{SubjectID: farmer.ID, InstitutionID: bankA.ID, Purpose: "贷款审批", ValidTo: "2026-01-01"}); code(err) != apperr.Forbidden {
			t.Errorf("viewer files: %v", err)
		}
		if _, err := audit.Verify(ctx, d); err != nil {
			t.Fatal(err)
		}
		recs, _, _ := audit.List(ctx, d, audit.Filter{Entity: "consent"})
		if len(recs) != 3 {
			t.Errorf("consent audit records: %d", len(recs))
		}
	})
}

func TestLoanLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		bankA, bankB := e.org("bank", "巫山农商行"), e.org("bank", "农行巫山支行")
		farmer := e.household("王德全", e.village, "脆李")
		citrus := e.household("张春燕", e.village, "柑橘")
		member := &auth.Principal{UserID: 10, Username: "farmer", Role: auth.Member, SubjectID: farmer.ID}
		userA := &auth.Principal{UserID: 20, Username: "bankA", Role: auth.Bank, SubjectID: bankA.ID}
		userB := &auth.Principal{UserID: 21, Username: "bankB", Role: auth.Bank, SubjectID: bankB.ID}
		op := &auth.Principal{UserID: 30, Username: "op", Role: auth.TownshipOperator, Scopes: []string{region.Township(e.village)}}

		if _, err := e.svc.CreateProduct(ctx, member, credit.ProductInput{Name: "x"}); code(err) != apperr.Forbidden {
			t.Fatalf("member creates product: %v", err)
		}
		_, err := e.svc.CreateProduct(ctx, userA, credit.ProductInput{Name: "", LoanType: "抵押", AmountMin: 5, AmountMax: 1, Method: "?"})
		if f := apperr.FieldsOf(err); f["name"] == "" || f["collateral"] == "" || f["amount_max"] == "" || f["method"] == "" || f["rate_bp"] == "" {
			t.Fatalf("invalid product: %v", err)
		}
		prod, err := e.svc.CreateProduct(ctx, userA, credit.ProductInput{Name: "脆李贷", Industry: "脆李", LoanType: "信用", AmountMin: 1_000_000, AmountMax: 30_000_000,
			TermMin: 6, TermMax: 36, RateBP: 435, RateMaxBP: 600, Method: "等额本息"})
		if err != nil || prod.InstitutionID != bankA.ID || prod.Method != credit.Annuity {
			t.Fatalf("product: %+v %v", prod, err)
		}
		if _, err := e.svc.CreateProduct(ctx, userA, credit.ProductInput{Name: "脆李贷", LoanType: "信用", AmountMin: 1, AmountMax: 2, TermMin: 1, TermMax: 2, RateBP: 400, Method: "annuity"}); code(err) != apperr.Conflict {
			t.Fatalf("duplicate product: %v", err)
		}
		if l, _ := e.svc.ListProducts(ctx, userB, false); len(l) != 0 {
			t.Fatalf("bank B sees bank A's products: %d", len(l))
		}
		el, err := e.svc.Eligible(ctx, e.Admin, citrus.ID)
		if err != nil || len(el) != 1 || el[0].Eligible || !strings.Contains(el[0].Reasons[0], "产业不符") {
			t.Fatalf("eligibility: %+v %v", el, err)
		}
		if el, _ := e.svc.Eligible(ctx, member, 0); len(el) != 1 || !el[0].Eligible {
			t.Fatalf("member eligibility: %+v", el)
		}

		// applying needs a live consent
		in := credit.ApplyInput{ProductID: prod.ID, Amount: 10_000_000, Months: 12, Purpose: "购买农资"}
		_, err = e.svc.Apply(ctx, member, in)
		if code(err) != apperr.Invalid || !strings.Contains(apperr.MessageOf(err), "授权") {
			t.Fatalf("apply without consent: %v", err)
		}
		if _, err := e.svc.CreateConsent(ctx, member, credit.ConsentInput{InstitutionID: bankA.ID, Purpose: "贷款审批", ValidTo: "2026-06-14"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Apply(ctx, member, credit.ApplyInput{ProductID: prod.ID, Amount: 100, Months: 60}); apperr.FieldsOf(err)["amount"] == "" || apperr.FieldsOf(err)["months"] == "" {
			t.Fatalf("out-of-range application: %v", err)
		}
		loan, err := e.svc.Apply(ctx, member, in)
		if err != nil || loan.Status != credit.LoanApplied || len(loan.Events) != 1 {
			t.Fatalf("apply: %+v %v", loan, err)
		}
		// staff files on behalf of a subject in scope (with its consent)
		if _, err := e.svc.Apply(ctx, op, credit.ApplyInput{ProductID: prod.ID, SubjectID: citrus.ID, Amount: 10_000_000, Months: 12}); code(err) != apperr.Invalid {
			t.Fatalf("ineligible on behalf: %v", err)
		}

		// who sees and who acts
		if _, err := e.svc.GetLoan(ctx, userB, loan.ID); code(err) != apperr.NotFound {
			t.Fatalf("other bank sees the loan: %v", err)
		}
		if l, _, _ := e.svc.ListLoans(ctx, userB, credit.LoanFilter{}); len(l) != 0 {
			t.Fatalf("other bank lists the loan")
		}
		if _, err := e.svc.Act(ctx, member, loan.ID, "approve", credit.ActionInput{}); code(err) != apperr.Forbidden {
			t.Fatalf("member approves: %v", err)
		}
		if _, err := e.svc.Act(ctx, userA, loan.ID, "sign", credit.ActionInput{}); code(err) != apperr.Conflict {
			t.Fatalf("sign before approval: %v", err)
		}
		if _, err := e.svc.Act(ctx, userA, loan.ID, "approve", credit.ActionInput{Amount: 40_000_000, RateBP: 300, Months: 48}); code(err) != apperr.Invalid ||
			len(apperr.FieldsOf(err)) != 3 {
			t.Fatalf("out-of-range approval: %v", err)
		}
		loan, err = e.svc.Act(ctx, userA, loan.ID, "approve", credit.ActionInput{Amount: 12_000_000, RateBP: 600, Months: 12})
		if err != nil || loan.Status != credit.LoanApproved || loan.Amount != 12_000_000 {
			t.Fatalf("approve: %+v %v", loan, err)
		}
		if _, err := e.svc.Act(ctx, userA, loan.ID, "approve", credit.ActionInput{}); code(err) != apperr.Conflict {
			t.Fatalf("approve twice: %v", err)
		}
		if _, err := e.svc.Act(ctx, userA, loan.ID, "repay", credit.ActionInput{Amount: 100}); code(err) != apperr.Conflict {
			t.Fatalf("repay before disbursement: %v", err)
		}
		if _, err := e.svc.Act(ctx, userA, loan.ID, "sign", credit.ActionInput{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Act(ctx, userA, loan.ID, "disburse", credit.ActionInput{Date: "2025-06-16"}); code(err) != apperr.Invalid {
			t.Fatalf("disburse in the future: %v", err)
		}
		loan, err = e.svc.Act(ctx, userA, loan.ID, "disburse", credit.ActionInput{Date: "2025-01-10"})
		if err != nil || loan.Status != credit.LoanDisbursed || len(loan.Schedule) != 12 || loan.MaturityOn != "2026-01-10" {
			t.Fatalf("disburse: %+v %v", loan, err)
		}
		var sum int64
		for _, i := range loan.Schedule {
			sum += i.Principal
		}
		if sum != 12_000_000 {
			t.Fatalf("schedule principal %d", sum)
		}
		// nothing paid: as of 2025-06-15 the first installment (02-10) is 125 days overdue
		if o := loan.Overdue; o == nil || o.Days != 125 || o.Bucket != credit.BucketM3Plus {
			t.Fatalf("overdue: %+v", loan.Overdue)
		}
		if l, n, _ := e.svc.ListLoans(ctx, userA, credit.LoanFilter{Bucket: credit.BucketM3Plus}); n != 1 || l[0].ID != loan.ID {
			t.Fatalf("bucket filter: %d", n)
		}
		if _, n, _ := e.svc.ListLoans(ctx, userA, credit.LoanFilter{Bucket: credit.BucketM1, AsOf: time.Date(2025, 2, 20, 0, 0, 0, 0, time.UTC)}); n != 1 {
			t.Fatalf("bucket as of February: %d", n)
		}
		// repayments in order; an earlier date than the last one is refused
		first := loan.Schedule[0]
		loan, err = e.svc.Act(ctx, userA, loan.ID, "repay", credit.ActionInput{Amount: first.Interest, Date: "2025-03-01"})
		if err != nil || loan.Moves[1].ToOverdueInterest != first.Interest || loan.Schedule[0].PaidInterest != first.Interest {
			t.Fatalf("repay interest: %+v %v", loan.Moves, err)
		}
		if _, err := e.svc.Act(ctx, userA, loan.ID, "repay", credit.ActionInput{Amount: 100, Date: "2025-02-01"}); code(err) != apperr.Invalid {
			t.Fatalf("repayment before the last one: %v", err)
		}
		payoff := credit.PayoffAmount(loan.Schedule, credit.Terms{Method: credit.Annuity, RateBP: 600, Start: time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)}, time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC))
		if _, err := e.svc.Act(ctx, userA, loan.ID, "repay", credit.ActionInput{Amount: payoff + 1}); code(err) != apperr.Invalid {
			t.Fatalf("overpayment: %v", err)
		}
		loan, err = e.svc.Act(ctx, userA, loan.ID, "repay", credit.ActionInput{Amount: payoff})
		if err != nil || loan.Status != credit.LoanSettled || loan.ClosedOn != "2025-06-15" || loan.Overdue.OutstandingBalance != 0 || loan.Overdue.MaxDays != 125 {
			t.Fatalf("settle: %+v %v", loan, err)
		}
		if _, err := e.svc.Act(ctx, userA, loan.ID, "write-off", credit.ActionInput{Reason: "x"}); code(err) != apperr.Conflict {
			t.Fatalf("write off a settled loan: %v", err)
		}
		// the history flows into the file
		f, err := e.svc.File(ctx, member, farmer.ID)
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string]string{}
		for _, i := range f.Indicators {
			vals[i.Key] = i.Value
		}
		if !strings.Contains(vals["loans"], "结清 1") || vals["max_overdue_days"] != "125 天" || vals["household_members"] == "" {
			t.Fatalf("file: %v", vals)
		}

		// reject needs a reason; the member sees its loans
		loan2, err := e.svc.Apply(ctx, member, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Act(ctx, userA, loan2.ID, "reject", credit.ActionInput{}); code(err) != apperr.Invalid {
			t.Fatalf("reject without reason: %v", err)
		}
		if loan2, err = e.svc.Act(ctx, userA, loan2.ID, "reject", credit.ActionInput{Reason: "资料不全"}); err != nil || loan2.Status != credit.LoanRejected {
			t.Fatalf("reject: %v", err)
		}
		if l, n, _ := e.svc.ListLoans(ctx, member, credit.LoanFilter{}); n != 2 || len(l) != 2 {
			t.Fatalf("member loans: %d", n)
		}
		if _, n, _ := e.svc.ListLoans(ctx, op, credit.LoanFilter{Status: credit.LoanRejected}); n != 1 {
			t.Fatalf("staff loans: %d", n)
		}

		// revolving: draw and repay
		rev, err := e.svc.CreateProduct(ctx, userA, credit.ProductInput{Name: "农户信用贷", LoanType: "信用", AmountMin: 100_000, AmountMax: 10_000_000,
			TermMin: 12, TermMax: 12, RateBP: 360, Method: "revolving"})
		if err != nil {
			t.Fatal(err)
		}
		l3, err := e.svc.Apply(ctx, member, credit.ApplyInput{ProductID: rev.ID, Amount: 5_000_000, Months: 12})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{"approve", "sign"} {
			if _, err := e.svc.Act(ctx, userA, l3.ID, a, credit.ActionInput{}); err != nil {
				t.Fatal(err)
			}
		}
		l3, err = e.svc.Act(ctx, userA, l3.ID, "disburse", credit.ActionInput{Date: "2025-06-01", Amount: 1_000_000})
		if err != nil || l3.Schedule[11].Principal != 1_000_000 {
			t.Fatalf("revolving disburse: %v", err)
		}
		if _, err := e.svc.Act(ctx, userA, l3.ID, "draw", credit.ActionInput{Date: "2025-06-05", Amount: 4_500_000}); code(err) != apperr.Invalid {
			t.Fatalf("draw above the line: %v", err)
		}
		l3, err = e.svc.Act(ctx, userA, l3.ID, "draw", credit.ActionInput{Date: "2025-06-05", Amount: 1_000_000})
		if err != nil || l3.Schedule[11].Principal != 2_000_000 {
			t.Fatalf("draw: %v", err)
		}
		l3, err = e.svc.Act(ctx, userA, l3.ID, "repay", credit.ActionInput{Date: "2025-06-10", Amount: 1_000_000})
		if err != nil || l3.Overdue.OutstandingBalance != 1_000_000+l3.Moves[2].ToInterest {
			t.Fatalf("revolving repay: %+v %v", l3.Overdue, err)
		}
		if _, err := audit.Verify(ctx, d); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSeedDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		banks := []int64{e.org("bank", "巫山农商行").ID, e.org("bank", "农行巫山支行").ID}
		var subjects []int64
		inds := [][]string{{"脆李"}, {"柑橘"}, {"中药材"}, {"烤烟"}}
		for i := 0; i < 240; i++ {
			subjects = append(subjects, e.household(fmt.Sprintf("户%03d", i), []string{e.village, e.village2}[i%2], inds[i%4]...).ID)
		}
		start := time.Now()
		err := d.InTx(ctx, func(tx *db.Tx) error { return e.svc.SeedDemo(ctx, tx, banks, subjects, today) })
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("demo took %v", el)
		}
		p := &auth.Principal{Role: auth.CountyAdmin, Scopes: []string{county}}
		_, nc, err := e.svc.ListConsents(ctx, p, credit.ConsentFilter{})
		if err != nil || nc < 200 {
			t.Fatalf("consents: %d %v", nc, err)
		}
		for _, st := range []string{"live", "expired", "revoked"} {
			if _, n, _ := e.svc.ListConsents(ctx, p, credit.ConsentFilter{State: st}); n == 0 {
				t.Errorf("no %s consents", st)
			}
		}
		for _, b := range credit.Buckets {
			if _, n, _ := e.svc.ListLoans(ctx, p, credit.LoanFilter{Bucket: b}); n == 0 {
				t.Errorf("no loans in bucket %s", b)
			}
		}
		for _, st := range []string{credit.LoanSettled, credit.LoanApplied, credit.LoanDisbursed} {
			if _, n, _ := e.svc.ListLoans(ctx, p, credit.LoanFilter{Status: st}); n == 0 {
				t.Errorf("no %s loans", st)
			}
		}
		if _, err := audit.Verify(ctx, d); err != nil {
			t.Fatal(err)
		}
	})
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP contract
// ---------------------------------------------------------------------------------------------------------------

func TestHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		site := webtest.Start(t, d, e.svc.Routes)
		bankA, bankB := e.org("bank", "巫山农商行"), e.org("bank", "农行巫山支行")
		farmer := e.household("王德全", e.village, "脆李")
		member := site.User(auth.NewUser{Username: "farmer", Role: auth.Member, SubjectID: farmer.ID})
		a := site.User(auth.NewUser{Username: "banka", Role: auth.Bank, SubjectID: bankA.ID})
		b := site.User(auth.NewUser{Username: "bankb", Role: auth.Bank, SubjectID: bankB.ID})
		op := site.User(auth.NewUser{Username: "op", Role: auth.TownshipOperator, Scopes: []string{region.Township(e.village)}})
		viewer := site.User(auth.NewUser{Username: "viewer", Role: auth.Viewer, Scopes: []string{county}})
		file := fmt.Sprintf("/api/v1/credit-files/%d", farmer.ID)

		if st, _ := site.Anonymous().JSON("GET", "/api/v1/consents", nil); st != 401 {
			t.Errorf("anonymous: %d", st)
		}
		st, body := a.JSON("GET", file, nil)
		if st != 403 || body["error"].(map[string]any)["message"] == "" || body["indicators"] != nil {
			t.Fatalf("bank without consent: %d %v", st, body)
		}
		if st, _ := a.Page(fmt.Sprintf("/credit/files/%d", farmer.ID)); st != 403 {
			t.Errorf("bank page without consent: %d", st)
		}
		// 代办 consent with the scan as multipart
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		for k, v := range map[string]string{"subject_id": fmt.Sprint(farmer.ID), "institution_id": fmt.Sprint(bankA.ID), "purpose": "贷款审批", "valid_to": "2026-06-14"} {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("scan", "授权书.png")
		fw.Write(png)
		mw.Close()
		st, raw := op.Raw("POST", "/api/v1/consents", mw.FormDataContentType(), &mp)
		var c map[string]any
		json.Unmarshal(raw, &c)
		if st != 201 || c["on_behalf"] != true || c["has_scan"] != true || c["state"] != "live" {
			t.Fatalf("consent multipart: %d %s", st, raw)
		}
		cid := int64(c["id"].(float64))
		// JSON with base64 without a scan → 422 with the field
		if st, body := op.JSON("POST", "/api/v1/consents", map[string]any{"subject_id": farmer.ID, "institution_id": bankB.ID, "purpose": "贷款审批", "valid_to": "2026-01-01",
			"scan_base64": base64.StdEncoding.EncodeToString([]byte("not an image"))}); st != 422 || body["error"].(map[string]any)["fields"].(map[string]any)["scan"] == nil {
			t.Errorf("bad scan: %d %v", st, body)
		}
		if st, _ := viewer.JSON("POST", "/api/v1/consents", map[string]any{"subject_id": farmer.ID}); st != 403 {
			t.Errorf("viewer files: %d", st)
		}
		if st, body = a.JSON("GET", file, nil); st != 200 || body["consent"].(map[string]any)["id"].(float64) != float64(cid) {
			t.Fatalf("bank with consent: %d %v", st, body)
		}
		if st, page := a.Page(fmt.Sprintf("/credit/files/%d", farmer.ID)); st != 200 || !strings.Contains(page, "依据授权") {
			t.Errorf("bank file page: %d", st)
		}
		if st, _ = b.JSON("GET", file, nil); st != 403 {
			t.Errorf("other bank: %d", st)
		}
		st, body = member.JSON("GET", file+"/reads", nil)
		if st != 200 || body["total"].(float64) != 2 {
			t.Fatalf("reads: %d %v", st, body)
		}
		if st, page := member.Page(fmt.Sprintf("/credit/files/%d", farmer.ID)); st != 200 || !strings.Contains(page, "谁查看过") || !strings.Contains(page, "巫山农商行") {
			t.Errorf("member file page: %d", st)
		}
		if st, _ = a.JSON("GET", file+"/reads", nil); st != 403 {
			t.Errorf("bank reads list: %d", st)
		}

		// products, eligibility, loans
		st, body = a.JSON("POST", "/api/v1/loan-products", map[string]any{"name": "脆李贷", "industry": "脆李", "loan_type": "信用", "amount_min": 1_000_000, "amount_max": 30_000_000,
			"term_min": 12, "term_max": 36, "rate_bp": 435, "rate_max_bp": 600, "method": "annuity"})
		if st != 201 {
			t.Fatalf("product: %d %v", st, body)
		}
		pid := body["id"].(float64)
		if st, _ = a.JSON("POST", "/api/v1/loan-products", map[string]any{"name": "x", "bogus": 1}); st != 422 {
			t.Errorf("unknown field: %d", st)
		}
		if st, body = member.JSON("GET", "/api/v1/loan-products/eligible", nil); st != 200 || body["items"].([]any)[0].(map[string]any)["eligible"] != true {
			t.Errorf("eligible: %d %v", st, body)
		}
		if st, body = b.JSON("GET", "/api/v1/loan-products", nil); st != 200 || body["total"].(float64) != 0 {
			t.Errorf("bank B products: %d %v", st, body)
		}
		st, body = member.JSON("POST", "/api/v1/loans", map[string]any{"product_id": pid, "amount": 5_000_000, "months": 12, "purpose": "脆李园管护"})
		if st != 201 || body["status"] != "applied" {
			t.Fatalf("apply: %d %v", st, body)
		}
		lid := int64(body["id"].(float64))
		loan := fmt.Sprintf("/api/v1/loans/%d", lid)
		if st, _ = b.JSON("GET", loan, nil); st != 404 {
			t.Errorf("other bank opens loan: %d", st)
		}
		if st, _ = a.JSON("POST", loan+"/disburse", nil); st != 409 {
			t.Errorf("disburse before approval: %d", st)
		}
		if st, body = a.JSON("POST", loan+"/approve", map[string]any{"amount": 50_000_000}); st != 422 || body["error"].(map[string]any)["fields"].(map[string]any)["amount"] == nil {
			t.Errorf("approve out of range: %d %v", st, body)
		}
		if st, _ = member.JSON("POST", loan+"/approve", nil); st != 403 {
			t.Errorf("member approves: %d", st)
		}
		for _, step := range []struct {
			action string
			body   any
		}{{"approve", map[string]any{"rate_bp": 500}}, {"sign", nil}, {"disburse", map[string]any{"date": "2025-03-05"}}, {"repay", map[string]any{"amount": 100_000, "date": "2025-04-05"}}} {
			if st, body = a.JSON("POST", loan+"/"+step.action, step.body); st != 200 {
				t.Fatalf("%s: %d %v", step.action, st, body)
			}
		}
		if len(body["schedule"].([]any)) != 12 || len(body["events"].([]any)) != 4 || body["overdue"] == nil {
			t.Fatalf("loan detail: %v", body)
		}
		if st, page := a.Page(fmt.Sprintf("/credit/loans/%d", lid)); st != 200 || !strings.Contains(page, "还款计划") {
			t.Errorf("loan page: %d", st)
		}
		if st, body = op.JSON("GET", "/api/v1/loans?bucket=m3", nil); st != 200 || body["total"].(float64) != 1 {
			t.Errorf("staff bucket filter: %d %v", st, body)
		}
		if st, _ = op.JSON("GET", "/api/v1/loans?bucket=zz", nil); st != 422 {
			t.Errorf("bad bucket: %d", st)
		}
		if st, body = viewer.JSON("GET", "/api/v1/loans", nil); st != 200 || body["total"].(float64) != 1 {
			t.Errorf("viewer loans: %d %v", st, body)
		}
		if st, _ = viewer.JSON("POST", loan+"/repay", map[string]any{"amount": 1}); st != 403 {
			t.Errorf("viewer repays: %d", st)
		}
		// revoke through the API; the bank is locked out again
		if st, _ = member.JSON("POST", fmt.Sprintf("/api/v1/consents/%d/revoke", cid), map[string]any{"reason": "贷款已办完"}); st != 200 {
			t.Errorf("revoke: %d", st)
		}
		if st, _ = a.JSON("GET", file, nil); st != 403 {
			t.Errorf("after revoke: %d", st)
		}
		// schedule preview
		st, raw = member.Raw("GET", "/api/v1/schedule-preview?principal=10000000&rate_bp=435&months=12&method=annuity&start=2024-01-31", "", nil)
		var sched []map[string]any
		json.Unmarshal(raw, &sched)
		if st != 200 || len(sched) != 12 || sched[0]["total"].(float64) != 853099 {
			t.Errorf("preview: %d %s", st, raw)
		}
		if st, _ = member.JSON("GET", "/api/v1/schedule-preview?principal=-1&method=x", nil); st != 422 {
			t.Errorf("bad preview: %d", st)
		}
		// every page renders
		for _, path := range []string{"/credit/consents", "/credit/consents/new", "/credit/products", "/credit/loans", "/credit/loans/apply", "/credit/loans?bucket=m2"} {
			if st, page := op.Page(path); st != 200 {
				t.Errorf("%s: %d %s", path, st, page)
			}
		}
		for _, path := range []string{"/credit/consents", "/credit/products", "/credit/products/new", "/credit/loans"} {
			if st, page := a.Page(path); st != 200 {
				t.Errorf("bank %s: %d %s", path, st, page)
			}
		}
		for _, path := range []string{"/credit/consents/new", "/credit/products", "/credit/loans/apply", "/credit/files/me", "/"} {
			if st, page := member.Page(path); st != 200 {
				t.Errorf("member %s: %d %s", path, st, page)
			}
		}
		// OpenAPI lists every route of the room
		st, doc := member.JSON("GET", "/api/v1/openapi.json", nil)
		paths := doc["paths"].(map[string]any)
		for _, p := range []string{"/api/v1/consents", "/api/v1/consents/{id}/revoke", "/api/v1/credit-files/{subject_id}", "/api/v1/credit-files/{subject_id}/reads",
			"/api/v1/loan-products", "/api/v1/loan-products/eligible", "/api/v1/loans", "/api/v1/loans/{id}", "/api/v1/loans/{id}/write-off", "/api/v1/schedule-preview"} {
			if paths[p] == nil {
				t.Errorf("openapi lacks %s", p)
			}
		}
	})
}
