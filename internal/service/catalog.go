package service

import (
	"context"
	"fmt"
	"math"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

// Catalog returns a county's catalog: the defaults with the county's overrides (county = 6-digit code).
func (s *Service) Catalog(ctx context.Context, county string) ([]Item, error) {
	return s.catalog(ctx, s.db, county)
}

func (s *Service) catalog(ctx context.Context, q db.Querier, county string) ([]Item, error) {
	rows, err := q.QueryContext(ctx, `SELECT code, price_fen, weight_k, due_hours, updated_by FROM service_catalog WHERE county_code = ?`, county)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	defer rows.Close()
	type ov struct {
		price, weightK int64
		due            int
		by             string
	}
	ovs := map[string]ov{}
	for rows.Next() {
		var code string
		var o ov
		if err := rows.Scan(&code, &o.price, &o.weightK, &o.due, &o.by); err != nil {
			return nil, err
		}
		ovs[code] = o
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Item, 0, len(defaultCatalog))
	for _, d := range defaultCatalog {
		it, _ := defaultItem(d.Code)
		it.Seasons = append([]Season(nil), d.Seasons...)
		if o, ok := ovs[d.Code]; ok {
			it.PriceFen, it.weightK, it.Weight, it.DueHours, it.UpdatedBy, it.Custom = o.price, o.weightK, float64(o.weightK)/1000, o.due, o.by, o.by != ""
		}
		out = append(out, it)
	}
	return out, nil
}

// CatalogFor is the catalog of p's county.
func (s *Service) CatalogFor(ctx context.Context, p *auth.Principal) ([]Item, error) {
	if !canSee(p) {
		return nil, errReadOnly
	}
	county, err := s.countyOf(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.Catalog(ctx, county)
}

// Item returns one catalog item of a county.
func (s *Service) Item(ctx context.Context, county, code string) (Item, error) {
	list, err := s.Catalog(ctx, county)
	if err != nil {
		return Item{}, err
	}
	for _, it := range list {
		if it.Code == code {
			return it, nil
		}
	}
	return Item{}, apperr.New(apperr.NotFound, "服务目录中没有该服务")
}

// UpdateItem changes a catalog item's price, 标准亩 weight or due hours for the county admin's county (audited).
func (s *Service) UpdateItem(ctx context.Context, p *auth.Principal, code string, in ItemPatch) (Item, error) {
	if p == nil || !p.Is(auth.CountyAdmin) {
		return Item{}, apperr.New(apperr.Forbidden, "只有县级管理员可以调整服务目录")
	}
	county, err := s.countyOf(ctx, p)
	if err != nil {
		return Item{}, err
	}
	old, err := s.Item(ctx, county, code)
	if err != nil {
		return Item{}, err
	}
	next := old
	fields := map[string]string{}
	if in.PriceFen != nil {
		if *in.PriceFen < 0 || *in.PriceFen > 100_000_000 {
			fields["price_fen"] = "价格应在 0–100 万元之间（以分计）"
		}
		next.PriceFen = *in.PriceFen
	}
	if in.Weight != nil {
		w := *in.Weight
		if math.IsNaN(w) || w < 0 || w > 1 {
			fields["weight"] = "标准亩系数应在 0–1 之间"
		} else if old.Group != GroupProduction && w != 0 {
			fields["weight"] = "只有生产服务折算标准亩"
		}
		next.weightK = int64(math.Round(w * 1000))
		next.Weight = float64(next.weightK) / 1000
	}
	if in.DueHours != nil {
		if old.Group != GroupCenter {
			fields["due_hours"] = "只有中心服务有办结时限"
		} else if *in.DueHours < 1 || *in.DueHours > 2400 {
			fields["due_hours"] = "办结时限应在 1–2400 个工作小时之间"
		}
		next.DueHours = *in.DueHours
	}
	if len(fields) > 0 {
		return Item{}, apperr.FieldErrors(fields)
	}
	next.Custom, next.UpdatedBy = true, displayName(p)
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.saveItem(ctx, tx, p.Actor(), county, old, next, s.nowUTC())
	})
	if err != nil {
		return Item{}, err
	}
	return next, nil
}

func (s *Service) saveItem(ctx context.Context, tx *db.Tx, actor audit.Actor, county string, old, next Item, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE service_catalog SET price_fen = ?, weight_k = ?, due_hours = ?, updated_by = ?, updated_at = ?
		WHERE county_code = ? AND code = ?`, next.PriceFen, next.weightK, next.DueHours, next.UpdatedBy, now, county, next.Code)
	if err != nil {
		return fmt.Errorf("update catalog: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_catalog (county_code, code, price_fen, weight_k, due_hours, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, county, next.Code, next.PriceFen, next.weightK, next.DueHours, next.UpdatedBy, now); err != nil {
			return fmt.Errorf("insert catalog: %w", err)
		}
	}
	item := func(it Item) map[string]any {
		return map[string]any{"price_fen": it.PriceFen, "weight": it.Weight, "due_hours": it.DueHours}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "update", Entity: "service_catalog", EntityID: 0,
		Summary: "调整服务目录：" + next.Name + "（" + county + "）", Before: item(old), After: item(next)})
}

// StandardMu converts an area in 0.01 亩 served with a production service into 标准亩 (0.01 亩), rounded half up.
func StandardMu(it Item, centiMu int64) int64 {
	return (centiMu*it.weightK + 500) / 1000
}
