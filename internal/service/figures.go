package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
)

// Service volume: a job counts in 亩次 on the day its work was reported done (done_on, Asia/Shanghai), with its
// accepted area once the farmer accepted it and its reported area before; cancelled jobs never count. 标准亩 is the
// same area × the county catalog's weight of the service (耕 0.36, 种 0.27, 防 0.10, 收 0.27, others 0).

// VolumeFilter narrows the volume figures (the indicator filters service, mode and provider).
type VolumeFilter struct {
	Service, Mode string
	ProviderID    int64
}

type volumeRow struct {
	county, regionCode, month, service, mode string
	provider                                 int64
	centi                                    int64
	jobs                                     int
}

func (s *Service) volumeRows(ctx context.Context, where string, args []any, from, to time.Time, f VolumeFilter) ([]volumeRow, error) {
	where += " AND j.status = 'done' AND j.done_on <> ''"
	if !from.IsZero() {
		where += " AND j.done_on >= ?"
		args = append(args, from.In(web.Shanghai).Format(time.DateOnly))
	}
	if !to.IsZero() {
		where += " AND j.done_on < ?"
		args = append(args, to.In(web.Shanghai).Format(time.DateOnly))
	}
	if f.Service != "" {
		where += " AND j.service = ?"
		args = append(args, f.Service)
	}
	if f.Mode != "" {
		where += " AND j.mode = ?"
		args = append(args, f.Mode)
	}
	if f.ProviderID != 0 {
		where += " AND j.provider_id = ?"
		args = append(args, f.ProviderID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT j.county_code, j.region_code, SUBSTR(j.done_on, 1, 7), j.service, j.mode, j.provider_id,
		SUM(CASE WHEN j.accepted_centi > 0 THEN j.accepted_centi ELSE j.reported_centi END), COUNT(*)
		FROM service_jobs j WHERE `+where+` GROUP BY j.county_code, j.region_code, SUBSTR(j.done_on, 1, 7), j.service, j.mode, j.provider_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("volume: %w", err)
	}
	defer rows.Close()
	var out []volumeRow
	for rows.Next() {
		var r volumeRow
		if err := rows.Scan(&r.county, &r.regionCode, &r.month, &r.service, &r.mode, &r.provider, &r.centi, &r.jobs); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// weights returns a function giving the 标准亩 of (county, service, centi), reading each county's catalog once.
func (s *Service) weights(ctx context.Context) func(county, service string, centi int64) (int64, error) {
	cache := map[string]map[string]Item{}
	return func(county, service string, c int64) (int64, error) {
		items, ok := cache[county]
		if !ok {
			list, err := s.Catalog(ctx, county)
			if err != nil {
				return 0, err
			}
			items = map[string]Item{}
			for _, it := range list {
				items[it.Code] = it
			}
			cache[county] = items
		}
		return StandardMu(items[service], c), nil
	}
}

// VolumeBatch returns 亩次 and 标准亩 (in 亩) for each region prefix over [from, to).
func (s *Service) VolumeBatch(ctx context.Context, prefixes []string, from, to time.Time, f VolumeFilter) (muTimes, standard []float64, err error) {
	where, args := "1 = 1", []any{}
	if len(prefixes) == 1 && prefixes[0] != "" {
		lo, hi := db.PrefixRange(auth.RegionPrefix(prefixes[0]))
		where, args = "j.region_code >= ? AND j.region_code < ?", []any{lo, hi}
	}
	rows, err := s.volumeRows(ctx, where, args, from, to, f)
	if err != nil {
		return nil, nil, err
	}
	w := s.weights(ctx)
	muTimes, standard = make([]float64, len(prefixes)), make([]float64, len(prefixes))
	for _, r := range rows {
		st, err := w(r.county, r.service, r.centi)
		if err != nil {
			return nil, nil, err
		}
		for i, pre := range prefixes {
			if strings.HasPrefix(r.regionCode, auth.RegionPrefix(pre)) {
				muTimes[i] += float64(r.centi) / 100
				standard[i] += float64(st) / 100
			}
		}
	}
	return muTimes, standard, nil
}

// FigureRow is one line of the figures table.
type FigureRow struct {
	Key        string  `json:"key"`
	Label      string  `json:"label"`
	Jobs       int     `json:"jobs"`
	MuTimes    float64 `json:"mu_times" doc:"亩次"`
	StandardMu float64 `json:"standard_mu" doc:"标准亩"`
}

// Figure dimensions.
var FigureDims = []string{"region", "month", "service", "provider", "mode"}

// DimLabel is the Chinese dimension.
func DimLabel(d string) string {
	return map[string]string{"region": "乡镇", "month": "月份", "service": "服务", "provider": "服务主体", "mode": "托管方式"}[d]
}

// Figures aggregates the service volume p may read in [from, to) by one dimension, largest first (months in order).
func (s *Service) Figures(ctx context.Context, p *auth.Principal, by string, from, to time.Time) ([]FigureRow, FigureRow, error) {
	var where string
	var args []any
	if p != nil && p.Is(auth.Provider) {
		ids, err := s.providerIDsOf(ctx, s.db, p)
		if err != nil || len(ids) == 0 {
			return nil, FigureRow{}, err
		}
		ph, a := db.InList(ids)
		where, args = "j.provider_id IN ("+ph+")", a
	} else {
		where, args = scopeSQL(p, "j.region_code", "")
	}
	rows, err := s.volumeRows(ctx, where, args, from, to, VolumeFilter{})
	if err != nil {
		return nil, FigureRow{}, err
	}
	w := s.weights(ctx)
	agg := map[string]*FigureRow{}
	total := FigureRow{Key: "total", Label: "合计"}
	var provIDs []int64
	for _, r := range rows {
		st, err := w(r.county, r.service, r.centi)
		if err != nil {
			return nil, total, err
		}
		var key, label string
		switch by {
		case "month":
			key, label = r.month, r.month
		case "service":
			key, label = r.service, ItemName(r.service)
		case "provider":
			key = fmt.Sprint(r.provider)
			provIDs = append(provIDs, r.provider)
		case "mode":
			key, label = r.mode, ModeLabel(r.mode)
		default:
			key = region.Township(r.regionCode)
			label = s.regions.Name(key)
		}
		a := agg[key]
		if a == nil {
			a = &FigureRow{Key: key, Label: label}
			agg[key] = a
		}
		a.Jobs += r.jobs
		a.MuTimes += float64(r.centi) / 100
		a.StandardMu += float64(st) / 100
		total.Jobs += r.jobs
		total.MuTimes += float64(r.centi) / 100
		total.StandardMu += float64(st) / 100
	}
	if len(provIDs) > 0 {
		ph, a := db.InList(provIDs)
		rs, err := s.db.QueryContext(ctx, `SELECT id, name FROM service_providers WHERE id IN (`+ph+`)`, a...)
		if err != nil {
			return nil, total, err
		}
		for rs.Next() {
			var id int64
			var name string
			if err := rs.Scan(&id, &name); err != nil {
				rs.Close()
				return nil, total, err
			}
			if x := agg[fmt.Sprint(id)]; x != nil {
				x.Label = name
			}
		}
		rs.Close()
	}
	out := make([]FigureRow, 0, len(agg))
	for _, a := range agg {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b FigureRow) int {
		if by == "month" {
			return strings.Compare(a.Key, b.Key)
		}
		if a.MuTimes != b.MuTimes {
			if a.MuTimes > b.MuTimes {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, total, nil
}

// CountProviders counts active providers (listed only, when listed) under a region prefix.
func (s *Service) CountProviders(ctx context.Context, prefixes []string, listed bool) ([]float64, error) {
	q := `SELECT region_code, COUNT(*) FROM service_providers WHERE status = 'active'`
	var args []any
	if listed {
		q += " AND listed = ?"
		args = append(args, true)
	}
	return s.countByPrefix(ctx, q+" GROUP BY region_code", args, prefixes)
}

// CountMachines counts machines in service (not retired) under a region prefix.
func (s *Service) CountMachines(ctx context.Context, prefixes []string, kind string) ([]float64, error) {
	q := `SELECT region_code, COUNT(*) FROM service_machines WHERE status <> 'retired'`
	var args []any
	if kind != "" {
		q += " AND kind = ?"
		args = append(args, kind)
	}
	return s.countByPrefix(ctx, q+" GROUP BY region_code", args, prefixes)
}

func (s *Service) countByPrefix(ctx context.Context, q string, args []any, prefixes []string) ([]float64, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("count by region: %w", err)
	}
	defer rows.Close()
	out := make([]float64, len(prefixes))
	for rows.Next() {
		var code string
		var n float64
		if err := rows.Scan(&code, &n); err != nil {
			return nil, err
		}
		for i, pre := range prefixes {
			if strings.HasPrefix(code, auth.RegionPrefix(pre)) {
				out[i] += n
			}
		}
	}
	return out, rows.Err()
}
