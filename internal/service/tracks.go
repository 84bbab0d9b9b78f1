package service

import (
	"context"
	"fmt"
	"html/template"
	"math"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/service/track"
)

type trackResult struct {
	format, geo string
	widthCm     int64
	m           track.Measure
}

// measureTrack parses an uploaded track and measures it with the width of the job's planned machine (a path-only
// track needs it; a polygon does not).
func (s *Service) measureTrack(ctx context.Context, jobID int64, data string) (*trackResult, error) {
	t, err := track.Parse([]byte(data))
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"track": err.Error()})
	}
	var width int64
	err = s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(m.width_cm), 0) FROM service_jobs j LEFT JOIN service_machines m ON m.id = j.machine_id WHERE j.id = ?`, jobID).Scan(&width)
	if err != nil {
		return nil, fmt.Errorf("machine width: %w", err)
	}
	m, err := t.Area(float64(width) / 100)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"track": err.Error()})
	}
	return &trackResult{format: t.Format, geo: t.GeoJSON(), widthCm: width, m: m}, nil
}

// TrackOf is the latest stored track of a job (GeoJSON FeatureCollection), for the map; "" when none.
func (s *Service) TrackOf(ctx context.Context, jobID int64) (string, string, error) {
	var geo, method string
	rows, err := s.db.QueryContext(ctx, `SELECT geometry, method FROM service_tracks WHERE job_id = ? ORDER BY created_at DESC, id DESC LIMIT 1`, jobID)
	if err != nil {
		return "", "", err
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&geo, &method); err != nil {
			return "", "", err
		}
	}
	return geo, method, rows.Err()
}

// trackSVG draws a stored track small (polygons filled, paths as lines), for the order page; "" when unreadable.
func trackSVG(geo string) template.HTML {
	t, err := track.Parse([]byte(geo))
	if err != nil {
		return ""
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, set := range [][][]track.Point{t.Lines, t.Polygons} {
		for _, l := range set {
			for _, p := range l {
				minX, maxX, minY, maxY = math.Min(minX, p.Lon), math.Max(maxX, p.Lon), math.Min(minY, p.Lat), math.Max(maxY, p.Lat)
			}
		}
	}
	const W, H, pad = 160.0, 120.0, 6.0
	kx := math.Cos((minY + maxY) / 2 * math.Pi / 180)
	scale := math.Min((W-2*pad)/math.Max((maxX-minX)*kx, 1e-7), (H-2*pad)/math.Max(maxY-minY, 1e-7))
	pts := func(l []track.Point) string {
		var b strings.Builder
		for _, p := range l {
			fmt.Fprintf(&b, "%.1f,%.1f ", pad+(p.Lon-minX)*kx*scale, H-pad-(p.Lat-minY)*scale)
		}
		return b.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="track" viewBox="0 0 %.0f %.0f" width="160" height="120" role="img" aria-label="作业轨迹"><rect width="100%%" height="100%%" fill="#f6f8f4"/>`, W, H)
	for _, r := range t.Polygons {
		fmt.Fprintf(&b, `<polygon points="%s" fill="#2e7d32" fill-opacity="0.25" stroke="#2e7d32"/>`, pts(r))
	}
	for _, l := range t.Lines {
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#1f77b4" stroke-width="1.5"/>`, pts(l))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
