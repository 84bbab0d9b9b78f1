package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
)

// The order lifecycle after 下单: 受理, 取消, 报工, 验收 / 争议, 结算.

// AcceptOrder 受理: staff in scope (choosing the provider when the farmer did not), or the named provider.
func (s *Service) AcceptOrder(ctx context.Context, p *auth.Principal, id, providerID int64, subsidyFenMu int64) (*Order, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		o, err := s.orderFor(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !p.Is(auth.Provider) {
			if err := staffOf(p, o); err != nil {
				return err
			}
		} else {
			providerID = o.ProviderID
			subsidyFenMu = o.SubsidyFenMu
		}
		if providerID == 0 {
			providerID = o.ProviderID
		}
		if providerID == 0 {
			return apperr.FieldErrors(map[string]string{"provider_id": "请指派服务主体"})
		}
		pr, err := s.loadProvider(ctx, tx, providerID)
		if err != nil || pr.Status != "active" || region.County(pr.RegionCode) != region.County(o.RegionCode) {
			return apperr.FieldErrors(map[string]string{"provider_id": "服务主体不存在、已暂停或不在本县"})
		}
		if miss := missing(pr.Services, o.Services); len(miss) > 0 {
			return apperr.FieldErrors(map[string]string{"provider_id": pr.Name + " 不提供：" + strings.Join(miss, "、")})
		}
		if len(pr.Townships) > 0 {
			js, err := s.jobsOf(ctx, tx, "j.order_id = ?", []any{id})
			if err != nil {
				return err
			}
			for _, j := range js {
				if t := region.Township(j.RegionCode); !slices.Contains(pr.Townships, t) {
					return apperr.FieldErrors(map[string]string{"provider_id": pr.Name + " 的服务范围不含" + s.regions.Name(t)})
				}
			}
		}
		if subsidyFenMu < 0 || subsidyFenMu > 100000 {
			return apperr.FieldErrors(map[string]string{"subsidy_fen_mu": "补贴应在 0–1000 元/亩之间"})
		}
		now := s.nowUTC()
		if err := setOrderStatus(ctx, tx, o, OrdAccepted, now, OrdPlaced); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE service_orders SET provider_id = ?, subsidy_fen_mu = ? WHERE id = ?`, providerID, subsidyFenMu, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE service_jobs SET provider_id = ? WHERE order_id = ?`, providerID, id); err != nil {
			return err
		}
		return s.step(ctx, tx, p, id, 0, "accept", o.Status, OrdAccepted, "服务主体："+pr.Name, map[string]any{"provider_id": providerID, "subsidy_fen_mu": subsidyFenMu})
	})
	if err != nil {
		return nil, err
	}
	return s.GetOrder(ctx, p, id)
}

// CancelOrder cancels an order before work started (the subject itself or staff), with a reason.
func (s *Service) CancelOrder(ctx context.Context, p *auth.Principal, id int64, reason string) (*Order, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, apperr.FieldErrors(map[string]string{"reason": "请填写取消原因"})
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		o, err := s.orderFor(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !p.Is(auth.Member) {
			if err := staffOf(p, o); err != nil {
				return err
			}
		}
		if err := setOrderStatus(ctx, tx, o, OrdCancelled, s.nowUTC(), OrdPlaced, OrdAccepted, OrdDispatched); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE service_jobs SET status = 'cancelled', machine_id = 0, plan_day = '', locked = ? WHERE order_id = ?`, false, id); err != nil {
			return err
		}
		return s.step(ctx, tx, p, id, 0, "cancel", o.Status, OrdCancelled, reason, nil)
	})
	if err != nil {
		return nil, err
	}
	return s.GetOrder(ctx, p, id)
}

// ReportWork records work on a job by its provider (or staff): started, or done with the area and optionally a
// GPS track whose measured area is compared with the declared one.
func (s *Service) ReportWork(ctx context.Context, p *auth.Principal, jobID int64, in WorkReport) (*Job, error) {
	var measured *trackResult
	if strings.TrimSpace(in.Track) != "" {
		var err error
		if measured, err = s.measureTrack(ctx, jobID, in.Track); err != nil {
			return nil, err
		}
	}
	if !in.Started && (in.AreaMu <= 0 || in.AreaMu > 100000) {
		return nil, apperr.FieldErrors(map[string]string{"area_mu": "请填写作业面积（亩，大于 0）"})
	}
	var orderID int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		js, err := s.jobsOf(ctx, tx, "j.id = ?", []any{jobID})
		if err != nil {
			return err
		}
		if len(js) == 0 {
			return apperr.New(apperr.NotFound, "作业不存在")
		}
		j := js[0]
		o, err := s.orderFor(ctx, tx, p, j.OrderID)
		if err != nil {
			return err
		}
		orderID = o.ID
		if !p.Is(auth.Provider) {
			if err := staffOf(p, o); err != nil {
				return err
			}
		}
		if !slices.Contains([]string{OrdAccepted, OrdDispatched, OrdWorking}, o.Status) {
			return apperr.New(apperr.Conflict, "订单当前状态为“"+OrderStatusLabel(o.Status)+"”，不能报工")
		}
		if j.Status == JobDone || j.Status == JobCancelled {
			return apperr.New(apperr.Conflict, "该作业已"+JobStatusLabel(j.Status))
		}
		now := s.nowUTC()
		if in.Started {
			// a started job is pinned to its plan: re-planning keeps it where it is
			if _, err := tx.ExecContext(ctx, `UPDATE service_jobs SET status = 'working', locked = ? WHERE id = ?`, j.MachineID != 0, jobID); err != nil {
				return err
			}
			if o.Status != OrdWorking {
				if err := setOrderStatus(ctx, tx, o, OrdWorking, now, OrdAccepted, OrdDispatched); err != nil {
					return err
				}
			}
			return s.step(ctx, tx, p, o.ID, jobID, "start", o.Status, OrdWorking, j.PlotName+" "+j.ServiceName+" 开工", nil)
		}
		rep := centi(in.AreaMu)
		var trackC int64
		flag := false
		note := fmt.Sprintf("%s %s 报工 %.2f 亩", j.PlotName, j.ServiceName, in.AreaMu)
		if measured != nil {
			trackC = centi(measured.m.AreaMu)
			flag = diffRatio(rep, trackC) > TrackFlagRatio
			note += fmt.Sprintf("，轨迹面积 %.2f 亩", measured.m.AreaMu)
			if flag {
				note += "（相差超过 15%，已标记）"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO service_tracks (id, job_id, format, method, points, length_m, width_cm, area_centi, geometry, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tx.NextID(), jobID, measured.format, measured.m.Method, measured.m.Points, int64(measured.m.LengthM),
				measured.widthCm, trackC, measured.geo, now); err != nil {
				return fmt.Errorf("insert track: %w", err)
			}
		}
		doneOn := s.today()
		if _, err := tx.ExecContext(ctx, `UPDATE service_jobs SET status = 'done', reported_centi = ?, track_centi = ?, track_flag = ?, done_on = ?, locked = ?
			WHERE id = ?`, rep, trackC, flag, doneOn, j.MachineID != 0, jobID); err != nil {
			return err
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_jobs WHERE order_id = ? AND status IN ('pending', 'planned', 'working')`, o.ID).Scan(&open); err != nil {
			return err
		}
		to := OrdWorking
		if open == 0 {
			to = OrdCompleted
		}
		if to != o.Status {
			if err := setOrderStatus(ctx, tx, o, to, now, OrdAccepted, OrdDispatched, OrdWorking); err != nil {
				return err
			}
		}
		if err := s.step(ctx, tx, p, o.ID, jobID, "report", o.Status, to, note+"。"+strings.TrimSpace(in.Note), map[string]any{"reported_centi": rep,
			"track_centi": trackC, "track_flag": flag}); err != nil {
			return err
		}
		if to == OrdCompleted {
			return s.step(ctx, tx, p, o.ID, 0, "complete", to, to, "全部作业完工，待验收", nil)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	js, err := s.jobsOf(ctx, s.db, "j.id = ?", []any{jobID})
	if err != nil || len(js) == 0 {
		return nil, errors.Join(err, fmt.Errorf("job %d of order %d vanished", jobID, orderID))
	}
	return &js[0], nil
}

// diffRatio is |a − b| / a (1 when a is 0 and b is not).
func diffRatio(a, b int64) float64 {
	if a == 0 {
		if b == 0 {
			return 0
		}
		return 1
	}
	d := a - b
	if d < 0 {
		d = -d
	}
	return float64(d) / float64(a)
}

// CheckOrder is the farmer's 验收 of a completed order: confirm (accepted area = reported area) or dispute with the
// areas it accepts per job and a reason. The subject itself, or staff on its behalf.
func (s *Service) CheckOrder(ctx context.Context, p *auth.Principal, id int64, in Acceptance) (*Order, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		o, err := s.orderFor(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !p.Is(auth.Member) {
			if err := staffOf(p, o); err != nil {
				return err
			}
		}
		now := s.nowUTC()
		if in.Confirm {
			if err := setOrderStatus(ctx, tx, o, OrdChecked, now, OrdCompleted); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE service_jobs SET accepted_centi = reported_centi WHERE order_id = ? AND status = 'done'`, id); err != nil {
				return err
			}
			return s.step(ctx, tx, p, id, 0, "confirm", o.Status, OrdChecked, "面积与质量确认无误", nil)
		}
		reason := strings.TrimSpace(in.Reason)
		if reason == "" {
			return apperr.FieldErrors(map[string]string{"reason": "请填写争议原因（面积或质量问题）"})
		}
		if err := setOrderStatus(ctx, tx, o, OrdDisputed, now, OrdCompleted); err != nil {
			return err
		}
		if err := s.applyAreas(ctx, tx, id, in.Areas); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE service_orders SET dispute = ? WHERE id = ?`, reason, id); err != nil {
			return err
		}
		return s.step(ctx, tx, p, id, 0, "dispute", o.Status, OrdDisputed, reason, map[string]any{"areas": in.Areas})
	})
	if err != nil {
		return nil, err
	}
	return s.GetOrder(ctx, p, id)
}

// applyAreas sets accepted areas: given jobs take the given area (0 ≤ area ≤ reported), others their reported area.
func (s *Service) applyAreas(ctx context.Context, tx *db.Tx, orderID int64, areas map[int64]float64) error {
	js, err := s.jobsOf(ctx, tx, "j.order_id = ? AND j.status = 'done'", []any{orderID})
	if err != nil {
		return err
	}
	for id := range areas {
		if !slices.ContainsFunc(js, func(j Job) bool { return j.ID == id }) {
			return apperr.FieldErrors(map[string]string{"areas": fmt.Sprintf("作业 %d 不属于该订单", id)})
		}
	}
	for _, j := range js {
		acc := j.reportedCenti
		if a, ok := areas[j.ID]; ok {
			if a < 0 || centi(a) > j.reportedCenti {
				return apperr.FieldErrors(map[string]string{"areas": fmt.Sprintf("%s %s 的认可面积应在 0–%.2f 亩之间", j.PlotName, j.ServiceName, j.ReportedMu)})
			}
			acc = centi(a)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE service_jobs SET accepted_centi = ? WHERE id = ?`, acc, j.ID); err != nil {
			return err
		}
	}
	return nil
}

// ResolveDispute closes a dispute: staff in scope fix the accepted areas (default: what the farmer accepted).
func (s *Service) ResolveDispute(ctx context.Context, p *auth.Principal, id int64, in Acceptance) (*Order, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		o, err := s.orderFor(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := staffOf(p, o); err != nil {
			return err
		}
		if err := setOrderStatus(ctx, tx, o, OrdChecked, s.nowUTC(), OrdDisputed); err != nil {
			return err
		}
		if len(in.Areas) > 0 {
			if err := s.applyAreas(ctx, tx, id, in.Areas); err != nil {
				return err
			}
		}
		note := strings.TrimSpace(in.Reason)
		if note == "" {
			note = "按农户认可面积验收"
		}
		return s.step(ctx, tx, p, id, 0, "resolve", o.Status, OrdChecked, note, map[string]any{"areas": in.Areas})
	})
	if err != nil {
		return nil, err
	}
	return s.GetOrder(ctx, p, id)
}

// Settlement is the arithmetic of one order, in 分: each job's amount is accepted 0.01 亩 × price 分/亩 / 100
// rounded half up; the subsidy likewise per job from the order's 分/亩, capped at the amount.
type Settlement struct {
	AmountFen  int64 `json:"amount_fen"`
	SubsidyFen int64 `json:"subsidy_fen"`
	PayableFen int64 `json:"payable_fen"`
}

// Settle computes a settlement from jobs (accepted areas in 0.01 亩).
func Settle(jobs []Job, subsidyFenMu int64) Settlement {
	var st Settlement
	for _, j := range jobs {
		if j.Status == JobCancelled {
			continue
		}
		st.AmountFen += (j.acceptedCenti*j.PriceFen + 50) / 100
		st.SubsidyFen += (j.acceptedCenti*subsidyFenMu + 50) / 100
	}
	st.SubsidyFen = min(st.SubsidyFen, st.AmountFen)
	st.PayableFen = st.AmountFen - st.SubsidyFen
	return st
}

// SettleOrder 结算 an accepted order (staff in scope).
func (s *Service) SettleOrder(ctx context.Context, p *auth.Principal, id int64) (*Order, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		o, err := s.orderFor(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := staffOf(p, o); err != nil {
			return err
		}
		js, err := s.jobsOf(ctx, tx, "j.order_id = ?", []any{id})
		if err != nil {
			return err
		}
		st := Settle(js, o.SubsidyFenMu)
		if err := setOrderStatus(ctx, tx, o, OrdSettled, s.nowUTC(), OrdChecked); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE service_orders SET amount_fen = ?, subsidy_fen = ?, payable_fen = ?, settled_on = ? WHERE id = ?`,
			st.AmountFen, st.SubsidyFen, st.PayableFen, s.today(), id); err != nil {
			return err
		}
		return s.step(ctx, tx, p, id, 0, "settle", o.Status, OrdSettled, fmt.Sprintf("金额 %s 元，补贴 %s 元，应付 %s 元", web.FormatYuanExact(st.AmountFen),
			web.FormatYuanExact(st.SubsidyFen), web.FormatYuanExact(st.PayableFen)), map[string]any{"amount_fen": st.AmountFen, "subsidy_fen": st.SubsidyFen, "payable_fen": st.PayableFen})
	})
	if err != nil {
		return nil, err
	}
	return s.GetOrder(ctx, p, id)
}

// plotCoord is a plot's position, or its village's centre when the plot was registered without a map position (the
// dispatcher needs a point for every job).
func (s *Service) plotCoord(regionCode string, lng, lat float64) (float64, float64) {
	if lng != 0 || lat != 0 {
		return lng, lat
	}
	if r, ok := s.regions.Get(regionCode); ok {
		return r.Lng, r.Lat
	}
	return 0, 0
}
