package supply

import (
	"context"
	"fmt"
	"strings"
	"time"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

// Figures for the plan dashboard (indicator sources; no access check — the engine applies its own). Every figure
// is computed from rows (region code, numerator, denominator) read once for the period and summed per region
// prefix in Go, so a dashboard of 26 townships costs one query per figure.
//
//	supply.pooled_volume       集采集配金额（元）: Σ demand qty × the order's tier price, by pickup node, rounds closed in the period
//	supply.pooled_saving_yuan  集采节约金额（元）: Σ demand qty × (list − tier price)
//	supply.delivered_volume    配送量（吨）: weight of shipments delivered in the period, by destination (filter kind=delivery|pickup)
//	supply.reserve_coverage_pct 储备覆盖率（%）: Σ min(on-hand, plan) / Σ plan of plans in force at the period's end
//	supply.reserve_subsidy_yuan 已拨付贴息（元）: subsidy paid in the period, by the contract's node
//	supply.price_alerts        价格预警次数: alerts raised by reports dated in the period, by monitoring point

// FigureKeys lists the figures Figures answers.
var FigureKeys = []string{"supply.pooled_volume", "supply.pooled_saving_yuan", "supply.delivered_volume", "supply.reserve_coverage_pct",
	"supply.reserve_subsidy_yuan", "supply.price_alerts"}

// FigureName is a figure's Chinese name.
func FigureName(key string) string {
	return map[string]string{
		"supply.pooled_volume":        "集采集配金额（元，双向流通模块）",
		"supply.pooled_saving_yuan":   "集采节约金额（元，双向流通模块）",
		"supply.delivered_volume":     "配送量（吨，含回程揽收；筛选 kind=delivery|pickup）",
		"supply.reserve_coverage_pct": "重要农资储备覆盖率（%，期末在储备期内的计划）",
		"supply.reserve_subsidy_yuan": "储备贷款已拨付贴息（元）",
		"supply.price_alerts":         "价格监测预警次数",
	}[key]
}

type regionValue struct {
	code string
	a, b float64
}

func dayOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(web.Shanghai).Format("2006-01-02")
}

func (s *Service) figureRows(ctx context.Context, key string, from, to time.Time, filter map[string]string) ([]regionValue, error) {
	var q string
	var args []any
	period := func(col string, asDate bool) string {
		w := ""
		f, t := any(from.UTC()), any(to.UTC())
		if asDate {
			f, t = dayOf(from), dayOf(to)
		}
		if !from.IsZero() {
			w += " AND " + col + " >= ?"
			args = append(args, f)
		}
		if !to.IsZero() {
			w += " AND " + col + " < ?"
			args = append(args, t)
		}
		return w
	}
	switch key {
	case "supply.pooled_volume", "supply.pooled_saving_yuan":
		q = `SELECT n.region_code, d.qty, l.unit_price_fen, l.list_price_fen, g.decimals FROM supply_pool_demands d
			JOIN supply_pool_order_lines l ON l.item_id = d.item_id JOIN supply_pools p ON p.id = d.pool_id JOIN supply_nodes n ON n.id = d.node_id
			JOIN supply_pool_items i ON i.id = d.item_id JOIN supply_goods g ON g.id = i.goods_id WHERE p.closed_at IS NOT NULL` + period("p.closed_at", false)
	case "supply.delivered_volume":
		q = `SELECT n.region_code, sh.weight_g FROM supply_shipments sh JOIN supply_nodes n ON n.id = sh.to_node_id WHERE sh.status = 'delivered'` + period("sh.done_at", false)
		if k := filter["kind"]; k == "delivery" || k == "pickup" {
			q += " AND sh.kind = ?"
			args = append(args, k)
		}
	case "supply.reserve_coverage_pct":
		day := dayOf(to.Add(-time.Second))
		if to.IsZero() {
			day = s.today()
		}
		q = `SELECT n.region_code, r.plan_qty, COALESCE((SELECT SUM(m.qty) FROM supply_moves m WHERE m.node_id = r.node_id AND m.goods_id = r.goods_id), 0)
			FROM supply_reserve_plans r JOIN supply_nodes n ON n.id = r.node_id WHERE r.from_on <= ? AND r.to_on >= ?`
		args = append(args, day, day)
	case "supply.reserve_subsidy_yuan":
		q = `SELECT n.region_code, c.subsidy_fen FROM supply_reserve_contracts c JOIN supply_nodes n ON n.id = c.node_id WHERE c.status = 'paid'` + period("c.paid_on", true)
	case "supply.price_alerts":
		q = `SELECT region_code, 1 FROM supply_price_alerts WHERE 1 = 1` + period("reported_on", true)
	default:
		return nil, fmt.Errorf("unknown supply figure %q", key)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("figure %s: %w", key, err)
	}
	defer rows.Close()
	var out []regionValue
	for rows.Next() {
		var rv regionValue
		switch key {
		case "supply.pooled_volume", "supply.pooled_saving_yuan":
			var qty, price, list int64
			var dec int
			if err := rows.Scan(&rv.code, &qty, &price, &list, &dec); err != nil {
				return nil, err
			}
			if key == "supply.pooled_volume" {
				rv.a = float64(Amount(qty, price, dec)) / 100
			} else {
				rv.a = float64(Amount(qty, list, dec)-Amount(qty, price, dec)) / 100
			}
		case "supply.reserve_coverage_pct":
			var plan, have int64
			if err := rows.Scan(&rv.code, &plan, &have); err != nil {
				return nil, err
			}
			rv.a, rv.b = float64(min(max(have, 0), plan)), float64(plan)
		case "supply.delivered_volume":
			var g int64
			if err := rows.Scan(&rv.code, &g); err != nil {
				return nil, err
			}
			rv.a = float64(g) / 1e6
		case "supply.reserve_subsidy_yuan":
			var f int64
			if err := rows.Scan(&rv.code, &f); err != nil {
				return nil, err
			}
			rv.a = float64(f) / 100
		default:
			if err := rows.Scan(&rv.code, &rv.a); err != nil {
				return nil, err
			}
		}
		out = append(out, rv)
	}
	return out, rows.Err()
}

// Figures answers one figure for many region prefixes ("" = everywhere) over [from, to).
func (s *Service) Figures(ctx context.Context, key string, prefixes []string, from, to time.Time, filter map[string]string) ([]float64, error) {
	rows, err := s.figureRows(ctx, key, from, to, filter)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(prefixes))
	for i, pre := range prefixes {
		pre = auth.RegionPrefix(strings.TrimSpace(pre))
		var a, b float64
		for _, rv := range rows {
			if strings.HasPrefix(rv.code, pre) {
				a += rv.a
				b += rv.b
			}
		}
		if key == "supply.reserve_coverage_pct" {
			if b > 0 {
				out[i] = float64(int64(a*1000/b)) / 10
			}
			continue
		}
		out[i] = float64(int64(a*100+0.5)) / 100
	}
	return out, nil
}
