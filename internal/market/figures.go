package market

import (
	"context"
	"fmt"
	"time"

	"nongfu/internal/platform/web"
)

// Figures for the plan's dashboard: each honours a region prefix ("" = everywhere) and a half-open period
// [from, to) (zero = open). Contracts count by the seller's region (the county's producer) and the date both
// sides signed; listings by their location and posting date; brand members are subjects holding an authorisation
// valid on the period's last day (today when open).

func periodSQL(col string, from, to time.Time) (string, []any) {
	where, args := "1 = 1", []any{}
	if !from.IsZero() {
		where += " AND " + col + " >= ?"
		args = append(args, from.UTC())
	}
	if !to.IsZero() {
		where += " AND " + col + " < ?"
		args = append(args, to.UTC())
	}
	return where, args
}

// ContractFigures counts signed contracts (in force or fulfilled) and their value in 分 (signed amount plus
// supplements) for each prefix.
func (s *Service) ContractFigures(ctx context.Context, prefixes []string, from, to time.Time) (counts []int64, fen []int64, err error) {
	pw, pa := periodSQL("c.signed_at", from, to)
	for _, pre := range prefixes {
		rw, ra := prefixSQL("c.seller_region", pre)
		var n, v int64
		err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(c.amount_fen + COALESCE((SELECT SUM(x.amount_delta_fen) FROM market_supplements x
			WHERE x.contract_id = c.id), 0)), 0) FROM market_contracts c WHERE c.status IN ('signed', 'fulfilled') AND `+rw+` AND `+pw,
			append(ra, pa...)...).Scan(&n, &v)
		if err != nil {
			return nil, nil, fmt.Errorf("contract figures: %w", err)
		}
		counts, fen = append(counts, n), append(fen, v)
	}
	return counts, fen, nil
}

// ListingCount counts listings posted in the period (side "" = both) for each prefix.
func (s *Service) ListingCount(ctx context.Context, prefixes []string, side string, from, to time.Time) ([]int64, error) {
	pw, pa := periodSQL("l.created_at", from, to)
	if side != "" {
		pw += " AND l.side = ?"
		pa = append(pa, side)
	}
	var out []int64
	for _, pre := range prefixes {
		rw, ra := prefixSQL("l.region_code", pre)
		var n int64
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_listings l WHERE `+rw+` AND `+pw, append(ra, pa...)...).Scan(&n); err != nil {
			return nil, fmt.Errorf("listing count: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}

// BrandMembers counts distinct subjects holding a brand authorisation valid on the day before to (today when to
// is zero) for each prefix; brandID 0 = any brand.
func (s *Service) BrandMembers(ctx context.Context, prefixes []string, brandID int64, to time.Time) ([]int64, error) {
	day := s.today()
	if !to.IsZero() {
		day = to.Add(-time.Nanosecond).In(web.Shanghai).Format("2006-01-02")
	}
	var out []int64
	for _, pre := range prefixes {
		rw, ra := prefixSQL("a.region_code", pre)
		q := `SELECT COUNT(DISTINCT a.subject_id) FROM market_brand_auths a WHERE a.status = 'active' AND a.date_from <= ? AND a.date_to >= ? AND ` + rw
		args := append([]any{day, day}, ra...)
		if brandID != 0 {
			q += " AND a.brand_id = ?"
			args = append(args, brandID)
		}
		var n int64
		if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return nil, fmt.Errorf("brand members: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}

// BrandID finds a brand by name in any county (0 when unknown) — for the brand filter of market.brand_members.
func (s *Service) BrandID(ctx context.Context, name string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 0) FROM market_brands WHERE name = ?`, name).Scan(&id)
	return id, err
}

// SubjectFacts is the subject's marketing history for its credit file (信用档案): contracts signed as seller,
// their value, deliveries on time and receivables paid. Called by the platform for the credit room (no principal).
func (s *Service) SubjectFacts(ctx context.Context, subjectID int64) ([]Fact, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+contractCols+` FROM market_contracts c WHERE c.seller_id = ? AND c.status IN ('signed', 'fulfilled')`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	var list []*OrderContract
	for rows.Next() {
		c, err := scanContract(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, c)
	}
	rows.Close()
	var value, paid, due int64
	var instDue, instMet, fulfilled int
	for _, c := range list {
		if err := s.details(ctx, s.db, c); err != nil {
			return nil, err
		}
		value += c.EffAmountFen
		paid += c.PaidFen
		instDue += c.OnTimeDue
		instMet += c.OnTimeMet
		if c.Status == ContractFulfilled {
			fulfilled++
		}
		// what the buyer should have paid by now: the value of the quantity accepted
		due += min(c.AcceptedQty*c.PriceFen, c.EffAmountFen)
	}
	now := s.now()
	const src = "产销对接模块"
	facts := []Fact{
		{Key: "market.contracts", Name: "订单农业合同（卖方）", Value: fmt.Sprintf("%d 份，已履约 %d 份", len(list), fulfilled), Number: float64(len(list)), AsOf: now, Source: src},
		{Key: "market.contract_value_yuan", Name: "订单合同金额", Value: web.FormatFen(value) + " 元", Number: float64(value) / 100, AsOf: now, Source: src},
	}
	if instDue > 0 {
		facts = append(facts, Fact{Key: "market.on_time_pct", Name: "按期交货率", Value: fmt.Sprintf("%d/%d 期按期交足（%.0f%%）", instMet, instDue,
			100*float64(instMet)/float64(instDue)), Number: 100 * float64(instMet) / float64(instDue), AsOf: now, Source: src})
	}
	if due > 0 {
		facts = append(facts, Fact{Key: "market.paid_pct", Name: "货款回收率（已付/已验收货值）", Value: fmt.Sprintf("%s / %s 元（%.0f%%）",
			web.FormatFen(paid), web.FormatFen(due), 100*float64(min(paid, due))/float64(due)), Number: 100 * float64(min(paid, due)) / float64(due), AsOf: now, Source: src})
	}
	return facts, nil
}

// Counterparties lists the subjects this subject signed order contracts with, signed in [from, to).
func (s *Service) Counterparties(ctx context.Context, subjectID int64, from, to time.Time) ([]int64, error) {
	pw, pa := periodSQL("signed_at", from, to)
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT CASE WHEN seller_id = ? THEN buyer_id ELSE seller_id END FROM market_contracts
		WHERE (seller_id = ? OR buyer_id = ?) AND status IN ('signed', 'fulfilled') AND `+pw+` ORDER BY 1`, append([]any{subjectID, subjectID, subjectID}, pa...)...)
	if err != nil {
		return nil, fmt.Errorf("counterparties: %w", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
