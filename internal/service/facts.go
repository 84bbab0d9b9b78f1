package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"nongfu/internal/platform/web"
)

// Fact is one indicator of a subject's history for its credit file (信用档案), per CONTRACTS.md.
type Fact struct {
	Key    string
	Name   string
	Value  string
	Number float64
	AsOf   time.Time
	Source string
}

const factSource = "社会化服务模块"

// SubjectFacts are the subject's trusteeship history as a farmer (orders finished, disputes) and as a provider
// (jobs done, area, flagged tracks), plus training attended. Called by the platform for the credit room after its
// consent check: no principal.
func (s *Service) SubjectFacts(ctx context.Context, subjectID int64) ([]Fact, error) {
	now := s.now()
	var out []Fact
	var orders, disputed int
	var area int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN o.dispute <> '' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM((SELECT COALESCE(SUM(j.accepted_centi), 0) FROM service_jobs j WHERE j.order_id = o.id)), 0)
		FROM service_orders o WHERE o.subject_id = ? AND o.status IN ('checked', 'settled')`, subjectID).Scan(&orders, &disputed, &area); err != nil {
		return nil, fmt.Errorf("facts orders: %w", err)
	}
	var cancelled int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_orders WHERE subject_id = ? AND status = 'cancelled'`, subjectID).Scan(&cancelled); err != nil {
		return nil, err
	}
	if orders+cancelled > 0 {
		out = append(out,
			Fact{Key: "service.orders_done", Name: "托管服务完成订单数", Value: fmt.Sprintf("%d 单 / %.1f 亩", orders, float64(area)/100), Number: float64(orders), AsOf: now, Source: factSource},
			Fact{Key: "service.orders_disputed", Name: "托管验收争议次数", Value: fmt.Sprintf("%d 次", disputed), Number: float64(disputed), AsOf: now, Source: factSource},
			Fact{Key: "service.orders_cancelled", Name: "托管订单取消数", Value: fmt.Sprintf("%d 单", cancelled), Number: float64(cancelled), AsOf: now, Source: factSource})
	}
	var jobs, flagged int
	var worked int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN j.track_flag THEN 1 ELSE 0 END), 0), COALESCE(SUM(j.reported_centi), 0)
		FROM service_jobs j JOIN service_providers pr ON pr.id = j.provider_id WHERE pr.subject_id = ? AND j.status = 'done'`, subjectID).Scan(&jobs, &flagged, &worked); err != nil {
		return nil, fmt.Errorf("facts provider: %w", err)
	}
	var listed int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_providers WHERE subject_id = ? AND listed = ?`, subjectID, true).Scan(&listed); err != nil {
		return nil, err
	}
	if jobs > 0 || listed > 0 {
		out = append(out,
			Fact{Key: "service.provider_jobs", Name: "作为服务主体完成作业", Value: fmt.Sprintf("%d 项 / %s", jobs, web.FormatMu(worked)), Number: float64(worked) / 100, AsOf: now, Source: factSource},
			Fact{Key: "service.provider_flagged", Name: "轨迹面积与报工不符次数", Value: fmt.Sprintf("%d 次", flagged), Number: float64(flagged), AsOf: now, Source: factSource},
			Fact{Key: "service.provider_listed", Name: "入选服务主体名录库", Value: map[bool]string{true: "是", false: "否"}[listed > 0], Number: float64(min(listed, 1)), AsOf: now, Source: factSource})
	}
	var trained int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM training_enrolments WHERE subject_id = ? AND attended = ?`, subjectID, true).Scan(&trained); err != nil {
		return nil, err
	}
	if trained > 0 {
		out = append(out, Fact{Key: "training.attended", Name: "参加高素质农民培训", Value: fmt.Sprintf("%d 人次", trained), Number: float64(trained), AsOf: now, Source: factSource})
	}
	return out, nil
}

// Counterparties are the subjects this subject ordered trusteeship from, or served as a provider, with orders
// placed in [from, to) and not cancelled.
func (s *Service) Counterparties(ctx context.Context, subjectID int64, from, to time.Time) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT pr.subject_id FROM service_orders o JOIN service_providers pr ON pr.id = o.provider_id
		WHERE o.subject_id = ? AND o.status <> 'cancelled' AND o.created_at >= ? AND o.created_at < ?
		UNION SELECT o.subject_id FROM service_orders o JOIN service_providers pr ON pr.id = o.provider_id
		WHERE pr.subject_id = ? AND o.status <> 'cancelled' AND o.created_at >= ? AND o.created_at < ?`,
		subjectID, from.UTC(), to.UTC(), subjectID, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("counterparties: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if id != subjectID && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, rows.Err()
}
