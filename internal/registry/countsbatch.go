package registry

import (
	"context"
	"fmt"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

// CountsByPrefix counts the active subjects p may see under each region prefix (kind and industry optional, "" =
// all) from subject_counts in one query over the prefixes' common prefix: the indicator engine's dashboard asks a
// count per township, which List would answer with one page walk each.
func (s *Service) CountsByPrefix(ctx context.Context, p *auth.Principal, kind, industry string, prefixes []string) ([]int, error) {
	if p.Is(auth.Member, auth.Provider, auth.Bank) {
		return nil, apperr.New(apperr.Forbidden, "您的角色不能统计主体")
	}
	out := make([]int, len(prefixes))
	if len(prefixes) == 0 {
		return out, nil
	}
	common := prefixes[0]
	for _, pre := range prefixes[1:] {
		for !strings.HasPrefix(pre, common) {
			common = common[:len(common)-1]
		}
	}
	where, args := scopeSQL(p, "c.region_code")
	conds := []string{where, "c.industry = ?", "c.status = 'active'"}
	args = append(args, industry)
	if kind != "" {
		conds = append(conds, "c.kind = ?")
		args = append(args, kind)
	}
	if common != "" {
		lo, hi := db.PrefixRange(common)
		conds = append(conds, "c.region_code >= ? AND c.region_code < ?")
		args = append(args, lo, hi)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.region_code, SUM(c.n) FROM subject_counts c WHERE `+strings.Join(conds, " AND ")+` GROUP BY c.region_code`, args...)
	if err != nil {
		return nil, fmt.Errorf("count subjects by prefix: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return nil, err
		}
		for i, pre := range prefixes {
			if strings.HasPrefix(code, pre) {
				out[i] += n
			}
		}
	}
	return out, rows.Err()
}
