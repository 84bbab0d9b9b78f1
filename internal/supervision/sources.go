package supervision

import (
	"context"
	"fmt"
	"strings"

	"nongfu/internal/indicator"
)

// Indicator sources of the room (CONTRACTS.md): supervision.funds_budget_yuan, supervision.funds_disbursed_yuan,
// supervision.tasks_lagging. Funds and tasks are the county's: a township prefix gets 0.

type fundSource struct {
	svc       func() *Service
	disbursed bool
}

func (f fundSource) Key() string {
	if f.disbursed {
		return "supervision.funds_disbursed_yuan"
	}
	return "supervision.funds_budget_yuan"
}

func (f fundSource) Name() string {
	if f.disbursed {
		return "专项资金已拨付（元，按拨付日期计入期间）"
	}
	return "专项资金预算（元，按预算年度计入期间）"
}

func (f fundSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	b, d, err := f.svc().FundTotals(ctx, q.RegionPrefix, q.From, q.To)
	if err != nil {
		return 0, err
	}
	if f.disbursed {
		return float64(d) / 100, nil
	}
	return float64(b) / 100, nil
}

func (f fundSource) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	out := make([]float64, len(prefixes))
	for i, p := range prefixes {
		q.RegionPrefix = p
		v, err := f.Value(ctx, q)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

type laggingSource struct{ svc func() *Service }

func (laggingSource) Key() string  { return "supervision.tasks_lagging" }
func (laggingSource) Name() string { return "滞后的重点任务数（附件2）" }

func (l laggingSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	s := l.svc()
	county := planRegion()
	if q.RegionPrefix != "" && !strings.HasPrefix(county, q.RegionPrefix) {
		return 0, nil
	}
	if !q.To.IsZero() && q.To.Before(s.now()) {
		// a past period: the statuses last observed before its end
		var n int
		err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sup_status_log x JOIN (SELECT MAX(id) AS id FROM sup_status_log WHERE observed_at < ? GROUP BY task_id) m
			ON m.id = x.id WHERE x.status = ?`, q.To.UTC(), StatusLagging).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("lagging tasks at %s: %w", q.To, err)
		}
		return float64(n), nil
	}
	ts, err := s.loadTasks(ctx, s.db, 0)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range ts {
		if t.Status.Code == StatusLagging {
			n++
		}
	}
	return float64(n), nil
}

func (l laggingSource) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	out := make([]float64, len(prefixes))
	var all float64
	computed := false
	for i, p := range prefixes {
		if p != "" && !strings.HasPrefix(planRegion(), p) {
			continue
		}
		if !computed {
			v, err := l.Value(ctx, q)
			if err != nil {
				return nil, err
			}
			all, computed = v, true
		}
		out[i] = all
	}
	return out, nil
}

// Sources are the room's indicator sources. They reach the room through svc at query time, so the app can
// register them with the indicator engine before the room is constructed.
func Sources(svc func() *Service) []indicator.Source {
	return []indicator.Source{fundSource{svc: svc}, fundSource{svc: svc, disbursed: true}, laggingSource{svc: svc}}
}
