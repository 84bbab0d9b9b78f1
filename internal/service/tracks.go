package service

import (
	"context"
	"fmt"

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
