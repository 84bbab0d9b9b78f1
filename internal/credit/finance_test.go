package credit_test

import (
	"context"
	"fmt"
	"net/url"
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
)

type contracts map[int64]credit.PledgeableContract

func (c contracts) PledgeableContract(_ context.Context, id int64) (credit.PledgeableContract, error) {
	x, ok := c[id]
	if !ok {
		return x, fmt.Errorf("no contract %d", id)
	}
	return x, nil
}

// disbursedLoan runs a loan from application to disbursement on 2025-01-10 (12 months, 6%).
func disbursedLoan(t *testing.T, e *env, bank *auth.Principal, prod int64, sub *registry.Subject, amount int64) *credit.Loan {
	t.Helper()
	ctx := context.Background()
	owner := &auth.Principal{UserID: 99, Username: "owner", Role: auth.Member, SubjectID: sub.ID}
	if _, err := e.svc.CreateConsent(ctx, owner, credit.ConsentInput{InstitutionID: bank.SubjectID, Purpose: "贷款审批", ValidTo: "2026-06-14"}); err != nil {
		t.Fatal(err)
	}
	l, err := e.svc.Apply(ctx, owner, credit.ApplyInput{ProductID: prod, Amount: amount, Months: 12})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		act string
		in  credit.ActionInput
	}{{"approve", credit.ActionInput{}}, {"sign", credit.ActionInput{}}, {"disburse", credit.ActionInput{Date: "2025-01-10"}}} {
		if l, err = e.svc.Act(ctx, bank, l.ID, a.act, a.in); err != nil {
			t.Fatalf("%s: %v", a.act, err)
		}
	}
	return l
}

func settle(t *testing.T, e *env, bank *auth.Principal, l *credit.Loan) *credit.Loan {
	t.Helper()
	pay := credit.PayoffAmount(l.Schedule, credit.Terms{Method: l.Method, RateBP: l.RateBP, Start: time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)}, today)
	l, err := e.svc.Act(context.Background(), bank, l.ID, "repay", credit.ActionInput{Amount: pay})
	if err != nil || l.Status != credit.LoanSettled {
		t.Fatalf("settle: %+v %v", l, err)
	}
	return l
}

func TestGuaranteesAndPledges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		bankSub := e.org("bank", "巫山农商行")
		guarantor := e.org("guarantor", "重庆市农业融资担保公司")
		bank := &auth.Principal{UserID: 20, Username: "bank", Role: auth.Bank, SubjectID: bankSub.ID}
		other := &auth.Principal{UserID: 21, Username: "other", Role: auth.Bank, SubjectID: e.org("bank", "农行").ID}
		prod, err := e.svc.CreateProduct(ctx, bank, credit.ProductInput{Name: "订单贷", LoanType: "质押", Collateral: "订单", AmountMin: 100_000, AmountMax: 50_000_000,
			TermMin: 6, TermMax: 36, RateBP: 500, Method: "annuity"})
		if err != nil {
			t.Fatal(err)
		}
		farmer := e.household("王德全", e.village, "脆李")
		a := disbursedLoan(t, e, bank, prod.ID, farmer, 5_000_000)
		b := disbursedLoan(t, e, bank, prod.ID, farmer, 3_000_000)

		// guarantee: only a guarantor, at most the loan, one live per loan, not by another bank
		if _, err := e.svc.AddGuarantee(ctx, bank, credit.GuaranteeInput{LoanID: a.ID, GuarantorID: bankSub.ID, AmountFen: 1}); apperr.FieldsOf(err)["guarantor_id"] == "" {
			t.Fatalf("bank as guarantor: %v", err)
		}
		if _, err := e.svc.AddGuarantee(ctx, bank, credit.GuaranteeInput{LoanID: a.ID, GuarantorID: guarantor.ID, AmountFen: 6_000_000}); apperr.FieldsOf(err)["amount_fen"] == "" {
			t.Fatalf("guarantee above the loan: %v", err)
		}
		if _, err := e.svc.AddGuarantee(ctx, other, credit.GuaranteeInput{LoanID: a.ID, GuarantorID: guarantor.ID, AmountFen: 4_000_000}); code(err) != apperr.Forbidden {
			t.Fatalf("other bank: %v", err)
		}
		g, err := e.svc.AddGuarantee(ctx, bank, credit.GuaranteeInput{LoanID: a.ID, GuarantorID: guarantor.ID, AmountFen: 4_000_000, FeeBP: 80})
		if err != nil || g.Status != credit.GuaranteeActive || g.GuarantorName != "重庆市农业融资担保公司" || g.StartOn != "2025-01-10" {
			t.Fatalf("guarantee: %+v %v", g, err)
		}
		if _, err := e.svc.AddGuarantee(ctx, bank, credit.GuaranteeInput{LoanID: a.ID, GuarantorID: guarantor.ID, AmountFen: 1}); code(err) != apperr.Conflict {
			t.Fatalf("second guarantee: %v", err)
		}

		// pledges: only with a contract source, signed, the borrower's, one loan at a time
		if _, err := e.svc.PledgeContract(ctx, bank, a.ID, 1); code(err) != apperr.Conflict {
			t.Fatalf("no source: %v", err)
		}
		e.svc.Contracts = contracts{
			1: {ID: 1, No: "HT-2025-001", SellerID: farmer.ID, BuyerName: "重庆果品公司", Product: "脆李", AmountFen: 8_000_000, ReceivableFen: 6_000_000, Signed: true},
			2: {ID: 2, No: "HT-2025-002", SellerID: farmer.ID, ReceivableFen: 1_000_000},
			3: {ID: 3, No: "HT-2025-003", SellerID: bankSub.ID, ReceivableFen: 1_000_000, Signed: true},
		}
		if _, err := e.svc.PledgeContract(ctx, bank, a.ID, 2); apperr.FieldsOf(err)["contract_id"] == "" {
			t.Fatalf("unsigned: %v", err)
		}
		if _, err := e.svc.PledgeContract(ctx, bank, a.ID, 3); apperr.FieldsOf(err)["contract_id"] == "" {
			t.Fatalf("someone else's contract: %v", err)
		}
		pl, err := e.svc.PledgeContract(ctx, bank, a.ID, 1)
		if err != nil || pl.Status != credit.PledgeLive || pl.ReceivableFen != 6_000_000 {
			t.Fatalf("pledge: %+v %v", pl, err)
		}
		if _, err := e.svc.PledgeContract(ctx, bank, b.ID, 1); code(err) != apperr.Conflict {
			t.Fatalf("double pledge: %v", err)
		}
		// repaying loan a in full releases the pledge and the guarantee; the contract may then secure loan b
		settle(t, e, bank, a)
		ps, _ := e.svc.Pledges(ctx, bank, a.ID)
		gs, _ := e.svc.Guarantees(ctx, bank, a.ID)
		if len(ps) != 1 || ps[0].Status != credit.PledgeReleased || ps[0].ReleasedAt == nil || gs[0].Status != credit.GuaranteeReleased {
			t.Fatalf("after settlement: %+v %+v", ps, gs)
		}
		if _, err := e.svc.PledgeContract(ctx, bank, b.ID, 1); err != nil {
			t.Fatalf("pledge after release: %v", err)
		}
		if _, err := e.svc.PledgeContract(ctx, bank, a.ID, 1); code(err) == "" {
			t.Fatal("pledge to a settled loan")
		}
		// compensation of loan b's guarantee
		g2, err := e.svc.AddGuarantee(ctx, bank, credit.GuaranteeInput{LoanID: b.ID, GuarantorID: guarantor.ID, AmountFen: 2_000_000})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Compensate(ctx, bank, g2.ID, 2_000_001); code(err) != apperr.Invalid {
			t.Fatalf("over-compensation: %v", err)
		}
		if err := e.svc.Compensate(ctx, bank, g2.ID, 1_500_000); err != nil {
			t.Fatal(err)
		}
		if gs, _ := e.svc.Guarantees(ctx, bank, b.ID); gs[0].Status != credit.GuaranteeCompensated || gs[0].CompensatedFen != 1_500_000 {
			t.Fatalf("compensated: %+v", gs)
		}
		// the loan screen offers both to the lending bank, and the guarantee form works
		site := webtest.Start(t, d, e.svc.Routes)
		bu := site.User(auth.NewUser{Username: "bankweb", Role: auth.Bank, SubjectID: bankSub.ID})
		ou := site.User(auth.NewUser{Username: "otherweb", Role: auth.Bank, SubjectID: other.SubjectID})
		if st, page := bu.Page(fmt.Sprintf("/credit/loans/%d", b.ID)); st != 200 || !strings.Contains(page, "登记政府性融资担保") || !strings.Contains(page, "办理质押") || !strings.Contains(page, "HT-2025-001") {
			t.Fatalf("loan page: %d", st)
		}
		if st, _ := ou.Form("POST", fmt.Sprintf("/credit/loans/%d/guarantee", b.ID), url.Values{"guarantor_id": {fmt.Sprint(guarantor.ID)}, "amount": {"1000"}, "fee": {"0.8"}}); st != 403 {
			t.Fatalf("other bank posts a guarantee: %d", st)
		}
		if st, _ := bu.Form("POST", fmt.Sprintf("/credit/loans/%d/guarantee", b.ID), url.Values{"guarantor_id": {fmt.Sprint(guarantor.ID)}, "amount": {"1000"}, "fee": {"0.8"}}); st != 303 && st != 200 {
			t.Fatalf("guarantee form: %d", st)
		}
		if gs, _ := e.svc.Guarantees(ctx, bank, b.ID); len(gs) != 2 || gs[0].Status != credit.GuaranteeActive || gs[0].AmountFen != 100_000 || gs[0].FeeBP != 80 {
			t.Fatalf("guarantee from the form: %+v", gs)
		}
	})
}

func TestInsurance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		insurer := e.org("insurer", "人保财险巫山支公司")
		ins := &auth.Principal{UserID: 30, Username: "picc", Role: auth.Bank, SubjectID: insurer.ID}
		farmer := e.household("王德全", e.village, "脆李")
		if _, err := e.svc.CreateInsuranceProduct(ctx, ins, credit.InsuranceProductInput{Name: "x", Kind: "bogus", PremiumBP: 0}); apperr.FieldsOf(err)["kind"] == "" || apperr.FieldsOf(err)["premium_bp"] == "" {
			t.Fatalf("bad product: %v", err)
		}
		prod, err := e.svc.CreateInsuranceProduct(ctx, ins, credit.InsuranceProductInput{Name: "脆李收入保险", Kind: "income", PremiumBP: 600, SubsidyPct: 75})
		if err != nil {
			t.Fatal(err)
		}
		// 10,000 元 at 6%: premium 600 元, of which 75% (450 元) subsidised
		pol, err := e.svc.IssuePolicy(ctx, ins, credit.PolicyInput{ProductID: prod.ID, SubjectID: farmer.ID, PolicyNo: "PICC-001", SumInsuredFen: 1_000_000, StartOn: "2025-03-01", EndOn: "2026-02-28"})
		if err != nil || pol.PremiumFen != 60_000 || pol.SubsidyFen != 45_000 {
			t.Fatalf("policy: %+v %v", pol, err)
		}
		if _, err := e.svc.IssuePolicy(ctx, ins, credit.PolicyInput{ProductID: prod.ID, SubjectID: farmer.ID, PolicyNo: "PICC-001", SumInsuredFen: 1, StartOn: "2025-03-01", EndOn: "2026-02-28"}); apperr.FieldsOf(err)["policy_no"] == "" {
			t.Fatalf("duplicate policy number: %v", err)
		}
		claim := func(loss, paid int64, on, reason string) error {
			_, err := e.svc.SettleClaim(ctx, ins, credit.ClaimInput{PolicyID: pol.ID, ReportedOn: on, Cause: "冰雹", LossFen: loss, PaidFen: paid, Reason: reason})
			return err
		}
		if err := claim(500_000, 600_000, "2025-05-01", ""); apperr.FieldsOf(err)["paid_fen"] == "" {
			t.Fatalf("paid above the loss: %v", err)
		}
		if err := claim(500_000, 100, "2024-05-01", ""); apperr.FieldsOf(err)["reported_on"] == "" {
			t.Fatalf("outside the period: %v", err)
		}
		if err := claim(500_000, 0, "2025-05-01", ""); apperr.FieldsOf(err)["reason"] == "" {
			t.Fatalf("rejection without reason: %v", err)
		}
		if err := claim(800_000, 700_000, "2025-05-01", ""); err != nil {
			t.Fatal(err)
		}
		if err := claim(800_000, 300_001, "2025-07-01", ""); apperr.FieldsOf(err)["paid_fen"] == "" {
			t.Fatalf("claims above the sum insured: %v", err)
		}
		if err := claim(800_000, 300_000, "2025-07-01", ""); err != nil {
			t.Fatal(err)
		}
		x, err := e.svc.GetPolicy(ctx, &auth.Principal{UserID: 1, Username: "f", Role: auth.Member, SubjectID: farmer.ID}, pol.ID)
		if err != nil || x.ClaimedFen != 1_000_000 || len(x.Claims) != 2 {
			t.Fatalf("policy with claims: %+v %v", x, err)
		}
		stranger := &auth.Principal{UserID: 2, Username: "s", Role: auth.Member, SubjectID: e.household("李四", e.village).ID}
		if _, err := e.svc.GetPolicy(ctx, stranger, pol.ID); code(err) != apperr.NotFound {
			t.Fatalf("stranger reads policy: %v", err)
		}
	})
}

func TestInterestSubsidy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		bankSub := e.org("bank", "巫山农商行")
		bank := &auth.Principal{UserID: 20, Username: "bank", Role: auth.Bank, SubjectID: bankSub.ID}
		prod, err := e.svc.CreateProduct(ctx, bank, credit.ProductInput{Name: "经营贷", LoanType: "信用", AmountMin: 100_000, AmountMax: 50_000_000, TermMin: 6, TermMax: 36, RateBP: 500, Method: "annuity"})
		if err != nil {
			t.Fatal(err)
		}
		farm := e.org("family_farm", "王家家庭农场")
		hh := e.household("张三", e.village)
		la := disbursedLoan(t, e, bank, prod.ID, farm, 20_000_000)
		lb := disbursedLoan(t, e, bank, prod.ID, hh, 2_000_000)
		la = settle(t, e, bank, la)
		settle(t, e, bank, lb)
		if _, err := e.svc.SetSubsidyRule(ctx, bank, credit.SubsidyRule{Year: 2025, SharePct: 50}); code(err) != apperr.Forbidden {
			t.Fatalf("bank sets rule: %v", err)
		}
		if _, _, err := e.svc.Subsidies(ctx, e.Admin, "", 2025); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetSubsidyRule(ctx, e.Admin, credit.SubsidyRule{Year: 2025, SharePct: 150}); apperr.FieldsOf(err)["share_pct"] == "" {
			t.Fatalf("bad share: %v", err)
		}
		if _, err := e.svc.SetSubsidyRule(ctx, e.Admin, credit.SubsidyRule{Year: 2025, SharePct: 50, CapFen: 100_000}); err != nil {
			t.Fatal(err)
		}
		rule, rows, err := e.svc.Subsidies(ctx, e.Admin, "", 2025)
		if err != nil || rule == nil {
			t.Fatal(err)
		}
		// interest actually paid: the repayment's interest parts
		var paid int64
		for _, m := range la.Moves {
			if m.Kind == "repay" {
				paid += m.ToInterest + m.ToOverdueInterest
			}
		}
		want, capped := credit.SubsidyOf(paid, *rule)
		if len(rows) != 1 || rows[0].SubjectID != farm.ID || rows[0].InterestFen != paid || rows[0].SubsidyFen != want || rows[0].Capped != capped || paid == 0 {
			t.Fatalf("subsidies: %+v (paid %d, want %d)", rows, paid, want)
		}
		// the cap binds when the rule says so
		if v, c := credit.SubsidyOf(1_000_000, credit.SubsidyRule{SharePct: 50, CapFen: 100_000}); v != 100_000 || !c {
			t.Fatalf("cap: %d %v", v, c)
		}
		if v, _ := credit.SubsidyOf(333, credit.SubsidyRule{SharePct: 50}); v != 167 {
			t.Fatalf("rounding: %d", v)
		}
	})
}

func TestSeedRatingAndFinanceDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		banks := []int64{e.org("bank", "巫山农商行").ID}
		guarantor, insurer := e.org("guarantor", "担保公司").ID, e.org("insurer", "保险公司").ID
		var subjects []int64
		for i := 0; i < 120; i++ {
			subjects = append(subjects, e.household(fmt.Sprintf("户%03d", i), []string{e.village, e.village2}[i%2], "脆李").ID)
		}
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := e.svc.SeedDemo(ctx, tx, banks, subjects, today); err != nil {
				return err
			}
			if err := e.svc.SeedFinanceDemo(ctx, tx, []int64{guarantor}, []int64{insurer}, subjects); err != nil {
				return err
			}
			return e.svc.SeedRatingDemo(ctx, tx, region.Township(e.village), subjects)
		})
		if err != nil {
			t.Fatal(err)
		}
		if m, _ := e.svc.CurrentModel(ctx, d, county); m == nil || m.ApprovedByName == "" {
			t.Fatalf("no approved model: %+v", m)
		}
		bs, err := e.svc.ListBatches(ctx, e.Admin, "")
		if err != nil || len(bs) != 1 || bs[0].Status != "done" || bs[0].Households != 60 || bs[0].CreditHouseholds == 0 || bs[0].CreditHouseholds == 60 {
			t.Fatalf("demo batch: %+v %v", bs, err)
		}
		l, total, _ := e.svc.ListRatings(ctx, e.Admin, credit.RatingFilter{})
		if total != 60 {
			t.Fatalf("demo ratings: %d", total)
		}
		if r, err := e.svc.GetRating(ctx, e.Admin, l[0].ID); err != nil || !r.Reproduced {
			t.Fatalf("demo rating not reproducible: %+v %v", r, err)
		}
		pols, _ := e.svc.Policies(ctx, e.Admin, 0)
		if len(pols) == 0 {
			t.Fatal("no demo policies")
		}
		if rule, _, err := e.svc.Subsidies(ctx, e.Admin, "", today.Year()); err != nil || rule == nil {
			t.Fatalf("no demo subsidy rule: %v", err)
		}
		var g int
		d.QueryRowContext(ctx, `SELECT COUNT(*) FROM guarantees`).Scan(&g)
		if g == 0 {
			t.Fatal("no demo guarantees")
		}
		if _, err := audit.Verify(ctx, d); err != nil {
			t.Fatal(err)
		}
	})
}
