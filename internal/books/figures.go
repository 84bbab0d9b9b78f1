package books

import (
	"context"
	"fmt"
	"strings"
	"time"

	"nongfu/internal/platform/web"
)

// Figures for the plan dashboard (indicator sources wired in internal/app/wire_books.go). Each answers many region
// prefixes in one query (grouped in Go), reads without a principal, and honours the half-open period [from, to).

// FigureFilter narrows a figure.
type FigureFilter struct {
	From, To time.Time
	Kind     string // books.orgs: registry kind (cooperative, village_collective, family_farm)
}

func day(t time.Time) string { return t.In(web.Shanghai).Format("2006-01-02") }

func byPrefix(prefixes []string, rows func(add func(region string, v float64)) error) ([]float64, error) {
	out := make([]float64, len(prefixes))
	err := rows(func(region string, v float64) {
		for i, p := range prefixes {
			if strings.HasPrefix(region, p) {
				out[i] += v
			}
		}
	})
	return out, err
}

func (s *Service) grouped(ctx context.Context, prefixes []string, q string, args ...any) ([]float64, error) {
	return byPrefix(prefixes, func(add func(string, float64)) error {
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("books figure: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var region string
			var v int64
			if err := rows.Scan(&region, &v); err != nil {
				return err
			}
			add(region, float64(v))
		}
		return rows.Err()
	})
}

// FigureOrgs counts organisations under bookkeeping service (active, put under service before f.To).
func (s *Service) FigureOrgs(ctx context.Context, f FigureFilter, prefixes []string) ([]float64, error) {
	q := `SELECT region_code, COUNT(*) FROM books WHERE status = 'active'`
	var args []any
	if f.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	if !f.To.IsZero() {
		q += ` AND start_period < ?`
		args = append(args, f.To.In(web.Shanghai).Format("2006-01-02"))
	}
	return s.grouped(ctx, prefixes, q+` GROUP BY region_code`, args...)
}

// FigureVouchers counts posted vouchers whose date falls in [f.From, f.To).
func (s *Service) FigureVouchers(ctx context.Context, f FigureFilter, prefixes []string) ([]float64, error) {
	q := `SELECT b.region_code, COUNT(*) FROM books_vouchers v JOIN books b ON b.id = v.book_id WHERE v.status = 'posted'`
	var args []any
	if !f.From.IsZero() {
		q += ` AND v.voucher_date >= ?`
		args = append(args, day(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND v.voucher_date < ?`
		args = append(args, day(f.To))
	}
	return s.grouped(ctx, prefixes, q+` GROUP BY b.region_code`, args...)
}

// FigureShareCapital sums members' capital (股金 from the share register, posted, net of transfers) at f.To, in 元.
func (s *Service) FigureShareCapital(ctx context.Context, f FigureFilter, prefixes []string) ([]float64, error) {
	q := `SELECT b.region_code, COALESCE(SUM(e.amount), 0) FROM books_member_entries e JOIN books b ON b.id = e.book_id WHERE e.kind = 'capital' AND ` + countsSQL
	var args []any
	if !f.To.IsZero() {
		q += ` AND e.entry_date < ?`
		args = append(args, day(f.To))
	}
	out, err := s.grouped(ctx, prefixes, q+` GROUP BY b.region_code`, args...)
	for i := range out {
		out[i] /= 100
	}
	return out, err
}
