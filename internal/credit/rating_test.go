package credit_test

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/credit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/region"
	"nongfu/internal/solve/scorecard"
)

func num(in credit.Inputs, key string, v float64) { in.Set(key, key, v, "测试", "2025-06-15") }

// TestEvaluateByHand checks the default model against a rating worked out by hand.
func TestEvaluateByHand(t *testing.T) {
	def := credit.DefaultModel()
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	in := credit.Inputs{}
	num(in, "scale_mu", 8.5)        // 5–20 亩: 14
	num(in, "max_overdue_days", 0)  // 无逾期: 30
	num(in, "arrears_yuan", 0)      // 20
	num(in, "settled_loans", 1)     // 12
	num(in, "household_members", 4) // 15
	num(in, "records_honour", 1)    // +5
	num(in, "records_bad", 0)       // —
	r := credit.Evaluate(&def, in)
	// internal 91 of 100; no 外评 yet: the internal score stands alone, +5 honour
	if r.Internal != 91 || r.External != nil || r.Score != 96 || r.Grade != "AAA" {
		t.Fatalf("no external: %+v", r)
	}
	num(in, "ext.law", 28)
	num(in, "ext.honesty", 27)
	num(in, "ext.harmony", 18)
	num(in, "ext.diligence", 17)
	r = credit.Evaluate(&def, in)
	// 91 × 70% + 90 × 30% = 90.7, +5 = 95.7
	if r.External == nil || *r.External != 90 || math.Abs(r.Score-95.7) > 1e-9 || r.Grade != "AAA" {
		t.Fatalf("with external: %+v", r)
	}
	num(in, "records_bad", 2)
	r = credit.Evaluate(&def, in)
	// −20: 75.7 → A; the deduction leads the reasons, then the indicator that lost most (scale: 6 of 20)
	if math.Abs(r.Score-75.7) > 1e-9 || r.Grade != "A" {
		t.Fatalf("bad record: %+v", r)
	}
	if len(r.Reasons) < 2 || !strings.Contains(r.Reasons[0], "扣 20 分") || !strings.Contains(r.Reasons[1], "经营面积") {
		t.Fatalf("reasons: %q", r.Reasons)
	}
	// grade cut-offs are data: raise A to 80 and the same subject is B
	def.Grades = []credit.GradeCut{{"AAA", 95}, {"AA", 90}, {"A", 80}, {"B", 60}, {"C", 0}}
	if g := credit.Evaluate(&def, in).Grade; g != "B" {
		t.Fatalf("edited cut-offs: %s", g)
	}
	// clamp: nothing below 0
	num(in, "records_bad", 1)
	def.Adjustments = append(def.Adjustments, credit.Adjustment{Key: "records_bad", Name: "重罚", Op: ">=", Value: 1, Points: -500})
	if r := credit.Evaluate(&def, in); r.Score != 0 || r.Grade != "C" {
		t.Fatalf("clamp: %+v", r)
	}
	bad := credit.DefaultModel()
	bad.Combine.ExternalWeight = 50
	bad.Grades[1].MinScore = 95
	err := bad.Validate()
	if f := apperr.FieldsOf(err); f["combine"] == "" || f["grades[1].min_score"] == "" {
		t.Fatalf("validation: %v", err)
	}
}

// TestFittedScorecardBecomesModel fits the scorecard package on data with a known direction and checks that the
// model version scores like the fitted scorecard.
func TestFittedScorecardBecomesModel(t *testing.T) {
	rows := [][]string{}
	for i := 0; i < 2000; i++ {
		x := i % 100
		bad := "0"
		if (i*7919)%100 < 5+x/3 {
			bad = "1"
		}
		rows = append(rows, []string{itoa(x), bad})
	}
	d, err := scorecard.FromRows([]string{"days", "bad"}, rows, "bad", "1")
	if err != nil {
		t.Fatal(err)
	}
	m, err := scorecard.Fit(d, scorecard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	def := credit.FromScorecard(m)
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, x := range []float64{1, 50, 99} {
		in := credit.Inputs{}
		num(in, "days", x)
		want, _ := m.Score(scorecard.Record{"days": itoa(int(x))})
		if got := credit.Evaluate(&def, in).Score; math.Abs(got-want) > 0.05 {
			t.Errorf("x=%v: model version %v, scorecard %v", x, got, want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestModelVersionsAndRatings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		admin := &auth.Principal{UserID: 1, Username: "admin", Role: auth.CountyAdmin, Scopes: []string{county}}
		op := &auth.Principal{UserID: 2, Username: "op", Role: auth.TownshipOperator, Scopes: []string{region.Township(e.village)}}
		bank := e.org("bank", "巫山农商行")
		userB := &auth.Principal{UserID: 3, Username: "bank", Role: auth.Bank, SubjectID: bank.ID}
		farmer := e.household("王德全", e.village, "脆李")

		if _, err := e.svc.RateSubject(ctx, op, farmer.ID); code(err) != apperr.Conflict {
			t.Fatalf("rating without an approved model: %v", err)
		}
		if _, err := e.svc.CreateModel(ctx, op, credit.ModelInput{Name: "x"}); code(err) != apperr.Forbidden {
			t.Fatalf("operator creates a model: %v", err)
		}
		v1, err := e.svc.CreateModel(ctx, admin, credit.ModelInput{Name: "农户信用评级"})
		if err != nil || v1.Version != 1 || v1.Status != credit.ModelDraft || v1.Origin != "default" {
			t.Fatalf("v1: %+v %v", v1, err)
		}
		// a draft can be edited, bad definitions are refused with field messages
		def := v1.Definition
		def.Grades[2].MinScore = 65
		if _, err := e.svc.UpdateModel(ctx, admin, v1.ID, credit.ModelInput{Definition: &def}); err != nil {
			t.Fatal(err)
		}
		broken := def
		broken.Combine.InternalWeight = 10
		if _, err := e.svc.UpdateModel(ctx, admin, v1.ID, credit.ModelInput{Definition: &broken}); code(err) != apperr.Invalid {
			t.Fatalf("broken definition: %v", err)
		}
		v1, err = e.svc.ApproveModel(ctx, admin, v1.ID)
		if err != nil || v1.Status != credit.ModelApproved || v1.ApprovedByName != "admin" || v1.ApprovedAt == nil {
			t.Fatalf("approve: %+v %v", v1, err)
		}
		if _, err := e.svc.UpdateModel(ctx, admin, v1.ID, credit.ModelInput{Definition: &def}); code(err) != apperr.Conflict {
			t.Fatalf("edit approved: %v", err)
		}

		// records and 外评 feed the rating
		if _, err := e.svc.AddRecord(ctx, op, credit.RecordInput{SubjectID: farmer.ID, Category: "荣誉", Title: "县级五好家庭", Source: "县妇联", Date: "2025-03-08"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddRecord(ctx, op, credit.RecordInput{SubjectID: farmer.ID, Category: "land", Title: "承包地", Quantity: 8.5, Unit: "亩", AmountFen: 2_000_000, Source: "村委会", Date: "2025-01-02"}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SaveExternalScores(ctx, op, credit.ExternalInput{SubjectID: farmer.ID, Scores: map[string]float64{"ext.law": 31}}); code(err) != apperr.Invalid {
			t.Fatalf("external above max: %v", err)
		}
		if err := e.svc.SaveExternalScores(ctx, op, credit.ExternalInput{SubjectID: farmer.ID, Scores: map[string]float64{"ext.law": 30, "ext.honesty": 28, "ext.harmony": 20, "ext.diligence": 12}}); err != nil {
			t.Fatal(err)
		}
		r, err := e.svc.RateSubject(ctx, op, farmer.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.ModelVersion != 1 || !r.Reproduced || r.External == nil || *r.External != 90 || r.Result == nil || len(r.Points) != len(def.Indicators) {
			t.Fatalf("rating: %+v", r)
		}
		if v := r.Inputs["records_honour"]; v == nil || *v != 1 {
			t.Fatalf("honour input: %v", r.Inputs)
		}
		if v := r.Inputs["assets_yuan"]; v == nil || *v != 20000 {
			t.Fatalf("assets input: %v", r.Inputs)
		}
		// a bank without consent cannot rate or read the rating; with one it can
		if _, err := e.svc.RateSubject(ctx, userB, farmer.ID); code(err) != apperr.Forbidden {
			t.Fatalf("bank rates without consent: %v", err)
		}
		if _, err := e.svc.GetRating(ctx, userB, r.ID); code(err) != apperr.Forbidden {
			t.Fatalf("bank reads rating without consent: %v", err)
		}
		if l, _, _ := e.svc.ListRatings(ctx, userB, credit.RatingFilter{}); len(l) != 0 {
			t.Fatalf("bank lists ratings without consent: %d", len(l))
		}
		if _, err := e.svc.CreateConsent(ctx, &auth.Principal{UserID: 9, Username: "f", Role: auth.Member, SubjectID: farmer.ID},
			credit.ConsentInput{InstitutionID: bank.ID, Purpose: "贷款审批", ValidTo: "2026-01-01"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.GetRating(ctx, userB, r.ID); err != nil {
			t.Fatalf("bank with consent: %v", err)
		}
		if l, _, _ := e.svc.ListRatings(ctx, userB, credit.RatingFilter{}); len(l) != 1 {
			t.Fatalf("bank lists ratings with consent: %d", len(l))
		}

		// a new version: copy, approve; the old one is retired and old ratings still explain with it
		v2, err := e.svc.CreateModel(ctx, admin, credit.ModelInput{FromID: v1.ID, Name: "农户信用评级（2026）"})
		if err != nil || v2.Version != 2 {
			t.Fatalf("v2: %+v %v", v2, err)
		}
		if _, err := e.svc.ApproveModel(ctx, admin, v2.ID); err != nil {
			t.Fatal(err)
		}
		old, _ := e.svc.GetModel(ctx, admin, v1.ID)
		if old.Status != credit.ModelRetired {
			t.Fatalf("v1 after v2: %s", old.Status)
		}
		again, err := e.svc.GetRating(ctx, op, r.ID)
		if err != nil || again.ModelVersion != 1 || !again.Reproduced {
			t.Fatalf("old rating: %+v %v", again, err)
		}
		// the file shows the rating with its reasons and the records with source and date
		f, err := e.svc.File(ctx, op, farmer.ID)
		if err != nil {
			t.Fatal(err)
		}
		var sawGrade, sawHonour bool
		for _, ind := range f.Indicators {
			sawGrade = sawGrade || (ind.Key == "rating" && strings.Contains(ind.Value, r.Grade))
			sawHonour = sawHonour || (strings.Contains(ind.Value, "县级五好家庭") && ind.Source == "县妇联" && ind.AsOf == "2025-03-08")
		}
		if !sawGrade || !sawHonour {
			t.Fatalf("file: %+v", f.Indicators)
		}
	})
}

func TestPeerReviews(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		a := e.household("甲", e.village)
		b := e.household("乙", e.village)
		c := e.household("丙", e.village)
		x := e.household("丁", e.village)
		pairs := map[int64][]int64{a.ID: {b.ID, c.ID, x.ID}, b.ID: {a.ID, c.ID, x.ID}, c.ID: {a.ID, b.ID, x.ID}, x.ID: {a.ID, b.ID, c.ID}}
		e.svc.Partners = partnerMap(pairs)
		pa := &auth.Principal{UserID: 1, Username: "a", Role: auth.Member, SubjectID: a.ID}
		rate := func(p *auth.Principal, from, to int64, score int) error {
			_, err := e.svc.RatePartner(ctx, p, credit.PeerInput{Period: "2025", RaterID: from, RateeID: to, Score: score})
			return err
		}
		op := &auth.Principal{UserID: 2, Username: "op", Role: auth.TownshipOperator, Scopes: []string{region.Township(e.village)}}
		if err := rate(pa, a.ID, x.ID, 80); err != nil {
			t.Fatal(err)
		}
		if err := rate(pa, a.ID, x.ID, 90); code(err) != apperr.Conflict {
			t.Fatalf("second rating of the pair: %v", err)
		}
		if err := rate(pa, b.ID, x.ID, 90); code(err) != apperr.Forbidden {
			t.Fatalf("rating for someone else: %v", err)
		}
		stranger := e.household("戊", e.village)
		if err := rate(pa, a.ID, stranger.ID, 90); code(err) != apperr.Invalid {
			t.Fatalf("rating a non-partner: %v", err)
		}
		// a ring: a, b, c praise each other at 100; their praise does not count
		for _, r := range [][2]int64{{a.ID, b.ID}, {b.ID, a.ID}, {b.ID, c.ID}, {c.ID, a.ID}} {
			if err := rate(op, r[0], r[1], 100); err != nil {
				t.Fatal(err)
			}
		}
		if err := rate(op, b.ID, x.ID, 60); err != nil {
			t.Fatal(err)
		}
		if err := rate(op, c.ID, x.ID, 70); err != nil {
			t.Fatal(err)
		}
		if err := rate(op, x.ID, a.ID, 40); err != nil {
			t.Fatal(err)
		}
		_, res, err := e.svc.PeerReviews(ctx, op, a.ID, "2025")
		if err != nil || res.Ringed != 2 || res.Count != 1 || res.Score != 40 {
			t.Fatalf("a: %+v %v", res, err)
		}
		_, res, err = e.svc.PeerReviews(ctx, op, x.ID, "2025")
		if err != nil || res.Ringed != 0 || res.Count != 3 || res.Score != 70 {
			t.Fatalf("x: %+v %v", res, err)
		}
	})
}

// trimming: five or more ratings lose the highest and the lowest
func TestPeerTrim(t *testing.T) {
	es := credit.PeerEdgesForTest([][3]int64{{1, 9, 10}, {2, 9, 60}, {3, 9, 70}, {4, 9, 80}, {5, 9, 100}})
	r := credit.PeerResultOf("2025", es)[9]
	if r.Count != 3 || r.Trimmed != 2 || r.Score != 70 {
		t.Fatalf("%+v", r)
	}
}

type partnerMap map[int64][]int64

func (m partnerMap) Counterparties(_ context.Context, id int64, _, _ time.Time) ([]int64, error) {
	return m[id], nil
}

// TestEligibilityByGradeAndMembership: products may ask for a grade and membership; the subject sees each product
// ranked, with the reason it may not borrow.
func TestEligibilityByGradeAndMembership(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		bank := e.org("bank", "巫山农商行")
		ub := &auth.Principal{UserID: 3, Username: "bank", Role: auth.Bank, SubjectID: bank.ID}
		farmer := e.household("王德全", e.village, "脆李")
		member := &auth.Principal{UserID: 4, Username: "f", Role: auth.Member, SubjectID: farmer.ID}
		mk := func(name string, bp int, grade string, members bool) {
			if _, err := e.svc.CreateProduct(ctx, ub, credit.ProductInput{Name: name, LoanType: "信用", AmountMin: 100_000, AmountMax: 10_000_000, TermMin: 6, TermMax: 36,
				RateBP: bp, Method: "annuity", MinGrade: grade, MembersOnly: members}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.CreateProduct(ctx, ub, credit.ProductInput{Name: "x", LoanType: "信用", AmountMin: 1, AmountMax: 2, TermMin: 1, TermMax: 2, RateBP: 400, Method: "annuity", MinGrade: "Z"}); apperr.FieldsOf(err)["min_grade"] == "" {
			t.Fatalf("bad grade: %v", err)
		}
		mk("普通贷", 500, "", false)
		mk("便宜贷", 450, "", false)
		mk("AAA 贷", 380, "AAA", false)
		mk("会员贷", 390, "", true)
		el, err := e.svc.Eligible(ctx, member, 0)
		if err != nil || len(el) != 4 {
			t.Fatalf("eligible: %+v %v", el, err)
		}
		if el[0].Product.Name != "便宜贷" || el[1].Product.Name != "普通贷" || el[0].Eligible != true || el[2].Eligible {
			t.Fatalf("ranking: %s %s %s %s", el[0].Product.Name, el[1].Product.Name, el[2].Product.Name, el[3].Product.Name)
		}
		reasons := map[string]string{}
		for _, x := range el {
			reasons[x.Product.Name] = strings.Join(x.Reasons, "；")
		}
		if !strings.Contains(reasons["AAA 贷"], "尚未评定信用等级") || !strings.Contains(reasons["会员贷"], "仅面向农合联会员") {
			t.Fatalf("reasons: %v", reasons)
		}
		// once rated below AAA, the reason names the grade
		admin := e.Admin
		approveDefault(t, ctx, e.svc, admin)
		op := &auth.Principal{UserID: 2, Username: "op", Role: auth.TownshipOperator, Scopes: []string{region.Township(e.village)}}
		r, err := e.svc.RateSubject(ctx, op, farmer.ID)
		if err != nil {
			t.Fatal(err)
		}
		el, _ = e.svc.Eligible(ctx, member, 0)
		for _, x := range el {
			if x.Product.Name == "AAA 贷" && (x.Eligible != (r.Grade == "AAA") || (r.Grade != "AAA" && !strings.Contains(x.Reasons[0], "信用等级 "+r.Grade))) {
				t.Fatalf("after rating %s: %+v", r.Grade, x)
			}
		}
	})
}
