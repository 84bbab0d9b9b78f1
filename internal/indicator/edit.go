package indicator

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

// parseNumber reads a figure as staff type it: "1,234.5", "１２" are not accepted, "1234.5" and "1,234" are.
func parseNumber(s string) (float64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	return strconv.ParseFloat(s, 64)
}

func orNoFilter(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Effective is the indicator as it is computed now: its own source when registered, else its registered stand-in.
func (s *Service) Effective(x Indicator) Indicator {
	if _, ok := s.Sources.Get(x.Source); ok || x.Fallback == "" {
		return x
	}
	if _, ok := s.Sources.Get(x.Fallback); !ok {
		return x
	}
	x.Source, x.Filter = x.Fallback, orNoFilter(x.FallbackFilter)
	return x
}

// Rebind moves an indicator from one source to another (with a stand-in) when it is still bound to from — the
// plan's KPIs rebound to better sources on databases loaded before; an indicator staff re-pointed is left alone.
func (s *Service) Rebind(ctx context.Context, tx *db.Tx, key, from, to string, filter map[string]string, fallback string, fallbackFilter map[string]string) (bool, error) {
	f, _ := json.Marshal(orNoFilter(filter))
	ff, _ := json.Marshal(orNoFilter(fallbackFilter))
	res, err := tx.ExecContext(ctx, `UPDATE indicators SET source = ?, filter = ?, fallback = ?, fallback_filter = ?, updated_at = ? WHERE key = ? AND source = ?`,
		to, string(f), fallback, string(ff), s.now().UTC().Truncate(time.Microsecond), key, from)
	if err != nil {
		return false, fmt.Errorf("rebind %s: %w", key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "update", Entity: "indicator",
		Summary: "指标 " + key + " 改为取数据源 " + to + "（原 " + from + "）", After: map[string]any{"source": to, "filter": filter, "fallback": fallback}})
}

// UpdateIndicator edits an indicator's definition (its key stays). A changed source must be registered; an
// unchanged one may still be unregistered (a plan KPI whose room is not built yet).
func (s *Service) UpdateIndicator(ctx context.Context, p *auth.Principal, key string, x Indicator) (Indicator, error) {
	if err := canConfigure(p); err != nil {
		return x, err
	}
	before, err := s.GetIndicator(ctx, key)
	if err != nil {
		return x, err
	}
	x.Key = key
	if err := s.validate(&x, false); err != nil {
		return x, err
	}
	f := map[string]string{}
	if _, ok := s.Sources.Get(x.Source); !ok && x.Source != before.Source {
		f["source"] = "未注册的数据源"
	}
	if _, ok := s.Sources.Get(x.Denominator); x.Aggregation == AggRatio && !ok && x.Denominator != before.Denominator {
		f["denominator"] = "未注册的数据源"
	}
	if len(f) > 0 {
		return x, apperr.FieldErrors(f)
	}
	x.CreatedAt = before.CreatedAt
	x.UpdatedAt = s.now().UTC().Truncate(time.Microsecond)
	x.Fallback, x.FallbackFilter = before.Fallback, before.FallbackFilter
	filter, _ := json.Marshal(x.Filter)
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE indicators SET name = ?, unit = ?, format = ?, aggregation = ?, source = ?, denominator = ?, filter = ?,
			description = ?, updated_at = ? WHERE key = ?`, x.Name, x.Unit, x.Format, x.Aggregation, x.Source, x.Denominator, string(filter), x.Description,
			x.UpdatedAt, key); err != nil {
			return fmt.Errorf("update indicator: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "indicator", Summary: "修改指标 " + x.Name + "（" + x.Key + "）",
			Before: before, After: x})
	})
	return x, err
}

// TargetRow is a target with the region's code, for listing.
type TargetRow struct {
	Target
	UpdatedAt time.Time `json:"updated_at"`
}

// ListTargets returns an indicator's targets in the caller's scope (every region), ordered by region and year.
func (s *Service) ListTargets(ctx context.Context, p *auth.Principal, key string) ([]TargetRow, error) {
	if err := CanRead(p); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT indicator_key, region_code, year, value, note, updated_at FROM indicator_targets WHERE indicator_key = ?
		ORDER BY region_code, year`, key)
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	defer rows.Close()
	var out []TargetRow
	for rows.Next() {
		var t TargetRow
		if err := rows.Scan(&t.IndicatorKey, &t.RegionCode, &t.Year, &t.Value, &t.Note, &t.UpdatedAt); err != nil {
			return nil, err
		}
		if inScope(p, t.RegionCode) {
			out = append(out, t)
		}
	}
	return out, rows.Err()
}

// TargetsFor returns an indicator's targets for many regions (exact codes) and a year: code → value (absent if
// unset).
func (s *Service) TargetsFor(ctx context.Context, key string, year int) (map[string]float64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT region_code, value FROM indicator_targets WHERE indicator_key = ? AND year = ?`, key, year)
	if err != nil {
		return nil, fmt.Errorf("targets for: %w", err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var c string
		var v float64
		if err := rows.Scan(&c, &v); err != nil {
			return nil, err
		}
		out[c] = v
	}
	return out, rows.Err()
}
