package audit

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"nongfu/internal/platform/db"
)

// Since returns the records of the given entities after seq, oldest first, at most limit: a change feed for
// incremental sync (the audit trail already records every write with a gap-free sequence, so the sequence is the
// change cursor).
func Since(ctx context.Context, q db.Querier, entities []string, after int64, limit int) ([]Record, error) {
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	args := []any{after}
	w := ""
	if len(entities) > 0 {
		w = " AND entity IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(entities)), ", ") + ")"
		for _, e := range entities {
			args = append(args, e)
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT `+cols+` FROM audit_log WHERE seq > ?`+w+` ORDER BY seq LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("audit since: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Head is the latest sequence number of the trail (0 when empty).
func Head(ctx context.Context, q db.Querier) (int64, error) {
	var seq int64
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_head`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("audit head: %w", err)
	}
	return seq, nil
}

// LastChange is the time and sequence of the latest record of the given entities (zero when none).
func LastChange(ctx context.Context, q db.Querier, entities []string) (seq int64, at time.Time, err error) {
	args := make([]any, len(entities))
	for i, e := range entities {
		args[i] = e
	}
	var s sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT MAX(seq) FROM audit_log WHERE entity IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(entities)), ", ")+`)`, args...).Scan(&s)
	if err != nil || !s.Valid {
		return 0, at, err
	}
	err = q.QueryRowContext(ctx, `SELECT at FROM audit_log WHERE seq = ?`, s.Int64).Scan(&at)
	return s.Int64, at, err
}

// EntitiesBetween counts the records of each entity with after < seq <= upTo (what changed between two heads).
func EntitiesBetween(ctx context.Context, q db.Querier, after, upTo int64) (map[string]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT entity, COUNT(*) FROM audit_log WHERE seq > ? AND seq <= ? GROUP BY entity`, after, upTo)
	if err != nil {
		return nil, fmt.Errorf("audit entities between: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var e string
		var n int
		if err := rows.Scan(&e, &n); err != nil {
			return nil, err
		}
		out[e] = n
	}
	return out, rows.Err()
}
