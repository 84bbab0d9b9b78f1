package registry

import (
	"context"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
)

// Change feed for data exchange (⑰): subjects changed after a cursor (the audit sequence of the write), each
// with its current masked record as the caller may see it. A subject changed several times appears once, at its
// latest change in the page; deactivated subjects come with Status inactive.

// Change is one changed subject.
type Change struct {
	Cursor  int64    `json:"cursor" doc:"变更序号；下次请求 after= 最大值"`
	Action  string   `json:"action" doc:"create / update / delete …"`
	Subject *Subject `json:"subject,omitempty" doc:"当前记录（脱敏）"`
}

// Changes lists subject changes after cursor in the caller's scope, oldest first; next is the cursor to ask with
// next time (the last seq looked at, even when the page's subjects were outside the scope).
func (s *Service) Changes(ctx context.Context, p *auth.Principal, after int64, limit int) (out []Change, next int64, err error) {
	if !p.Is(auth.CountyAdmin, auth.Sysadmin, auth.Taskforce, auth.Department, auth.Viewer) {
		return nil, after, apperr.New(apperr.Forbidden, "您的角色不能同步主体数据")
	}
	recs, err := audit.Since(ctx, s.db, []string{"subject"}, after, limit)
	if err != nil {
		return nil, after, err
	}
	next = after
	last := map[int64]int{}
	for _, r := range recs {
		next = r.Seq
		if r.EntityID == 0 || r.Action == "reveal" { // a reveal is a read, logged
			continue
		}
		x, err := s.Get(ctx, p, r.EntityID)
		if err != nil {
			if c := apperr.CodeOf(err); c == apperr.NotFound || c == apperr.Forbidden {
				continue // outside the caller's scope, or gone
			}
			return nil, after, err
		}
		if i, ok := last[r.EntityID]; ok {
			out[i] = Change{Cursor: r.Seq, Action: r.Action, Subject: x}
			continue
		}
		last[r.EntityID] = len(out)
		out = append(out, Change{Cursor: r.Seq, Action: r.Action, Subject: x})
	}
	return out, next, nil
}
