package credit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
)

// Figures of the room for the plan's indicators (region × period), answered for many region prefixes in one pass.

// Figure is what the room counts under one region prefix.
type Figure struct {
	BalanceFen       int64 // outstanding principal of loans being repaid, as of the date
	OverdueFen       int64 // of which loans with any installment overdue
	RatedSubjects    int   // distinct subjects rated before the date
	CreditHouseholds int   // households that are 信用户 in their latest completed batch before the date
	CreditVillages   int   // villages that are 信用村 in their latest completed batch before the date
}

// OverdueRatioPct is overdue balance / balance × 100.
func (f Figure) OverdueRatioPct() float64 {
	if f.BalanceFen == 0 {
		return 0
	}
	return float64(f.OverdueFen) * 100 / float64(f.BalanceFen)
}

// Figures computes the figures of every prefix (each a code prefix, "" = everywhere) as of the end of the period
// (asOf; zero = today).
func (s *Service) Figures(ctx context.Context, prefixes []string, asOf time.Time) ([]Figure, error) {
	out := make([]Figure, len(prefixes))
	if asOf.IsZero() {
		asOf = s.now()
	}
	day := dateOnly(asOf.In(web.Shanghai))
	add := func(code string, fn func(f *Figure)) {
		for i, p := range prefixes {
			if strings.HasPrefix(code, p) {
				fn(&out[i])
			}
		}
	}
	// balances: installments of loans disbursed before the date
	rows, err := s.db.QueryContext(ctx, `SELECT l.id, l.region_code, i.no, i.due_on, i.principal, i.interest, i.paid_principal, i.paid_interest, i.paid_on
		FROM loans l JOIN loan_installments i ON i.loan_id = l.id WHERE l.status = 'disbursed' AND l.disbursed_on < ? ORDER BY l.id, i.no`, FormatDate(day))
	if err != nil {
		return nil, fmt.Errorf("figures loans: %w", err)
	}
	var cur int64 = -1
	var curRegion string
	var inst []Installment
	flush := func() {
		if cur < 0 {
			return
		}
		o := OverdueAsOf(inst, day)
		add(curRegion, func(f *Figure) {
			f.BalanceFen += o.OutstandingBalance
			if o.Days > 0 {
				f.OverdueFen += o.OutstandingBalance
			}
		})
	}
	for rows.Next() {
		var id int64
		var reg string
		var i Installment
		if err := rows.Scan(&id, &reg, &i.No, &i.DueOn, &i.Principal, &i.Interest, &i.PaidPrincipal, &i.PaidInterest, &i.PaidOn); err != nil {
			rows.Close()
			return nil, err
		}
		if id != cur {
			flush()
			cur, curRegion, inst = id, reg, inst[:0]
		}
		inst = append(inst, i)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	flush()
	end := day.AddDate(0, 0, 1).Add(-8 * time.Hour) // midnight after the day in Shanghai, as UTC
	if err := s.groupCount(ctx, `SELECT region_code, COUNT(DISTINCT subject_id) FROM ratings WHERE rated_at < ? GROUP BY region_code`, []any{end},
		func(code string, n int) { add(code, func(f *Figure) { f.RatedSubjects += n }) }); err != nil {
		return nil, err
	}
	if err := s.groupCount(ctx, `SELECT r.village_code, COUNT(*) FROM credit_batch_rows r
		JOIN (SELECT r2.subject_id, MAX(r2.batch_id) AS bid FROM credit_batch_rows r2 JOIN credit_batches b ON b.id = r2.batch_id
		      WHERE b.status = 'done' AND b.finished_at < ? GROUP BY r2.subject_id) last ON last.subject_id = r.subject_id AND last.bid = r.batch_id
		WHERE r.kind = 'household' AND r.credit_household = 1 GROUP BY r.village_code`, []any{end},
		func(code string, n int) { add(code, func(f *Figure) { f.CreditHouseholds += n }) }); err != nil {
		return nil, err
	}
	if err := s.groupCount(ctx, `SELECT v.village_code, COUNT(*) FROM credit_batch_villages v
		JOIN (SELECT v2.village_code, MAX(v2.batch_id) AS bid FROM credit_batch_villages v2 JOIN credit_batches b ON b.id = v2.batch_id
		      WHERE b.status = 'done' AND b.finished_at < ? GROUP BY v2.village_code) last ON last.village_code = v.village_code AND last.bid = v.batch_id
		WHERE v.credit_village = 1 GROUP BY v.village_code`, []any{end},
		func(code string, n int) { add(code, func(f *Figure) { f.CreditVillages += n }) }); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) groupCount(ctx context.Context, q string, args []any, fn func(code string, n int)) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("figures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return err
		}
		fn(code, n)
	}
	return rows.Err()
}

// RatedBefore reports which of ids have a rating before t.
func (s *Service) RatedBefore(ctx context.Context, ids []int64, t time.Time) (map[int64]bool, error) {
	out := map[int64]bool{}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		in, args := db.InList(part)
		rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT subject_id FROM ratings WHERE rated_at < ? AND subject_id IN (`+in+`)`, append([]any{t}, args...)...)
		if err != nil {
			return nil, fmt.Errorf("rated: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
