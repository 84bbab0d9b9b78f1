package credit

import (
	"context"
	"fmt"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// SeedFinanceDemo adds, in the demo's transaction and after SeedDemo, guarantees on some running loans, the
// insurer's products with policies and claims, and 贴息 rules for this year and the last.
func (s *Service) SeedFinanceDemo(ctx context.Context, tx *db.Tx, guarantors, insurers, subjects []int64) error {
	now := s.now().UTC()
	today := s.today()
	var gn, pn, cn int
	if len(guarantors) > 0 {
		rows, err := tx.QueryContext(ctx, `SELECT id, region_code, amount, disbursed_on, maturity_on FROM loans WHERE status = 'disbursed' AND maturity_on <> '' ORDER BY id LIMIT 60`)
		if err != nil {
			return err
		}
		var gs [][]any
		i := 0
		for rows.Next() {
			var id, amount int64
			var rc, from, to string
			if err := rows.Scan(&id, &rc, &amount, &from, &to); err != nil {
				rows.Close()
				return err
			}
			i++
			if i%3 != 0 {
				continue
			}
			gs = append(gs, []any{tx.NextID(), region.County(rc) + "000000", rc, id, guarantors[0], amount * 8 / 10, 80, from, to, GuaranteeActive, "演示：政府性融资担保（八成担保）", "演示", now})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := tx.InsertRows(ctx, "guarantees", []string{"id", "county_code", "region_code", "loan_id", "guarantor_id", "amount_fen", "fee_bp", "start_on", "end_on", "status", "note",
			"created_by_name", "created_at"}, gs, 100); err != nil {
			return err
		}
		gn = len(gs)
	}
	if len(insurers) > 0 && len(subjects) > 0 {
		facts, err := demoSubjects(ctx, tx, append([]int64{insurers[0]}, subjects[:min(len(subjects), 40)]...))
		if err != nil {
			return err
		}
		county := "500237000000"
		if f, ok := facts[insurers[0]]; ok {
			county = region.County(f.regionCode) + "000000"
		}
		type prod struct {
			id         int64
			name, kind string
			bp, pct    int
		}
		prods := []prod{{tx.NextID(), "脆李收入保险", "income", 600, 75}, {tx.NextID(), "水稻区域产量保险", "area_yield", 400, 80}, {tx.NextID(), "农机具综合保险", "machinery", 150, 50}}
		var prows [][]any
		for _, p := range prods {
			prows = append(prows, []any{p.id, county, insurers[0], p.name, p.kind, p.bp, p.pct, "演示产品", "active", now})
		}
		if err := tx.InsertRows(ctx, "insurance_products", []string{"id", "county_code", "insurer_id", "name", "kind", "premium_bp", "subsidy_pct", "description", "status", "created_at"}, prows, 10); err != nil {
			return err
		}
		var pols, claims [][]any
		start := FormatDate(today.AddDate(0, -5, 0))
		end := FormatDate(today.AddDate(0, 7, -1))
		for i, sid := range subjects[:min(len(subjects), 40)] {
			f, ok := facts[sid]
			if !ok || isInstitution(f.kind) {
				continue
			}
			p := prods[i%len(prods)]
			sum := int64(5_000+(i%10)*5_000) * 100
			prem, sub := Premium(sum, p.bp, p.pct)
			id := tx.NextID()
			pols = append(pols, []any{id, county, f.regionCode, p.id, sid, fmt.Sprintf("DEMO-%s-%04d", p.kind, i+1), sum, prem, sub, start, end, "active", "演示", now})
			if i%7 == 3 {
				claims = append(claims, []any{tx.NextID(), id, FormatDate(today.AddDate(0, -2, 0)), "冰雹灾害", sum / 3, sum / 4, "paid", "", "演示", now})
			}
		}
		if err := tx.InsertRows(ctx, "insurance_policies", []string{"id", "county_code", "region_code", "product_id", "subject_id", "policy_no", "sum_insured_fen", "premium_fen", "subsidy_fen",
			"start_on", "end_on", "status", "created_by_name", "created_at"}, pols, 100); err != nil {
			return err
		}
		if err := tx.InsertRows(ctx, "insurance_claims", []string{"id", "policy_id", "reported_on", "cause", "loss_fen", "paid_fen", "status", "reason", "created_by_name", "created_at"}, claims, 100); err != nil {
			return err
		}
		pn, cn = len(pols), len(claims)
		for _, y := range []int{today.Year() - 1, today.Year()} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO subsidy_rules (id, county_code, year, share_pct, cap_fen, note, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				tx.NextID(), county, y, 50, 500_000, "演示：新型农业经营主体按实付利息的 50% 贴息，每户每年不超过 5,000 元", "演示", now); err != nil {
				return err
			}
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "seed", Entity: "credit",
		Summary: fmt.Sprintf("演示数据：担保 %d 笔，保单 %d 张，理赔 %d 笔，贴息规则 2 年", gn, pn, cn)})
}
