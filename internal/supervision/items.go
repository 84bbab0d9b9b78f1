package supervision

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

// ItemInput edits a work item or an 附件1 row (工作专班、县级管理员); nil fields are left as they are.
type ItemInput struct {
	Title   *string   `json:"title"`
	Targets *string   `json:"targets"`
	KPIs    *[]string `json:"kpis" doc:"方案指标 key 列表"`
	Lead    *[]int64  `json:"lead" doc:"责任单位编号"`
	Coop    *[]int64  `json:"coop" doc:"配合单位编号"`
	Note    *string   `json:"note"`
}

// GetItem returns one item.
func (s *Service) GetItem(ctx context.Context, p *auth.Principal, id int64) (Item, error) {
	var kind string
	if err := s.db.QueryRowContext(ctx, `SELECT kind FROM sup_items WHERE id = ?`, id).Scan(&kind); err != nil {
		return Item{}, apperr.New(apperr.NotFound, "重点工作不存在")
	}
	items, err := s.Items(ctx, p, kind)
	if err != nil {
		return Item{}, err
	}
	for _, it := range items {
		if it.ID == id {
			return it, nil
		}
	}
	return Item{}, apperr.New(apperr.NotFound, "重点工作不存在")
}

// UpdateItem edits a work item or an 附件1 row in one transaction with its audit record.
func (s *Service) UpdateItem(ctx context.Context, p *auth.Principal, id int64, in ItemInput) (Item, error) {
	if err := canEditPlan(p); err != nil {
		return Item{}, err
	}
	before, err := s.GetItem(ctx, p, id)
	if err != nil {
		return Item{}, err
	}
	it := before
	fields := map[string]string{}
	if in.Title != nil {
		it.Title = strings.TrimSpace(*in.Title)
		if it.Title == "" || utf8.RuneCountInString(it.Title) > 200 {
			fields["title"] = "请填写名称（200字以内）"
		}
	}
	if in.Targets != nil {
		it.Targets = strings.TrimSpace(*in.Targets)
	}
	if in.Note != nil {
		it.Note = strings.TrimSpace(*in.Note)
	}
	if in.KPIs != nil {
		known, _ := s.kpis(ctx)
		it.KPIs = nil
		for _, k := range *in.KPIs {
			k = strings.TrimSpace(k)
			if k == "" {
				continue
			}
			if _, ok := known[k]; len(known) > 0 && !ok {
				fields["kpis"] = "方案中没有这个指标：" + k
			}
			it.KPIs = append(it.KPIs, k)
		}
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		units, err := s.scanUnits(ctx, tx, "")
		if err != nil {
			return err
		}
		names := map[int64]string{}
		for _, u := range units {
			names[u.ID] = u.Name
		}
		refs := func(field string, ids []int64) []UnitRef {
			var out []UnitRef
			seen := map[int64]bool{}
			for _, id := range ids {
				n, ok := names[id]
				if !ok {
					fields[field] = fmt.Sprintf("单位编号 %d 不存在", id)
					continue
				}
				if !seen[id] {
					seen[id] = true
					out = append(out, UnitRef{ID: id, Name: n})
				}
			}
			return out
		}
		if in.Lead != nil {
			it.Lead = refs("lead", *in.Lead)
		}
		if in.Coop != nil {
			it.Coop = refs("coop", *in.Coop)
		}
		if err := apperr.FieldErrors(fields); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sup_items SET title = ?, targets = ?, kpis = ?, note = ? WHERE id = ?`,
			it.Title, it.Targets, strings.Join(it.KPIs, ","), it.Note, id); err != nil {
			return fmt.Errorf("update item: %w", err)
		}
		if in.Lead != nil || in.Coop != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sup_links WHERE owner_kind = ? AND owner_id = ?`, it.Kind, id); err != nil {
				return err
			}
			for role, us := range map[string][]UnitRef{"lead": it.Lead, "coop": it.Coop} {
				for i, u := range us {
					if _, err := tx.ExecContext(ctx, `INSERT INTO sup_links (owner_kind, owner_id, unit_id, role, sort) VALUES (?, ?, ?, ?, ?)`, it.Kind, id, u.ID, role, i); err != nil {
						return err
					}
				}
			}
		}
		what := "重点工作" + it.Mark
		if it.Kind == "major" {
			what = "附件1第" + it.Mark + "项"
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "supervision_item", EntityID: id,
			Summary: "修改" + what + "：" + it.Title, Before: itemAudit(before), After: itemAudit(it)})
	})
	if err != nil {
		return Item{}, err
	}
	return s.GetItem(ctx, p, id)
}

func itemAudit(it Item) map[string]any {
	return map[string]any{"title": it.Title, "targets": it.Targets, "kpis": it.KPIs, "lead": UnitNames(it.Lead), "coop": UnitNames(it.Coop), "note": it.Note}
}
