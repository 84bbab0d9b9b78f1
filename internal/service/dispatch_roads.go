package service

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/region"
	"nongfu/internal/solve/dispatch"
)

// roadFactor turns straight-line km into road km where no imported distance exists (the solver's default).
const roadFactor = 1.3

// roadKm holds imported road distances between region codes (villages or townships), by "from|to".
type roadKm map[string]float64

// roadsOf loads the imported distances of a county.
func (s *Service) roadsOf(ctx context.Context, q db.Querier, county string) (roadKm, error) {
	rows, err := q.QueryContext(ctx, `SELECT from_code, to_code, metres FROM service_road_km WHERE county_code = ?`, county)
	if err != nil {
		return nil, fmt.Errorf("road distances: %w", err)
	}
	defer rows.Close()
	out := roadKm{}
	for rows.Next() {
		var a, b string
		var m int64
		if err := rows.Scan(&a, &b, &m); err != nil {
			return nil, err
		}
		out[a+"|"+b] = float64(m) / 1000
	}
	return out, rows.Err()
}

// lookup finds the road km between two points by their region codes: the pair itself, else the pair of their
// townships. Points in the same village (or with no code) have no entry: the caller falls back to the road factor.
func (r roadKm) lookup(a, b string) (float64, bool) {
	if a == "" || b == "" || a == b {
		return 0, false
	}
	if km, ok := r[a+"|"+b]; ok {
		return km, true
	}
	ta, tb := region.Township(a), region.Township(b)
	if ta != "" && tb != "" && ta != tb && (ta != a || tb != b) {
		km, ok := r[ta+"|"+tb]
		return km, ok
	}
	return 0, false
}

func straightKm(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371.0
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lng2-lng1)*math.Pi/180
	h := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(min(1, h)))
}

// applyRoads gives every machine base and job a matrix index and fills Instance.Matrix: imported road km where the
// two points' villages (or townships) have a row, straight-line × 1.3 otherwise. codes[i] is point i's region code.
// It returns how many ordered pairs used imported km (0 = no matrix set, the solver's road factor applies).
func applyRoads(inst *dispatch.Instance, baseCodes, jobCodes []string, roads roadKm) int {
	if len(roads) == 0 {
		return 0
	}
	var locs []*dispatch.Location
	var codes []string
	for i := range inst.Machines {
		locs, codes = append(locs, &inst.Machines[i].Base), append(codes, baseCodes[i])
	}
	for i := range inst.Jobs {
		locs, codes = append(locs, &inst.Jobs[i].Loc), append(codes, jobCodes[i])
	}
	n := len(locs)
	mat := make([][]float64, n)
	used := 0
	for i := range n {
		locs[i].Index = i
		mat[i] = make([]float64, n)
		for k := range n {
			if i == k {
				continue
			}
			if km, ok := roads.lookup(codes[i], codes[k]); ok {
				mat[i][k] = km
				used++
				continue
			}
			mat[i][k] = straightKm(locs[i].Lat, locs[i].Lon, locs[k].Lat, locs[k].Lon) * roadFactor
		}
	}
	if used > 0 {
		inst.Matrix = mat
	}
	return used
}

// roadImporter imports a road-distance table for dispatch: rows of from point, to point, km, where a point is a
// village or township (code or full name). Distances are taken as symmetric: each row also sets the reverse pair
// unless the file gives it; a later import of a pair replaces it.
type roadImporter struct{ s *Service }

func (roadImporter) Name() string  { return "service_road_km" }
func (roadImporter) Title() string { return "调度道路里程" }
func (roadImporter) Columns() []imports.Column {
	return []imports.Column{
		{Key: "from", Header: "起点", Required: true, Note: "村或乡镇的区划代码或名称", Example: "500237101201"},
		{Key: "to", Header: "终点", Required: true, Note: "村或乡镇的区划代码或名称", Example: "500237102000"},
		{Key: "km", Header: "道路里程（公里）", Required: true, Example: "12.5"},
	}
}

func (im roadImporter) point(p *auth.Principal, v string) (string, string) {
	v = strings.TrimSpace(v)
	rg, ok := im.s.regions.Get(v)
	if !ok {
		for _, c := range im.s.regions.Search(v, 20) {
			if c.Name == v || c.FullName == v {
				rg, ok = c, true
				break
			}
		}
	}
	if !ok {
		return "", "找不到该村或乡镇：" + v
	}
	if !p.InRegion(rg.Code) {
		return "", "该区域不在您的管辖范围内：" + rg.FullName
	}
	return rg.Code, ""
}

func (im roadImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	if !isStaff(p) {
		return false, rowErr("from", "只有县级管理员和乡镇操作员可以导入道路里程")
	}
	a, msg := im.point(p, row["from"])
	if msg != "" {
		return false, rowErr("from", msg)
	}
	b, msg := im.point(p, row["to"])
	if msg != "" {
		return false, rowErr("to", msg)
	}
	if a == b {
		return false, rowErr("to", "起点和终点相同")
	}
	km, err := strconv.ParseFloat(strings.TrimSpace(row["km"]), 64)
	if err != nil || km <= 0 || km > 1000 || math.IsNaN(km) {
		return false, rowErr("km", "道路里程应为 0–1000 之间的公里数")
	}
	m := int64(math.Round(km * 1000))
	if _, err := tx.ExecContext(ctx, `INSERT INTO service_road_km (county_code, from_code, to_code, metres) VALUES (?, ?, ?, ?)
		ON CONFLICT (from_code, to_code) DO UPDATE SET metres = excluded.metres`, region.County(a), a, b, m); err != nil {
		return false, fmt.Errorf("road km: %w", err)
	}
	// the reverse pair too, unless the table already has one (a row for it, earlier or later, wins)
	if _, err := tx.ExecContext(ctx, `INSERT INTO service_road_km (county_code, from_code, to_code, metres) VALUES (?, ?, ?, ?)
		ON CONFLICT (from_code, to_code) DO NOTHING`, region.County(b), b, a, m); err != nil {
		return false, fmt.Errorf("road km reverse: %w", err)
	}
	return true, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "import", Entity: "service_road_km",
		Summary: fmt.Sprintf("导入调度道路里程 %s—%s %.1f 公里", im.s.regions.Name(a), im.s.regions.Name(b), km), After: map[string]any{"from": a, "to": b, "km": km}})
}
