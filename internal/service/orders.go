package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

var errNoOrder = apperr.New(apperr.NotFound, "托管订单不存在或不在您的管辖范围内")

// providerIDsOf are the providers a provider account speaks for.
func (s *Service) providerIDsOf(ctx context.Context, q db.Querier, p *auth.Principal) ([]int64, error) {
	if p == nil || !p.Is(auth.Provider) || p.SubjectID == 0 {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id FROM service_providers WHERE subject_id = ?`, p.SubjectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// orderScope limits orders (alias o) to what p may read: members their own, providers theirs, readers their regions.
func (s *Service) orderScope(ctx context.Context, p *auth.Principal, alias string) (string, []any, error) {
	switch {
	case p == nil:
		return "1 = 0", nil, nil
	case p.Is(auth.Member):
		return alias + ".subject_id = ?", []any{p.SubjectID}, nil
	case p.Is(auth.Provider):
		ids, err := s.providerIDsOf(ctx, s.db, p)
		if err != nil || len(ids) == 0 {
			return "1 = 0", nil, err
		}
		ph, args := db.InList(ids)
		return alias + ".provider_id IN (" + ph + ")", args, nil
	}
	w, a := scopeSQL(p, alias+".region_code", "")
	return w, a, nil
}

const orderCols = `o.id, o.subject_id, o.region_code, o.provider_id, o.scope, o.mode, o.contract_ref, o.services, o.status, o.subsidy_fen_mu, o.amount_fen,
	o.subsidy_fen, o.payable_fen, o.proxy, o.note, o.dispute, o.settled_on, o.created_at`

func (s *Service) scanOrder(sc interface{ Scan(...any) error }) (*Order, error) {
	o := &Order{}
	var svc string
	if err := sc.Scan(&o.ID, &o.SubjectID, &o.RegionCode, &o.ProviderID, &o.Scope, &o.Mode, &o.ContractRef, &svc, &o.Status, &o.SubsidyFenMu, &o.AmountFen,
		&o.SubsidyFen, &o.PayableFen, &o.Proxy, &o.Note, &o.Dispute, &o.SettledOn, &o.CreatedAt); err != nil {
		return nil, err
	}
	o.Services, o.StatusLabel, o.RegionName, o.CreatedAt = splitCodes(svc), OrderStatusLabel(o.Status), s.regions.Name(o.RegionCode), o.CreatedAt.UTC()
	return o, nil
}

// OrderFilter selects orders.
type OrderFilter struct {
	Status, Region, Mode string
	ProviderID, Subject  int64
	Page, PerPage        int
}

// ListOrders lists the orders p may read, newest first.
func (s *Service) ListOrders(ctx context.Context, p *auth.Principal, f OrderFilter) ([]*Order, int, error) {
	where, args, err := s.orderScope(ctx, p, "o")
	if err != nil {
		return nil, 0, err
	}
	for _, c := range []struct {
		on   bool
		cond string
		v    any
	}{{f.Status != "", "o.status = ?", f.Status}, {f.Mode != "", "o.mode = ?", f.Mode}, {f.ProviderID != 0, "o.provider_id = ?", f.ProviderID},
		{f.Subject != 0, "o.subject_id = ?", f.Subject}} {
		if c.on {
			where += " AND " + c.cond
			args = append(args, c.v)
		}
	}
	if f.Region != "" {
		lo, hi := db.PrefixRange(auth.RegionPrefix(f.Region))
		where += " AND o.region_code >= ? AND o.region_code < ?"
		args = append(args, lo, hi)
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_orders o WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count orders: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	f.Page = max(f.Page, 1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+orderCols+` FROM service_orders o WHERE `+where+` ORDER BY o.created_at DESC, o.id DESC LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list orders: %w", err)
	}
	defer rows.Close()
	var out []*Order
	for rows.Next() {
		o, err := s.scanOrder(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	return out, total, s.decorateOrders(ctx, out)
}

func (s *Service) decorateOrders(ctx context.Context, list []*Order) error {
	if len(list) == 0 {
		return nil
	}
	var sids, ids []int64
	by := map[int64]*Order{}
	for _, o := range list {
		sids = append(sids, o.SubjectID)
		ids = append(ids, o.ID)
		by[o.ID] = o
	}
	subs, err := s.subjects.Lookup(ctx, sids)
	if err != nil {
		return err
	}
	for _, o := range list {
		if x, ok := subs[o.SubjectID]; ok {
			o.SubjectName = x.Name
		}
	}
	ph, args := db.InList(ids)
	rows, err := s.db.QueryContext(ctx, `SELECT j.order_id, SUM(j.area_centi), MAX(pr.name) FROM service_jobs j LEFT JOIN service_providers pr ON pr.id = j.provider_id
		WHERE j.status <> 'cancelled' AND j.order_id IN (`+ph+`) GROUP BY j.order_id`, args...)
	if err != nil {
		return fmt.Errorf("order areas: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, area int64
		var name sql.NullString
		if err := rows.Scan(&id, &area, &name); err != nil {
			return err
		}
		by[id].AreaMu, by[id].ProviderName = float64(area)/100, name.String
	}
	return rows.Err()
}

func (s *Service) loadOrder(ctx context.Context, q db.Querier, id int64) (*Order, error) {
	o, err := s.scanOrder(q.QueryRowContext(ctx, `SELECT `+orderCols+` FROM service_orders o WHERE o.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoOrder
	}
	if err != nil {
		return nil, fmt.Errorf("get order %d: %w", id, err)
	}
	return o, nil
}

// canReadOrder checks p against one order.
func (s *Service) canReadOrder(ctx context.Context, q db.Querier, p *auth.Principal, o *Order) (bool, error) {
	switch {
	case p == nil:
		return false, nil
	case p.Is(auth.Member):
		return p.SubjectID == o.SubjectID, nil
	case p.Is(auth.Provider):
		ids, err := s.providerIDsOf(ctx, q, p)
		return o.ProviderID != 0 && slices.Contains(ids, o.ProviderID), err
	}
	return isReader(p) && p.InRegion(o.RegionCode), nil
}

// GetOrder returns an order with its jobs and steps.
func (s *Service) GetOrder(ctx context.Context, p *auth.Principal, id int64) (*Order, error) {
	o, err := s.loadOrder(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if ok, err := s.canReadOrder(ctx, s.db, p, o); err != nil || !ok {
		return nil, errors.Join(errNoOrder, err)
	}
	if err := s.decorateOrders(ctx, []*Order{o}); err != nil {
		return nil, err
	}
	if o.Jobs, err = s.jobsOf(ctx, s.db, "j.order_id = ?", []any{id}); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT job_id, action, from_status, to_status, actor_name, note, at FROM service_order_steps WHERE order_id = ? ORDER BY at, id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var st OrderStep
		if err := rows.Scan(&st.JobID, &st.Action, &st.From, &st.To, &st.Actor, &st.Note, &st.At); err != nil {
			return nil, err
		}
		st.Label, st.At = actionLabel(st.Action), st.At.UTC()
		o.Steps = append(o.Steps, st)
	}
	return o, rows.Err()
}

func actionLabel(a string) string {
	return map[string]string{"place": "下单", "accept": "受理", "dispatch": "派单", "start": "开工", "report": "报工", "complete": "完工", "confirm": "验收确认",
		"dispute": "提出争议", "resolve": "争议处理", "settle": "结算", "cancel": "取消", "assign": "人工派单", "unlock": "解除锁定"}[a]
}

const jobCols = `j.id, j.order_id, j.subject_id, j.provider_id, j.plot_id, j.plot_name, j.region_code, j.lng, j.lat, j.service, j.area_centi, j.price_fen,
	j.window_from, j.window_to, j.status, j.machine_id, COALESCE(m.name, ''), j.plan_day, j.plan_start, j.plan_end, j.locked, j.reported_centi, j.track_centi,
	j.track_flag, j.accepted_centi, j.done_on, j.plan_parts`

func (s *Service) jobsOf(ctx context.Context, q db.Querier, where string, args []any) ([]Job, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+jobCols+` FROM service_jobs j LEFT JOIN service_machines m ON m.id = j.machine_id WHERE `+where+
		` ORDER BY j.plan_day, j.machine_id, j.plan_start, j.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		var j Job
		if err := rows.Scan(&j.ID, &j.OrderID, &j.SubjectID, &j.ProviderID, &j.PlotID, &j.PlotName, &j.RegionCode, &j.Lng, &j.Lat, &j.Service, &j.areaCenti,
			&j.PriceFen, &j.WindowFrom, &j.WindowTo, &j.Status, &j.MachineID, &j.MachineName, &j.PlanDay, &j.PlanStart, &j.PlanEnd, &j.Locked, &j.reportedCenti,
			&j.trackCenti, &j.TrackFlag, &j.acceptedCenti, &j.DoneOn, &j.partsJSON); err != nil {
			return nil, err
		}
		j.AreaMu, j.ReportedMu, j.TrackMu, j.AcceptedMu = float64(j.areaCenti)/100, float64(j.reportedCenti)/100, float64(j.trackCenti)/100, float64(j.acceptedCenti)/100
		j.ServiceName, j.StatusLabel = ItemName(j.Service), JobStatusLabel(j.Status)
		if j.partsJSON != "" {
			if err := json.Unmarshal([]byte(j.partsJSON), &j.Parts); err != nil {
				return nil, fmt.Errorf("job %d parts: %w", j.ID, err)
			}
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// seasonWindow is the next agronomic window of a service from today: the first catalog season not yet over
// (this year or next), clipped to start no earlier than today.
func seasonWindow(it Item, today time.Time) (string, string) {
	y := today.Year()
	best := [2]time.Time{}
	for _, yy := range []int{y, y + 1} {
		for _, se := range it.Seasons {
			from := time.Date(yy, time.Month(se.From), 1, 0, 0, 0, 0, web.Shanghai)
			toY := yy
			if se.To < se.From {
				toY++
			}
			to := time.Date(toY, time.Month(se.To)+1, 0, 0, 0, 0, 0, web.Shanghai)
			if to.Before(today) {
				continue
			}
			if from.Before(today) {
				from = today
			}
			if best[0].IsZero() || from.Before(best[0]) {
				best = [2]time.Time{from, to}
			}
		}
	}
	if best[0].IsZero() {
		return today.Format(time.DateOnly), today.AddDate(0, 0, 30).Format(time.DateOnly)
	}
	return best[0].Format(time.DateOnly), best[1].Format(time.DateOnly)
}

// prepareOrder validates an order (reads only).
func (s *Service) prepareOrder(ctx context.Context, p *auth.Principal, in OrderInput) (*preparedOrder, error) {
	switch {
	case p != nil && p.Is(auth.Member):
		in.SubjectID = p.SubjectID
	case !isStaff(p):
		return nil, apperr.New(apperr.Forbidden, "只有会员本人或工作人员（代办）可以下托管订单")
	}
	fields := map[string]string{}
	if !slices.Contains([]string{ScopeSingle, ScopeMulti, ScopeWhole}, in.Scope) {
		fields["scope"] = "托管环节应为 single 单环节、multi 多环节或 whole 全程"
	}
	if !slices.Contains([]string{ModeNanny, ModeMenu, ModeOrder}, in.Mode) {
		fields["mode"] = "托管方式应为 nanny 保姆式、menu 菜单式或 order 订单式"
	}
	in.ContractRef, in.Note = strings.TrimSpace(in.ContractRef), strings.TrimSpace(in.Note)
	if in.Mode == ModeOrder && in.ContractRef == "" {
		fields["contract_ref"] = "订单式托管须填写关联的购销合同编号"
	}
	if in.Scope == ScopeWhole || in.Mode == ModeNanny {
		in.Services = WholeProcess
	}
	var svc []string
	for _, c := range in.Services {
		if it, ok := defaultItem(c); !ok || it.Group != GroupProduction {
			fields["services"] = "未知的生产服务：" + c
			break
		}
		if !slices.Contains(svc, c) {
			svc = append(svc, c)
		}
	}
	switch {
	case fields["services"] != "":
	case len(svc) == 0:
		fields["services"] = "请选择托管的服务项目"
	case in.Scope == ScopeSingle && len(svc) != 1:
		fields["services"] = "单环节托管只能选一项服务"
	case in.Scope == ScopeMulti && len(svc) < 2:
		fields["services"] = "多环节托管至少选两项服务"
	}
	if in.SubsidyFenMu < 0 || in.SubsidyFenMu > 100000 {
		fields["subsidy_fen_mu"] = "补贴应在 0–1000 元/亩之间"
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		fields["note"] = "备注不能超过 500 字"
	}
	subs, err := s.subjects.Lookup(ctx, []int64{in.SubjectID})
	if err != nil {
		return nil, err
	}
	subj, ok := subs[in.SubjectID]
	if !ok {
		fields["subject_id"] = "请选择下单的经营主体"
	} else if !p.Is(auth.Member) && !p.InRegion(subj.RegionCode) {
		return nil, apperr.New(apperr.Forbidden, "该经营主体不在您的管辖范围内")
	}
	var plots []registry.Plot
	if ok {
		all, _, err := s.subjects.Plots(ctx, p, registry.PlotFilter{SubjectID: in.SubjectID, PerPage: 1000})
		if err != nil {
			return nil, err
		}
		for _, id := range in.PlotIDs {
			i := slices.IndexFunc(all, func(pl registry.Plot) bool { return pl.ID == id })
			if i < 0 {
				fields["plot_ids"] = fmt.Sprintf("地块 %d 不是该主体登记的地块", id)
				break
			}
			if all[i].AreaMu <= 0 {
				fields["plot_ids"] = "地块“" + all[i].Name + "”没有面积"
				break
			}
			if !slices.ContainsFunc(plots, func(pl registry.Plot) bool { return pl.ID == id }) {
				plots = append(plots, all[i])
			}
		}
		if len(plots) == 0 && fields["plot_ids"] == "" {
			fields["plot_ids"] = "请选择至少一块地"
		}
	}
	var wFrom, wTo string
	if in.WindowFrom != "" || in.WindowTo != "" {
		f, e1 := time.Parse(time.DateOnly, in.WindowFrom)
		t, e2 := time.Parse(time.DateOnly, in.WindowTo)
		if e1 != nil || e2 != nil || t.Before(f) || t.Sub(f) > 366*24*time.Hour {
			fields["window_from"] = "作业期应为 YYYY-MM-DD，结束不早于开始，且不超过一年"
		}
		wFrom, wTo = in.WindowFrom, in.WindowTo
	}
	var prov *Provider
	if in.ProviderID != 0 {
		if prov, err = s.loadProvider(ctx, s.db, in.ProviderID); err != nil || (ok && region.County(prov.RegionCode) != region.County(subj.RegionCode)) || prov.Status != "active" {
			fields["provider_id"] = "服务主体不存在、已暂停或不在本县"
		} else if miss := missing(prov.Services, svc); len(miss) > 0 {
			fields["provider_id"] = prov.Name + " 不提供：" + strings.Join(miss, "、")
		} else if len(prov.Townships) > 0 {
			for _, pl := range plots {
				if !slices.Contains(prov.Townships, region.Township(pl.RegionCode)) {
					fields["provider_id"] = prov.Name + " 的服务范围不含" + s.regions.Name(region.Township(pl.RegionCode))
					break
				}
			}
		}
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	return &preparedOrder{in: in, subj: subj, plots: plots, svc: svc, wFrom: wFrom, wTo: wTo}, nil
}

// preparedOrder is a validated order, ready to insert.
type preparedOrder struct {
	in         OrderInput
	subj       *registry.Subject
	plots      []registry.Plot
	svc        []string
	wFrom, wTo string
}

// PlaceOrder places a trusteeship order: one job per plot × service. A member orders for its own subject; staff
// order on a subject's behalf (代办) in their scope.
func (s *Service) PlaceOrder(ctx context.Context, p *auth.Principal, in OrderInput) (*Order, error) {
	po, err := s.prepareOrder(ctx, p, in)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.insertOrder(ctx, tx, p, po)
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.GetOrder(ctx, p, id)
}

func (s *Service) insertOrder(ctx context.Context, tx *db.Tx, p *auth.Principal, po *preparedOrder) (int64, error) {
	in, subj, plots, svc, wFrom, wTo := po.in, po.subj, po.plots, po.svc, po.wFrom, po.wTo
	var err error
	county := region.County(subj.RegionCode)
	items := map[string]Item{}
	list, err := s.catalog(ctx, tx, county)
	if err != nil {
		return 0, err
	}
	for _, it := range list {
		items[it.Code] = it
	}
	today := s.now().In(web.Shanghai)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, web.Shanghai)
	{
		now := s.nowUTC()
		id := tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_orders (id, county_code, subject_id, region_code, provider_id, scope, mode, contract_ref, services,
			status, subsidy_fen_mu, proxy, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, county, in.SubjectID, subj.RegionCode,
			in.ProviderID, in.Scope, in.Mode, in.ContractRef, strings.Join(svc, ","), OrdPlaced, in.SubsidyFenMu, !p.Is(auth.Member), in.Note, now, now); err != nil {
			return 0, fmt.Errorf("insert order: %w", err)
		}
		for _, pl := range plots {
			lng, lat := s.plotCoord(pl.RegionCode, pl.Lng, pl.Lat)
			for _, c := range svc {
				f, t := wFrom, wTo
				if f == "" {
					f, t = seasonWindow(items[c], today)
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO service_jobs (id, order_id, county_code, region_code, subject_id, provider_id, mode, plot_id, plot_name,
					lng, lat, service, area_centi, price_fen, window_from, window_to, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					tx.NextID(), id, county, pl.RegionCode, in.SubjectID, in.ProviderID, in.Mode, pl.ID, pl.Name, lng, lat, c, centi(pl.AreaMu),
					items[c].PriceFen, f, t, JobPending); err != nil {
					return 0, fmt.Errorf("insert job: %w", err)
				}
			}
		}
		note := ScopeLabel(in.Scope) + "·" + ModeLabel(in.Mode)
		if !p.Is(auth.Member) {
			note += "（代办）"
		}
		return id, s.step(ctx, tx, p, id, 0, "place", "", OrdPlaced, note, map[string]any{"subject_id": in.SubjectID, "plots": in.PlotIDs, "services": svc,
			"scope": in.Scope, "mode": in.Mode, "provider_id": in.ProviderID})
	}
}

func missing(have, want []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			out = append(out, ItemName(w))
		}
	}
	return out
}

// step records one step of an order (history table) and its audit entry, in the same transaction.
func (s *Service) step(ctx context.Context, tx *db.Tx, p *auth.Principal, orderID, jobID int64, action, from, to, note string, detail map[string]any) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO service_order_steps (id, order_id, job_id, action, from_status, to_status, actor_id, actor_name, note, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tx.NextID(), orderID, jobID, action, from, to, p.UserID, displayName(p), note, s.nowUTC()); err != nil {
		return fmt.Errorf("insert step: %w", err)
	}
	if detail == nil {
		detail = map[string]any{}
	}
	detail["status"] = to
	if jobID != 0 {
		detail["job_id"] = jobID
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: action, Entity: "service_order", EntityID: orderID,
		Summary: fmt.Sprintf("托管订单 %d %s：%s", orderID, actionLabel(action), note), Before: map[string]any{"status": from}, After: detail})
}

// setOrderStatus moves the order from one of froms to `to` (compare-and-set: a concurrent change is a 409).
func setOrderStatus(ctx context.Context, tx *db.Tx, o *Order, to string, now time.Time, froms ...string) error {
	if !slices.Contains(froms, o.Status) {
		return apperr.New(apperr.Conflict, "订单当前状态为“"+OrderStatusLabel(o.Status)+"”，不能执行此操作")
	}
	res, err := tx.ExecContext(ctx, `UPDATE service_orders SET status = ?, updated_at = ? WHERE id = ? AND status = ?`, to, now, o.ID, o.Status)
	if err != nil {
		return fmt.Errorf("update order: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.New(apperr.Conflict, "订单已被他人修改，请刷新后重试")
	}
	return nil
}

// orderFor loads an order p may read, inside tx.
func (s *Service) orderFor(ctx context.Context, tx *db.Tx, p *auth.Principal, id int64) (*Order, error) {
	o, err := s.loadOrder(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if ok, err := s.canReadOrder(ctx, tx, p, o); err != nil || !ok {
		return nil, errors.Join(errNoOrder, err)
	}
	return o, nil
}

func staffOf(p *auth.Principal, o *Order) error {
	if !isStaff(p) {
		return errReadOnly
	}
	if !p.InRegion(o.RegionCode) {
		return apperr.New(apperr.Forbidden, "该订单不在您的管辖范围内")
	}
	return nil
}
