package credit

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func d(s string) time.Time { return mustDate(s) }

// checkSchedule verifies the invariants every schedule must keep.
func checkSchedule(t testing.TB, in ScheduleInput, out []Installment) {
	t.Helper()
	if len(out) != in.Months {
		t.Fatalf("%+v: %d installments", in, len(out))
	}
	var sum int64
	for k, i := range out {
		if i.Principal < 0 || i.Interest < 0 || i.Total != i.Principal+i.Interest {
			t.Fatalf("%+v: bad installment %+v", in, i)
		}
		if i.No != k+1 || i.DueOn != FormatDate(AddMonths(in.Start, k+1)) {
			t.Fatalf("%+v: numbering or due date %+v", in, i)
		}
		sum += i.Principal
	}
	if sum != in.Principal {
		t.Fatalf("%+v: principal column sums to %d", in, sum)
	}
}

// floatInterest is the reference: the same method in float64, without rounding.
func floatInterest(in ScheduleInput) []float64 {
	n := in.Months
	r := float64(in.RateBP) / 120000
	p := float64(in.Principal)
	out := make([]float64, n)
	bal := p
	a := p / float64(n)
	if r > 0 {
		a = p * r * math.Pow(1+r, float64(n)) / (math.Pow(1+r, float64(n)) - 1)
	}
	for k := 0; k < n; k++ {
		out[k] = bal * r
		switch in.Method {
		case Annuity:
			bal -= a - out[k]
		case EqualPrincipal:
			bal -= float64(in.Principal / int64(n)) // the same principal column: the remainder is in the last period
		}
	}
	return out
}

func TestScheduleProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 3000; trial++ {
		in := ScheduleInput{
			Principal: 1 + rng.Int64N([]int64{100, 10_000, 10_000_000, MaxPrincipal}[trial%4]),
			RateBP:    rng.IntN(2401),
			Months:    1 + rng.IntN([]int{12, 60, 360}[trial%3]),
			Method:    Methods[trial%4],
			Start:     time.Date(2020+rng.IntN(8), time.Month(1+rng.IntN(12)), 1+rng.IntN(31), 0, 0, 0, 0, time.UTC),
		}
		if trial%10 == 0 {
			in.RateBP = 0
		}
		out, err := Schedule(in)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		checkSchedule(t, in, out)
		switch in.Method {
		case Revolving:
			// whole principal at maturity; interest per period = principal × days × rate / 360 within half a 分
			prev := in.Start
			for _, i := range out[:len(out)-1] {
				if i.Principal != 0 {
					t.Fatalf("revolving principal before maturity: %+v", i)
				}
			}
			for _, i := range out {
				days := float64(daysBetween(prev, d(i.DueOn)))
				want := float64(in.Principal) * days * float64(in.RateBP) / 3_600_000
				if math.Abs(float64(i.Interest)-want) > 0.5+1e-6 {
					t.Fatalf("revolving interest %d, want %.3f", i.Interest, want)
				}
				prev = d(i.DueOn)
			}
			continue
		case InterestOnly:
			for _, i := range out[:len(out)-1] {
				if i.Principal != 0 {
					t.Fatalf("interest-only principal before maturity: %+v", i)
				}
			}
		case EqualPrincipal:
			for _, i := range out[:len(out)-1] {
				if i.Principal != in.Principal/int64(in.Months) {
					t.Fatalf("equal principal: %+v", i)
				}
			}
		case Annuity:
			// every installment but the last is the same amount (the last absorbs the rounding)
			var paid int64
			for _, i := range out[:len(out)-1] {
				paid += i.Principal
				if i.Total > out[0].Total || (i.Total != out[0].Total && paid < in.Principal) {
					t.Fatalf("%+v: annuity installments differ: %d vs %d", in, i.Total, out[0].Total)
				}
			}
		}
		// interest within 1 分 per period of the float reference
		ref := floatInterest(in)
		var got, want float64
		for k, i := range out {
			got += float64(i.Interest)
			want += ref[k]
		}
		if math.Abs(got-want) > float64(in.Months)+1e-6*want {
			t.Fatalf("%+v: interest total %.0f, float reference %.2f", in, got, want)
		}
	}
}

func TestScheduleKnownValues(t *testing.T) {
	// 100,000 元 at 4.35 % over 12 months, 等额本息: the well-known installment is 8,530.99 元
	out, err := Schedule(ScheduleInput{Principal: 10_000_000, RateBP: 435, Months: 12, Method: Annuity, Start: d("2024-01-31")})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Total != 853_099 {
		t.Errorf("annuity installment %d, want 853099", out[0].Total)
	}
	if out[0].Interest != 36_250 { // 100000 × 0.0435 / 12 = 362.50 元
		t.Errorf("first interest %d", out[0].Interest)
	}
	if out[0].DueOn != "2024-02-29" || out[1].DueOn != "2024-03-31" || out[2].DueOn != "2024-04-30" {
		t.Errorf("due dates clamp: %s %s %s", out[0].DueOn, out[1].DueOn, out[2].DueOn)
	}
	// 等额本金 with a remainder: 100.00 元 over 3 months → 33.33, 33.33, 33.34
	out, _ = Schedule(ScheduleInput{Principal: 10_000, RateBP: 0, Months: 3, Method: EqualPrincipal, Start: d("2024-01-01")})
	if out[0].Principal != 3333 || out[2].Principal != 3334 {
		t.Errorf("equal principal remainder: %+v", out)
	}
	// 随借随还 ACT/360: 10,000 元 at 3.60 % for January (31 days) = 31.00 元
	out, _ = Schedule(ScheduleInput{Principal: 1_000_000, RateBP: 360, Months: 1, Method: Revolving, Start: d("2024-01-01")})
	if out[0].Interest != 3100 || out[0].Principal != 1_000_000 {
		t.Errorf("revolving: %+v", out[0])
	}
	if _, err := Schedule(ScheduleInput{Principal: 0, RateBP: -1, Months: 0, Method: "x"}); err == nil {
		t.Error("invalid input accepted")
	}
}

func FuzzSchedule(f *testing.F) {
	f.Add(int64(10_000_000), 435, 12, 0, int64(0))
	f.Add(int64(1), 0, 1, 1, int64(100))
	f.Add(MaxPrincipal, 10000, 360, 2, int64(5000))
	f.Add(int64(999_999), 2400, 37, 3, int64(-40))
	f.Fuzz(func(t *testing.T, principal int64, bp, months, method int, dayOffset int64) {
		in := ScheduleInput{Principal: principal, RateBP: bp, Months: months, Start: d("2024-01-31").AddDate(0, 0, int(dayOffset%4000))}
		if method >= 0 {
			in.Method = Methods[method%len(Methods)]
		}
		out, err := Schedule(in)
		if err != nil {
			if in.Validate() == nil {
				t.Fatalf("valid input refused: %+v: %v", in, err)
			}
			return
		}
		checkSchedule(t, in, out)
		// paying every installment on its due date settles the loan exactly
		terms := Terms{Method: in.Method, RateBP: bp, Start: in.Start, Moves: []Move{{On: in.Start, Principal: principal}}}
		for k := range out {
			amt := out[k].Due()
			if amt == 0 {
				continue
			}
			next, al, err := Allocate(out, terms, amt, d(out[k].DueOn))
			if err != nil {
				t.Fatalf("pay installment %d: %v", k+1, err)
			}
			if al.ToOverdueInterest+al.ToInterest+al.ToPrincipal != amt || al.Prepaid != 0 {
				t.Fatalf("allocation %+v of %d", al, amt)
			}
			if al.ToPrincipal > 0 {
				terms.Moves = append(terms.Moves, Move{On: d(out[k].DueOn), Principal: -al.ToPrincipal})
			}
			out = next
		}
		if !allPaid(out) || Outstanding(out) != 0 {
			t.Fatalf("not settled after paying every installment: %+v", out)
		}
	})
}

func TestAllocationOrderAndPrepayment(t *testing.T) {
	in := ScheduleInput{Principal: 1_200_000, RateBP: 600, Months: 12, Method: Annuity, Start: d("2024-01-10")}
	s0, _ := Schedule(in)
	terms := Terms{Method: Annuity, RateBP: 600, Start: in.Start}
	// nothing paid for installments 1 and 2; on 2024-03-20 the farmer pays their interest plus 1 分
	amt := s0[0].Interest + s0[1].Interest + 1
	s1, al, err := Allocate(s0, terms, amt, d("2024-03-20"))
	if err != nil {
		t.Fatal(err)
	}
	if al.ToOverdueInterest != s0[0].Interest+s0[1].Interest || al.ToInterest != 0 || al.ToPrincipal != 1 {
		t.Fatalf("overdue interest first, then overdue principal: %+v", al)
	}
	if s1[0].PaidPrincipal != 1 || s1[2].PaidInterest != 0 {
		t.Fatalf("paid figures: %+v %+v", s1[0], s1[2])
	}
	st := OverdueAsOf(s1, d("2024-03-20"))
	if st.Days != 39 || st.Bucket != BucketM2 || st.ArrearsPrincipal != s0[0].Principal+s0[1].Principal-1 || st.ArrearsInterest != 0 {
		t.Fatalf("overdue after partial payment: %+v", st)
	}
	// then principal: overdue installments first; the rest of the current installment; then prepayment
	owedNow := s1[0].Due() + s1[1].Due() + s1[2].Due()
	s2, al, err := Allocate(s1, terms, owedNow+100_000, d("2024-03-25"))
	if err != nil {
		t.Fatal(err)
	}
	if al.Prepaid != 100_000 || !s2[0].Paid() || !s2[1].Paid() || !s2[2].Paid() || s2[0].PaidOn != "2024-03-25" {
		t.Fatalf("catch-up and prepay: %+v %+v", al, s2[:3])
	}
	if len(s2) != 12 || Outstanding(s2) != Outstanding(s1)-al.ToPrincipal {
		t.Fatalf("outstanding after prepayment %d", Outstanding(s2))
	}
	if s2[3].Total >= s1[3].Total || s2[3].DueOn != s1[3].DueOn || s2[11].DueOn != s1[11].DueOn {
		t.Fatalf("prepayment keeps the term and lowers the installment: %+v vs %+v", s2[3], s1[3])
	}
	var sum int64
	for _, i := range s2 {
		sum += i.Principal
	}
	if sum != in.Principal {
		t.Fatalf("principal column after prepayment sums to %d", sum)
	}
	st = OverdueAsOf(s2, d("2024-03-25"))
	if st.Days != 0 || st.Bucket != BucketCurrent || st.MaxDays != 44 {
		t.Fatalf("overdue after catch-up: %+v", st)
	}
	// paying off everything settles; more is refused
	pay := PayoffAmount(s2, terms, d("2024-04-01"))
	if _, _, err := Allocate(s2, terms, pay+1, d("2024-04-01")); err == nil {
		t.Fatal("overpayment accepted")
	}
	s3, al, err := Allocate(s2, terms, pay, d("2024-04-01"))
	if err != nil || !al.Settled || Outstanding(s3) != 0 {
		t.Fatalf("payoff: %+v %v", al, err)
	}
}

func TestOverdueBuckets(t *testing.T) {
	s0, _ := Schedule(ScheduleInput{Principal: 600_000, RateBP: 500, Months: 6, Method: EqualPrincipal, Start: d("2024-01-01")})
	for _, c := range []struct {
		asOf   string
		days   int
		bucket string
	}{
		{"2024-02-01", 0, BucketCurrent}, {"2024-02-02", 1, BucketM1}, {"2024-03-02", 30, BucketM1}, {"2024-03-03", 31, BucketM2},
		{"2024-04-01", 60, BucketM2}, {"2024-04-02", 61, BucketM3}, {"2024-05-01", 90, BucketM3}, {"2024-05-02", 91, BucketM3Plus},
	} {
		st := OverdueAsOf(s0, d(c.asOf))
		if st.Days != c.days || st.Bucket != c.bucket {
			t.Errorf("as of %s: %d days %s, want %d %s", c.asOf, st.Days, st.Bucket, c.days, c.bucket)
		}
	}
	// paid late: the first installment paid 10 days late is not overdue afterwards but counts in the history
	terms := Terms{Method: EqualPrincipal, RateBP: 500, Start: d("2024-01-01")}
	s1, _, err := Allocate(s0, terms, s0[0].Total, d("2024-02-11"))
	if err != nil {
		t.Fatal(err)
	}
	st := OverdueAsOf(s1, d("2024-02-20"))
	if st.Days != 0 || st.MaxDays != 10 || st.ArrearsPrincipal != 0 {
		t.Errorf("after late payment: %+v", st)
	}
	if st := OverdueAsOf(s1, d("2024-02-05")); st.Days != 4 { // as of a date before the payment it was overdue
		t.Errorf("as of before the payment: %+v", st)
	}
}

func TestRevolvingDrawsAndRepayments(t *testing.T) {
	start := d("2024-01-01")
	s0 := RevolvingSchedule(start, 12, 360, 1_000_000) // 10,000 元 drawn
	terms := Terms{Method: Revolving, RateBP: 360, Start: start, Moves: []Move{{On: start, Principal: 1_000_000}}}
	// draw 10,000 more on 01-11: January interest = 10000×31 + 10000×21 元·days × 3.6 % / 360 = 31.00 + 21.00
	s1, err := Draw(s0, terms, 1_000_000, d("2024-01-11"))
	if err != nil {
		t.Fatal(err)
	}
	terms.Moves = append(terms.Moves, Move{On: d("2024-01-11"), Principal: 1_000_000})
	if s1[0].Interest != 5200 || s1[11].Principal != 2_000_000 {
		t.Fatalf("after draw: %+v %+v", s1[0], s1[11])
	}
	// repay 15,000 元 + interest on 01-21: January accrued to 01-21 = 20 days×10000 + 10 days×10000 → 30.00 元
	s2, al, err := Allocate(s1, terms, 1_500_000+3000, d("2024-01-21"))
	if err != nil {
		t.Fatal(err)
	}
	if al.ToInterest != 3000 || al.ToPrincipal != 1_500_000 || Outstanding(s2) != 500_000 {
		t.Fatalf("revolving repayment: %+v outstanding %d", al, Outstanding(s2))
	}
	// January interest now: 30.00 (to 01-21) + 5,000 元 × 11 days = 5.50 → 35.50 元
	if s2[0].Interest != 3550 {
		t.Fatalf("recomputed January interest %d", s2[0].Interest)
	}
	terms.Moves = append(terms.Moves, Move{On: d("2024-01-21"), Principal: -1_500_000})
	pay := PayoffAmount(s2, terms, d("2024-01-25"))
	s3, al, err := Allocate(s2, terms, pay, d("2024-01-25"))
	if err != nil || !al.Settled {
		t.Fatalf("revolving payoff %d: %+v %v %+v", pay, al, err, s3[:2])
	}
}

// TestPenaltyInterest works the penalty out by hand: 12,000.00 元 principal due 2024-02-01 unpaid, 6% a year,
// 30 days to 2024-03-02: 1,200,000 分 × 0.06 × 1.5 × 30 / 360 = 9,000 分.
func TestPenaltyInterest(t *testing.T) {
	inst := []Installment{{No: 1, DueOn: "2024-02-01", Principal: 1_200_000, Interest: 6000}, {No: 2, DueOn: "2024-04-01", Principal: 1_200_000}}
	if got := PenaltyAsOf(inst, 600, d("2024-03-02")); got != 9000 {
		t.Fatalf("penalty %d, want 9000", got)
	}
	// nothing before the due date, nothing on an installment paid on time
	if got := PenaltyAsOf(inst, 600, d("2024-02-01")); got != 0 {
		t.Fatalf("penalty on the due date: %d", got)
	}
	paidOnTime := []Installment{{No: 1, DueOn: "2024-02-01", Principal: 1_200_000, PaidPrincipal: 1_200_000, PaidOn: "2024-02-01"}}
	if got := PenaltyAsOf(paidOnTime, 600, d("2024-06-01")); got != 0 {
		t.Fatalf("penalty after paying on time: %d", got)
	}
	// paid 10 days late: penalty for those 10 days only, and it stays after payment
	late := []Installment{{No: 1, DueOn: "2024-02-01", Principal: 1_200_000, PaidPrincipal: 1_200_000, PaidOn: "2024-02-11"}}
	if got := PenaltyAsOf(late, 600, d("2024-06-01")); got != 3000 {
		t.Fatalf("late payment penalty %d, want 3000", got)
	}
	// half paid: penalty on the unpaid half
	half := []Installment{{No: 1, DueOn: "2024-02-01", Principal: 1_200_000, PaidPrincipal: 600_000}}
	if got := PenaltyAsOf(half, 600, d("2024-03-02")); got != 4500 {
		t.Fatalf("half-paid penalty %d, want 4500", got)
	}
}
