package service

import (
	"context"
	"database/sql"
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
	j.track_flag, j.accepted_centi, j.done_on`

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
			&j.trackCenti, &j.TrackFlag, &j.acceptedCenti, &j.DoneOn); err != nil {
			return nil, err
		}
		j.AreaMu, j.ReportedMu, j.TrackMu, j.AcceptedMu = float64(j.areaCenti)/100, float64(j.reportedCenti)/100, float64(j.trackCenti)/100, float64(j.acceptedCenti)/100
		j.ServiceName, j.StatusLabel = ItemName(j.Service), JobStatusLabel(j.Status)
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
