package registry

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

// countKey is one cell of subject_counts.
type countKey struct{ region, kind, status, industry string }

type countsKey struct{}

// bumpCounts adds delta for subject x to the transaction's pending count changes; they are written once, just
// before commit, so an import batch of thousands of rows costs a few hundred upserts, not thousands.
func bumpCounts(tx *db.Tx, ctx context.Context, x normalized, delta int) {
	pending, _ := tx.Value(countsKey{}).(map[countKey]int)
	if pending == nil {
		pending = map[countKey]int{}
		tx.SetValue(countsKey{}, pending)
		tx.BeforeCommit(func() error { return flushCounts(ctx, tx, pending) })
	}
	pending[countKey{x.RegionCode, x.Kind, x.Status, ""}] += delta
	for _, ind := range x.Industries {
		pending[countKey{x.RegionCode, x.Kind, x.Status, ind}] += delta
	}
}

func flushCounts(ctx context.Context, tx *db.Tx, pending map[countKey]int) error {
	keys := make([]countKey, 0, len(pending))
	for k, d := range pending {
		if d != 0 {
			keys = append(keys, k)
		}
	}
	// a fixed order keeps concurrent PostgreSQL writers from deadlocking on the counter rows
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return a.region+a.kind+a.status+a.industry < b.region+b.kind+b.status+b.industry
	})
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO subject_counts (region_code, kind, status, industry, n) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (region_code, kind, status, industry) DO UPDATE SET n = subject_counts.n + excluded.n`,
			k.region, k.kind, k.status, k.industry, pending[k]); err != nil {
			return fmt.Errorf("update subject counts: %w", err)
		}
	}
	return nil
}

// RebuildCounts recomputes subject_counts from the subjects table (after a restore, or on an older database).
func (s *Service) RebuildCounts(ctx context.Context) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM subject_counts`); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT region_code, kind, status, industries, COUNT(*) FROM subjects GROUP BY region_code, kind, status, industries`)
		if err != nil {
			return fmt.Errorf("rebuild counts: %w", err)
		}
		pending := map[countKey]int{}
		for rows.Next() {
			var region, kind, status, inds string
			var n int
			if err := rows.Scan(&region, &kind, &status, &inds, &n); err != nil {
				rows.Close()
				return err
			}
			pending[countKey{region, kind, status, ""}] += n
			for _, ind := range splitList(inds) {
				pending[countKey{region, kind, status, ind}] += n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return flushCounts(ctx, tx, pending)
	})
}

// countFromTable answers the total of a list from subject_counts when the filter allows it (no text search and no
// id list); ok is false otherwise.
func (s *Service) countFromTable(ctx context.Context, p *auth.Principal, f Filter, kindCode string) (int, bool, error) {
	if strings.TrimSpace(f.Q) != "" || len(f.IDs) > 0 || p.Is(auth.Member, auth.Provider, auth.Bank) {
		return 0, false, nil
	}
	where, args := scopeSQL(p, "c.region_code")
	conds := []string{where, "c.industry = ?"}
	args = append(args, f.Industry)
	switch f.Status {
	case "all":
	case StatusInactive:
		conds = append(conds, "c.status = 'inactive'")
	default:
		conds = append(conds, "c.status = 'active'")
	}
	if kindCode != "" {
		conds = append(conds, "c.kind = ?")
		args = append(args, kindCode)
	}
	if f.NewType {
		conds = append(conds, "c.kind IN ('family_farm', 'cooperative', 'enterprise')")
	}
	if f.RegionCode != "" {
		lo, hi := db.PrefixRange(auth.RegionPrefix(f.RegionCode))
		conds = append(conds, "c.region_code >= ? AND c.region_code < ?")
		args = append(args, lo, hi)
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(c.n), 0) FROM subject_counts c WHERE `+strings.Join(conds, " AND "), args...).Scan(&n)
	if err != nil {
		return 0, false, fmt.Errorf("count subjects: %w", err)
	}
	return n, true, nil
}

// CountByRegion returns the number of active subjects p may see per 12-digit region code under prefix (the region
// tree page shows them).
func (s *Service) CountByRegion(ctx context.Context, p *auth.Principal, prefix string) (map[string]int, error) {
	out := map[string]int{}
	if p.Is(auth.Member, auth.Provider, auth.Bank) {
		return out, nil
	}
	where, args := scopeSQL(p, "c.region_code")
	lo, hi := db.PrefixRange(prefix)
	rows, err := s.db.QueryContext(ctx, `SELECT c.region_code, SUM(c.n) FROM subject_counts c WHERE `+where+
		` AND c.region_code >= ? AND c.region_code < ? AND c.status = 'active' AND c.industry = '' GROUP BY c.region_code`, append(args, lo, hi)...)
	if err != nil {
		return nil, fmt.Errorf("count by region: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return nil, err
		}
		out[code] = n
	}
	return out, rows.Err()
}
