package credit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// demoSubject is what the seeder needs to know of a subject.
type demoSubject struct {
	id         int64
	kind       string
	regionCode string
	industries []string
}

// demoSubjects reads subjects inside tx. The demo loader may create the register in the same, uncommitted
// transaction, which registry.Service.Lookup (reader pool) cannot see, so this one read goes to the register's table
// directly — the documented exception to "rooms talk through Go APIs", as in the federation room's seeder.
func demoSubjects(ctx context.Context, tx *db.Tx, ids []int64) (map[int64]demoSubject, error) {
	out := make(map[int64]demoSubject, len(ids))
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, kind, region_code, industries FROM subjects WHERE status = 'active' AND id IN (`+
			strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("demo subjects: %w", err)
		}
		for rows.Next() {
			var x demoSubject
			var ind string
			if err := rows.Scan(&x.id, &x.kind, &x.regionCode, &ind); err != nil {
				rows.Close()
				return nil, err
			}
			x.industries = splitList(ind)
			out[x.id] = x
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type demoProduct struct {
	ProductInput
	id, inst int64
	county   string
}

// SeedDemo adds products for the banks, consents for a few hundred of the subjects (some expired, some revoked)
// and loans with 18 months of repayment history (most current, some overdue in every bucket, some settled), as of
// asOf. Deterministic (fixed seed); bulk inserts.
func (s *Service) SeedDemo(ctx context.Context, tx *db.Tx, banks []int64, subjects []int64, asOf time.Time) error {
	if len(banks) == 0 || len(subjects) == 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(5, 2024))
	asOf = dateOnly(asOf.In(time.UTC))
	now := time.Now().UTC()
	facts, err := demoSubjects(ctx, tx, append(append([]int64(nil), banks...), subjects...))
	if err != nil {
		return err
	}
	bank := func(i int) int64 { return banks[i%len(banks)] }
	const wan = 1_000_000 // 1 万元 in 分
	prods := []*demoProduct{
		{ProductInput: ProductInput{Name: "脆李贷", Industry: "脆李", LoanType: "信用", AmountMin: 1 * wan, AmountMax: 30 * wan, TermMin: 12, TermMax: 36, RateBP: 435, RateMaxBP: 550, Method: string(Annuity)}, inst: bank(0)},
		{ProductInput: ProductInput{Name: "信用户专享贷", LoanType: "信用", AmountMin: 1 * wan, AmountMax: 20 * wan, TermMin: 6, TermMax: 24, RateBP: 395, RateMaxBP: 450, Method: string(Annuity),
			MinGrade: "AA", MembersOnly: true, Description: "信用等级 AA 及以上的农合联会员"}, inst: bank(0)},
		{ProductInput: ProductInput{Name: "柑橘贷", Industry: "柑橘", LoanType: "保证", AmountMin: 1 * wan, AmountMax: 50 * wan, TermMin: 12, TermMax: 36, RateBP: 450, RateMaxBP: 600, Method: string(EqualPrincipal)}, inst: bank(0)},
		{ProductInput: ProductInput{Name: "中药材贷", Industry: "中药材", LoanType: "抵押", Collateral: "土地经营权", AmountMin: 2 * wan, AmountMax: 100 * wan, TermMin: 12, TermMax: 36, RateBP: 420, RateMaxBP: 520, Method: string(InterestOnly)}, inst: bank(1)},
		{ProductInput: ProductInput{Name: "农户信用贷", LoanType: "信用", AmountMin: 1 * wan, AmountMax: 10 * wan, TermMin: 12, TermMax: 36, RateBP: 480, RateMaxBP: 650, Method: string(Revolving),
			Kinds: []string{"household", "family_farm"}}, inst: bank(1)},
		{ProductInput: ProductInput{Name: "农机抵押贷", LoanType: "抵押", Collateral: "农机具", AmountMin: 5 * wan, AmountMax: 200 * wan, TermMin: 12, TermMax: 36, RateBP: 400, RateMaxBP: 500, Method: string(Annuity),
			Kinds: []string{"family_farm", "cooperative", "enterprise"}}, inst: bank(0)},
	}
	var prodRows [][]any
	for _, p := range prods {
		p.id = tx.NextID()
		p.county = "500237"
		if f, ok := facts[p.inst]; ok {
			p.county = region.County(f.regionCode)
		}
		if p.Industry != "" {
			p.Industries = []string{p.Industry}
		}
		prodRows = append(prodRows, []any{p.id, p.county, p.inst, p.Name, p.Industry, p.LoanType, p.Collateral, p.AmountMin, p.AmountMax, p.TermMin, p.TermMax,
			p.RateBP, p.RateMaxBP, p.Method, joinList(p.Industries), "", joinList(p.Kinds), "演示产品", "active", now, p.MinGrade, p.MembersOnly, now})
	}
	if err := tx.InsertRows(ctx, "loan_products", strings.Split(strings.ReplaceAll(productCols+", updated_at", "\n\t", " "), ", "), prodRows, 50); err != nil {
		return err
	}
	pick := func(x demoSubject) *demoProduct {
		for _, p := range prods {
			if p.Industry != "" && slices.Contains(x.industries, p.Industry) {
				return p
			}
		}
		for _, p := range prods {
			if p.Industry == "" && slices.Contains(p.Kinds, x.kind) {
				return p
			}
		}
		return nil
	}
	var consentRows, loanRows, instRows, moveRows, eventRows [][]any
	n := 0
	for _, sid := range subjects {
		x, ok := facts[sid]
		if !ok || isInstitution(x.kind) || n >= 400 {
			continue
		}
		p := pick(x)
		if p == nil {
			continue
		}
		n++
		cid := tx.NextID()
		roll := r.IntN(100)
		from := AddMonths(asOf, -19)
		to := AddMonths(asOf, 17)
		status, revokedAt, revokedBy := ConsentActive, any(nil), ""
		switch {
		case roll < 8: // expired
			from, to = AddMonths(asOf, -30), AddMonths(asOf, -6)
		case roll < 15: // revoked
			status, revokedAt, revokedBy = ConsentRevoked, now.AddDate(0, 0, -r.IntN(60)-1), "demo"
		}
		onBehalf := r.IntN(3) == 0
		consentRows = append(consentRows, []any{cid, region.County(x.regionCode), x.regionCode, x.id, p.inst, Purposes[r.IntN(2)], FormatDate(from), FormatDate(to),
			status, onBehalf, nil, "演示数据", 0, "demo", now, revokedAt, revokedBy, ""})
		if roll < 15 || r.IntN(100) >= 70 { // ~60 % of consenting subjects borrow
			continue
		}
		lid := tx.NextID()
		months := []int{12, 24, 36}[r.IntN(3)]
		amount := (p.AmountMin + r.Int64N((min(p.AmountMax, 30*wan)-p.AmountMin)/(wan/10)+1)*(wan/10))
		rate := p.RateBP + r.IntN(p.RateMaxBP-p.RateBP+1)
		m := Method(p.Method)
		status = LoanDisbursed
		applied := AddMonths(asOf, -1-r.IntN(18)).AddDate(0, 0, -r.IntN(20))
		disbursed := applied.AddDate(0, 0, 3+r.IntN(10))
		behaviour := r.IntN(100)
		if behaviour >= 95 { // still in review
			status = LoanApplied
			applied = asOf.AddDate(0, 0, -r.IntN(10))
		} else if behaviour >= 92 {
			status = LoanRejected
		}
		if disbursed.After(asOf) && status == LoanDisbursed {
			disbursed = asOf
		}
		events := [][2]string{{"", LoanApplied}}
		var inst []Installment
		var moves []Move
		var moveRecs [][]any
		closed := ""
		if status == LoanDisbursed {
			events = append(events, [2]string{LoanApplied, LoanApproved}, [2]string{LoanApproved, LoanSigned}, [2]string{LoanSigned, LoanDisbursed})
			if m == Revolving {
				inst = RevolvingSchedule(disbursed, months, rate, amount)
			} else {
				inst, err = Schedule(ScheduleInput{Principal: amount, RateBP: rate, Months: months, Method: m, Start: disbursed})
				if err != nil {
					return err
				}
			}
			moves = []Move{{On: disbursed, Principal: amount}}
			moveRecs = append(moveRecs, []any{tx.NextID(), lid, "draw", FormatDate(disbursed), amount, 0, 0, 0, "demo", now})
			// behaviour: 0–64 pays on time, 65–74 settles early, 75–91 stops paying at a point that lands in a bucket
			stopBefore := asOf.AddDate(1, 0, 0)
			switch {
			case behaviour >= 75 && behaviour < 92:
				stopBefore = asOf.AddDate(0, 0, -[]int{10, 40, 70, 120}[behaviour%4])
			}
			settleOn := time.Time{}
			if behaviour >= 65 && behaviour < 75 {
				settleOn = disbursed.AddDate(0, 2+r.IntN(10), 0)
			}
			t := Terms{Method: m, RateBP: rate, Start: disbursed}
			for k := 0; k < len(inst); k++ {
				due := mustDate(inst[k].DueOn)
				if !settleOn.IsZero() && settleOn.Before(due) && !settleOn.After(asOf) {
					// settle: pay everything owed as of that day
					t.Moves = moves
					owed := PayoffAmount(inst, t, settleOn)
					next, al, err := Allocate(inst, t, owed, settleOn)
					if err != nil {
						break // the demo keeps the loan as it is
					}
					inst = next
					moveRecs = append(moveRecs, []any{tx.NextID(), lid, "repay", FormatDate(settleOn), owed, al.ToOverdueInterest, al.ToInterest, al.ToPrincipal, "demo", now})
					moves = append(moves, Move{On: settleOn, Principal: -al.ToPrincipal})
					break
				}
				if due.After(asOf) || !due.Before(stopBefore) {
					break
				}
				payOn := due
				if r.IntN(10) == 0 {
					payOn = due.AddDate(0, 0, 1+r.IntN(12)) // a little late now and then
				}
				if payOn.After(asOf) {
					break
				}
				amt := inst[k].Due()
				if amt <= 0 {
					continue
				}
				t.Moves = moves
				next, al, err := Allocate(inst, t, amt, payOn)
				if err != nil {
					return fmt.Errorf("demo repayment: %w", err)
				}
				inst = next
				moveRecs = append(moveRecs, []any{tx.NextID(), lid, "repay", FormatDate(payOn), amt, al.ToOverdueInterest, al.ToInterest, al.ToPrincipal, "demo", now})
				if al.ToPrincipal > 0 {
					moves = append(moves, Move{On: payOn, Principal: -al.ToPrincipal})
				}
			}
			if allPaid(inst) {
				status = LoanSettled
				closed = moveRecs[len(moveRecs)-1][3].(string)
				events = append(events, [2]string{LoanDisbursed, LoanSettled})
			}
		} else if status == LoanRejected {
			events = append(events, [2]string{LoanApplied, LoanRejected})
		}
		approvedAmount, approvedRate, approvedMonths, disb, maturity, reason := amount, rate, months, FormatDate(disbursed), "", ""
		switch status {
		case LoanApplied:
			approvedAmount, approvedRate, approvedMonths, disb = 0, 0, 0, ""
		case LoanRejected:
			approvedAmount, approvedRate, approvedMonths, disb, reason, closed = 0, 0, 0, "", "经营流水不足，暂不符合授信条件", FormatDate(applied.AddDate(0, 0, 3))
		}
		if len(inst) > 0 {
			maturity = inst[len(inst)-1].DueOn
		}
		loanRows = append(loanRows, []any{lid, region.County(x.regionCode), x.regionCode, x.id, p.id, p.inst, cid, status, amount, months, "购买农资、扩大生产",
			approvedAmount, approvedRate, approvedMonths, string(m), reason, disb, maturity, closed, onBehalf, 0, "demo", applied, now})
		for _, i := range inst {
			instRows = append(instRows, []any{lid, i.No, i.DueOn, i.Principal, i.Interest, i.PaidPrincipal, i.PaidInterest, i.PaidOn})
		}
		moveRows = append(moveRows, moveRecs...)
		for k, e := range events {
			eventRows = append(eventRows, []any{tx.NextID(), lid, applied.Add(time.Duration(k) * 24 * time.Hour), 0, "demo", e[0], e[1], ""})
		}
	}
	if err := tx.InsertRows(ctx, "consents", []string{"id", "county_code", "region_code", "subject_id", "institution_id", "purpose", "valid_from", "valid_to",
		"status", "on_behalf", "scan_id", "note", "created_by", "created_by_name", "created_at", "revoked_at", "revoked_by_name", "revoke_reason"}, consentRows, 50); err != nil {
		return err
	}
	if err := tx.InsertRows(ctx, "loans", []string{"id", "county_code", "region_code", "subject_id", "product_id", "institution_id", "consent_id", "status",
		"requested_amount", "requested_months", "purpose", "amount", "rate_bp", "months", "method", "reason", "disbursed_on", "maturity_on", "closed_on",
		"on_behalf", "applied_by", "applied_by_name", "applied_at", "updated_at"}, loanRows, 40); err != nil {
		return err
	}
	if err := tx.InsertRows(ctx, "loan_installments", []string{"loan_id", "no", "due_on", "principal", "interest", "paid_principal", "paid_interest", "paid_on"}, instRows, 100); err != nil {
		return err
	}
	if err := tx.InsertRows(ctx, "loan_moves", []string{"id", "loan_id", "kind", "on_date", "amount", "to_overdue_interest", "to_interest", "to_principal", "created_by_name", "created_at"}, moveRows, 90); err != nil {
		return err
	}
	if err := tx.InsertRows(ctx, "loan_events", []string{"id", "loan_id", "at", "actor_id", "actor_name", "from_status", "to_status", "note"}, eventRows, 100); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "seed", Entity: "credit", Summary: fmt.Sprintf("演示数据：贷款产品 %d 个，征信授权 %d 条，贷款 %d 笔",
		len(prodRows), len(consentRows), len(loanRows))})
}
