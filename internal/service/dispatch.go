package service

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
	"nongfu/internal/solve/dispatch"
)

// Working day of the dispatch model: 07:00–19:00.
const (
	dayStart = 7 * 60
	dayEnd   = 19 * 60
)

// DispatchInput asks for a plan of one region (township or county) over [From, From+Days).
type DispatchInput struct {
	Region     string `json:"region" doc:"乡镇或区县代码"`
	From       string `json:"from" doc:"开始日期 YYYY-MM-DD（默认今天）"`
	Days       int    `json:"days" doc:"计划天数 1–31（默认 7）"`
	ProviderID int64  `json:"provider_id" doc:"只排某个服务主体（服务主体账号只能排自己的）"`
	TimeLimit  int    `json:"time_limit_ms" doc:"求解时间上限（毫秒；默认 300 + 每项作业 5，最多 3000；上限 30000）"`
}

// DispatchRun is a stored dispatch result.
type DispatchRun struct {
	ID           int64      `json:"id"`
	Region       string     `json:"region"`
	From         string     `json:"from"`
	Days         int        `json:"days"`
	Placed       int        `json:"placed"`
	Unplaced     int        `json:"unplaced"`
	TravelKm     float64    `json:"travel_km"`
	LateDays     int        `json:"late_days"`
	ElapsedMs    int64      `json:"elapsed_ms"`
	Reasons      []Unplaced `json:"reasons"`
	Actor        string     `json:"actor"`
	CreatedAt    time.Time  `json:"created_at"`
	LockedKept   int        `json:"locked_kept" doc:"保持不动的锁定或已开工作业数"`
	MachinesUsed int        `json:"machines_used"`
	RoadPairs    int        `json:"road_pairs" doc:"按导入道路里程计算的点对数（0 = 全部按直线距离 × 1.3）"`
}

// Unplaced is a job the plan could not place, with the solver's reason.
type Unplaced struct {
	JobID  int64  `json:"job_id"`
	Label  string `json:"label"`
	Reason string `json:"reason"`
}

func (in *DispatchInput) normalise(today string) error {
	fields := map[string]string{}
	if in.From == "" {
		in.From = today
	}
	if _, err := time.Parse(time.DateOnly, in.From); err != nil {
		fields["from"] = "开始日期应为 YYYY-MM-DD"
	}
	if in.Days == 0 {
		in.Days = 7
	}
	if in.Days < 1 || in.Days > 31 {
		fields["days"] = "计划天数应在 1–31 之间"
	}
	if in.TimeLimit < 0 {
		fields["time_limit_ms"] = "求解时间不能为负"
	}
	in.TimeLimit = min(in.TimeLimit, 30000)
	if len(fields) > 0 {
		return apperr.FieldErrors(fields)
	}
	return nil
}

func dayIndex(from, day string) int {
	a, _ := time.Parse(time.DateOnly, from)
	b, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return -1
	}
	return int(math.Round(b.Sub(a).Hours() / 24))
}

func dayAt(from string, i int) string {
	a, _ := time.Parse(time.DateOnly, from)
	return a.AddDate(0, 0, i).Format(time.DateOnly)
}

// dispatchScope checks p may plan region and returns the provider filter (a provider account plans only its own).
func (s *Service) dispatchScope(ctx context.Context, p *auth.Principal, in *DispatchInput) ([]int64, error) {
	if _, ok := s.regions.Get(in.Region); !ok {
		return nil, apperr.FieldErrors(map[string]string{"region": "请选择乡镇或区县"})
	}
	if p != nil && p.Is(auth.Provider) {
		ids, err := s.providerIDsOf(ctx, s.db, p)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, apperr.New(apperr.Forbidden, "您的账号没有对应的服务主体")
		}
		if in.ProviderID != 0 {
			if !slices.Contains(ids, in.ProviderID) {
				return nil, apperr.New(apperr.Forbidden, "只能调度本服务主体的作业")
			}
			return []int64{in.ProviderID}, nil
		}
		return ids, nil
	}
	if !isStaff(p) {
		return nil, apperr.New(apperr.Forbidden, "只有县级管理员、乡镇操作员和服务主体可以调度")
	}
	if !p.InRegion(in.Region) {
		return nil, apperr.New(apperr.Forbidden, "该区域不在您的管辖范围内")
	}
	if in.ProviderID != 0 {
		return []int64{in.ProviderID}, nil
	}
	return nil, nil
}

// dispatchJobs are the open jobs of accepted orders in the region (and providers) whose window opens in the horizon.
func (s *Service) dispatchJobs(ctx context.Context, q db.Querier, regionCode string, providers []int64, lastDay string) ([]Job, error) {
	lo, hi := db.PrefixRange(auth.RegionPrefix(regionCode))
	where := `j.status IN ('pending', 'planned', 'working') AND j.provider_id <> 0 AND j.region_code >= ? AND j.region_code < ? AND j.window_from <= ?
		AND j.order_id IN (SELECT id FROM service_orders WHERE status IN ('accepted', 'dispatched', 'working'))`
	args := []any{lo, hi, lastDay}
	if len(providers) > 0 {
		ph, a := db.InList(providers)
		where += " AND j.provider_id IN (" + ph + ")"
		args = append(args, a...)
	}
	return s.jobsOf(ctx, q, where, args)
}

func (s *Service) machinesOf(ctx context.Context, q db.Querier, providers []int64) ([]*Machine, error) {
	if len(providers) == 0 {
		return nil, nil
	}
	ph, args := db.InList(providers)
	rows, err := q.QueryContext(ctx, `SELECT `+machineCols+` FROM service_machines m JOIN service_providers pr ON pr.id = m.provider_id
		WHERE m.status <> 'retired' AND m.provider_id IN (`+ph+`) ORDER BY m.provider_id, m.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("dispatch machines: %w", err)
	}
	defer rows.Close()
	var out []*Machine
	for rows.Next() {
		m, err := scanMachine(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func jobType(providerID int64, service string) string {
	return strconv.FormatInt(providerID, 10) + ":" + service
}

// BuildInstance turns jobs and machines into a solver instance. A job's type is provider:service, so only the
// ordering provider's machines can do it. Broken machines are unavailable every day; locked (hand-fixed or started)
// jobs on available machines inside the horizon carry their lock; locked jobs outside it are left out.
func BuildInstance(from string, days int, jobs []Job, machines []*Machine) (*dispatch.Instance, map[string]*Job, int) {
	inst := &dispatch.Instance{Days: days, DayStart: dayStart, DayEnd: dayEnd}
	avail := map[int64]bool{}
	for _, m := range machines {
		dm := dispatch.Machine{ID: strconv.FormatInt(m.ID, 10), Base: dispatch.Location{Lat: m.BaseLat, Lon: m.BaseLng},
			RateMuPerHour: m.RateMuDay / float64(max(m.HoursDay, 1)), HoursPerDay: float64(m.HoursDay)}
		for _, sv := range m.Services {
			dm.Types = append(dm.Types, jobType(m.ProviderID, sv))
		}
		if m.Status == MachineBroken {
			for d := 0; d < days; d++ {
				dm.Unavailable = append(dm.Unavailable, d)
			}
		} else {
			avail[m.ID] = true
		}
		inst.Machines = append(inst.Machines, dm)
	}
	byID := map[string]*Job{}
	kept := 0
	for i := range jobs {
		j := &jobs[i]
		e, l := max(0, dayIndex(from, j.WindowFrom)), dayIndex(from, j.WindowTo)
		if e >= days {
			continue
		}
		l = min(max(l, e), days-1) // a window already past is due on the first day (lateness is not back-dated)
		dj := dispatch.Job{ID: strconv.FormatInt(j.ID, 10), Type: jobType(j.ProviderID, j.Service), Loc: dispatch.Location{Lat: j.Lat, Lon: j.Lng},
			AreaMu: float64(j.areaCenti) / 100, EarliestDay: e, LatestDay: l}
		if j.Locked && len(j.Parts) > 0 {
			// a started or fixed split job: each placed part inside the horizon is kept as a locked job of its own
			// (the solver never splits a locked job); parts outside it or unplaced are not ours to move
			lockedAny := false
			for _, pt := range j.Parts {
				d := dayIndex(from, pt.Day)
				if pt.MachineID == 0 || d < 0 || d >= days || !avail[pt.MachineID] {
					continue
				}
				pj := dj
				pj.ID, pj.AreaMu = partID(j.ID, pt.Part), pt.AreaMu
				pj.EarliestDay, pj.LatestDay = min(dj.EarliestDay, d), max(dj.LatestDay, d)
				pj.Lock = &dispatch.Assignment{Job: pj.ID, Machine: strconv.FormatInt(pt.MachineID, 10), Day: d, Start: pt.Start, End: pt.End}
				inst.Jobs = append(inst.Jobs, pj)
				lockedAny = true
			}
			if lockedAny {
				kept++
			}
			byID[dj.ID] = j
			continue
		}
		if j.Locked && j.MachineID != 0 {
			d := dayIndex(from, j.PlanDay)
			if d < 0 || d >= days {
				continue // fixed outside this horizon: not ours to move
			}
			if avail[j.MachineID] {
				dj.Lock = &dispatch.Assignment{Job: dj.ID, Machine: strconv.FormatInt(j.MachineID, 10), Day: d, Start: j.PlanStart, End: j.PlanEnd}
				dj.EarliestDay, dj.LatestDay = min(dj.EarliestDay, d), max(dj.LatestDay, d)
				kept++
			}
		}
		inst.Jobs = append(inst.Jobs, dj)
		byID[dj.ID] = j
	}
	return inst, byID, kept
}

// Dispatch plans the region's open jobs over the horizon with the solver and stores the plan on the jobs.
func (s *Service) Dispatch(ctx context.Context, p *auth.Principal, in DispatchInput) (*DispatchRun, error) {
	if err := in.normalise(s.today()); err != nil {
		return nil, err
	}
	providers, err := s.dispatchScope(ctx, p, &in)
	if err != nil {
		return nil, err
	}
	last := dayAt(in.From, in.Days-1)
	jobs, err := s.dispatchJobs(ctx, s.db, in.Region, providers, last)
	if err != nil {
		return nil, err
	}
	if providers == nil {
		for _, j := range jobs {
			if !slices.Contains(providers, j.ProviderID) {
				providers = append(providers, j.ProviderID)
			}
		}
	}
	machines, err := s.machinesOf(ctx, s.db, providers)
	if err != nil {
		return nil, err
	}
	inst, byID, kept := BuildInstance(in.From, in.Days, jobs, machines)
	roads, err := s.roadsOf(ctx, s.db, region.County(in.Region))
	if err != nil {
		return nil, err
	}
	baseCodes, jobCodes := make([]string, len(machines)), make([]string, len(inst.Jobs))
	for i, m := range machines {
		baseCodes[i] = m.RegionCode
	}
	for i, dj := range inst.Jobs {
		id, _ := parseJobID(dj.ID)
		if j := byID[id]; j != nil {
			jobCodes[i] = j.RegionCode
		}
	}
	run := &DispatchRun{Region: in.Region, From: in.From, Days: in.Days, Actor: displayName(p), CreatedAt: s.nowUTC(), LockedKept: kept, Reasons: []Unplaced{},
		RoadPairs: applyRoads(inst, baseCodes, jobCodes, roads)}
	var plan dispatch.Plan
	if len(inst.Jobs) > 0 && len(inst.Machines) > 0 {
		limit := in.TimeLimit
		if limit == 0 { // small plans need little search: 0.3 s plus 5 ms a job, at most 3 s
			limit = min(300+5*len(inst.Jobs), 3000)
		}
		plan, err = dispatch.Solve(ctx, inst, dispatch.Options{TimeLimit: time.Duration(limit) * time.Millisecond, Seed: 1})
		if err != nil {
			return nil, fmt.Errorf("dispatch solve: %w", err)
		}
	} else {
		for _, dj := range inst.Jobs {
			plan.Unplaced = append(plan.Unplaced, dispatch.Unplaced{Job: dj.ID, Reason: "没有可做该作业的农机"})
		}
	}
	first := map[string]dispatch.Assignment{}
	parts := map[string][]JobPart{} // every day part of each split job, placed or not
	used := map[string]bool{}
	for _, a := range plan.Assignments {
		used[a.Machine] = true
		id, sub := parseJobID(a.Job)
		if sub > 0 {
			if _, ok := first[id]; !ok {
				first[id] = a // a kept part of a locked split job: the job counts as placed
			}
			continue
		}
		if f, ok := first[id]; !ok || a.Part < f.Part {
			first[id] = a
		}
		if a.Parts > 0 {
			mid, _ := strconv.ParseInt(a.Machine, 10, 64)
			parts[id] = append(parts[id], JobPart{Part: a.Part, Parts: a.Parts, MachineID: mid, MachineName: machineName(machines, mid),
				Day: dayAt(in.From, a.Day), Start: a.Start, End: a.End, AreaMu: math.Round(a.AreaMu*100) / 100})
		}
	}
	for _, u := range plan.Unplaced {
		if u.Part > 0 {
			if _, placed := first[u.Job]; placed {
				parts[u.Job] = append(parts[u.Job], JobPart{Part: u.Part, AreaMu: math.Round(u.AreaMu*100) / 100})
			}
		}
	}
	for id, ps := range parts {
		n := 0
		for _, pt := range ps {
			n = max(n, pt.Parts)
		}
		for i := range ps {
			ps[i].Parts = max(n, len(ps))
		}
		slices.SortFunc(ps, func(a, b JobPart) int { return a.Part - b.Part })
		parts[id] = ps
	}
	run.Placed, run.TravelKm, run.LateDays, run.ElapsedMs, run.MachinesUsed = len(first), math.Round(plan.TravelKm*10)/10, plan.LatenessDays, plan.ElapsedMs, len(used)
	for _, u := range plan.Unplaced {
		id, _ := parseJobID(u.Job)
		if _, placed := first[id]; placed {
			continue // another day part of a split job was placed; the unplaced parts are listed on the job
		}
		j := byID[id]
		if j == nil || slices.ContainsFunc(run.Reasons, func(x Unplaced) bool { return x.JobID == j.ID }) {
			continue
		}
		run.Reasons = append(run.Reasons, Unplaced{JobID: j.ID, Label: j.PlotName + " · " + j.ServiceName, Reason: u.Reason})
	}
	run.Unplaced = len(run.Reasons)
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		touched := map[int64]bool{}
		for id, j := range byID {
			a, ok := first[id]
			switch {
			case j.Status == JobWorking || (j.Locked && !ok):
				continue // started or fixed jobs stay as they are
			case ok:
				mid, _ := strconv.ParseInt(a.Machine, 10, 64)
				pj := ""
				if ps := parts[id]; len(ps) > 0 {
					b, _ := json.Marshal(ps)
					pj = string(b)
				}
				if _, err := tx.ExecContext(ctx, `UPDATE service_jobs SET machine_id = ?, plan_day = ?, plan_start = ?, plan_end = ?, plan_parts = ?, status = 'planned' WHERE id = ?`,
					mid, dayAt(in.From, a.Day), a.Start, a.End, pj, j.ID); err != nil {
					return fmt.Errorf("store plan: %w", err)
				}
			default:
				if _, err := tx.ExecContext(ctx, `UPDATE service_jobs SET machine_id = 0, plan_day = '', plan_start = 0, plan_end = 0, plan_parts = '', status = 'pending' WHERE id = ?`, j.ID); err != nil {
					return err
				}
			}
			touched[j.OrderID] = true
		}
		for oid := range touched {
			if err := s.promoteDispatched(ctx, tx, p, oid); err != nil {
				return err
			}
		}
		reasons, _ := json.Marshal(run.Reasons)
		run.ID = tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_dispatch_runs (id, county_code, region_code, provider_id, date_from, days, placed, unplaced, travel_m,
			late_days, elapsed_ms, unplaced_json, actor_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, run.ID, region.County(in.Region), in.Region,
			in.ProviderID, in.From, in.Days, run.Placed, run.Unplaced, int64(plan.TravelKm*1000), run.LateDays, run.ElapsedMs, string(reasons), run.Actor, run.CreatedAt); err != nil {
			return fmt.Errorf("insert run: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "dispatch", Entity: "service_dispatch", EntityID: run.ID,
			Summary: fmt.Sprintf("农机调度 %s %s 起 %d 天：排入 %d，未排 %d", s.regions.Name(in.Region), in.From, in.Days, run.Placed, run.Unplaced),
			After:   map[string]any{"placed": run.Placed, "unplaced": run.Unplaced, "travel_km": run.TravelKm, "late_days": run.LateDays, "locked_kept": kept}})
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// promoteDispatched moves an accepted order to 已派单 once every open job has a machine.
func (s *Service) promoteDispatched(ctx context.Context, tx *db.Tx, p *auth.Principal, orderID int64) error {
	o, err := s.loadOrder(ctx, tx, orderID)
	if err != nil || o.Status != OrdAccepted {
		return err
	}
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_jobs WHERE order_id = ? AND status = 'pending'`, orderID).Scan(&open); err != nil {
		return err
	}
	if open > 0 {
		return nil
	}
	if err := setOrderStatus(ctx, tx, o, OrdDispatched, s.nowUTC(), OrdAccepted); err != nil {
		return err
	}
	return s.step(ctx, tx, p, orderID, 0, "dispatch", OrdAccepted, OrdDispatched, "全部作业已派到农机", nil)
}

// AssignJob fixes a job by hand on a machine, day and start (a lock: re-planning keeps it).
func (s *Service) AssignJob(ctx context.Context, p *auth.Principal, jobID, machineID int64, day string, start int) (*Job, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		js, err := s.jobsOf(ctx, tx, "j.id = ?", []any{jobID})
		if err != nil || len(js) == 0 {
			return apperr.New(apperr.NotFound, "作业不存在")
		}
		j := js[0]
		o, err := s.orderFor(ctx, tx, p, j.OrderID)
		if err != nil {
			return err
		}
		if !p.Is(auth.Provider) {
			if err := staffOf(p, o); err != nil {
				return err
			}
		}
		if j.Status != JobPending && j.Status != JobPlanned {
			return apperr.New(apperr.Conflict, "只能调整待派或已派的作业")
		}
		if !slices.Contains([]string{OrdAccepted, OrdDispatched, OrdWorking}, o.Status) {
			return apperr.New(apperr.Conflict, "订单尚未受理或已结束")
		}
		if machineID == 0 { // unlock
			if _, err := tx.ExecContext(ctx, `UPDATE service_jobs SET locked = ? WHERE id = ?`, false, jobID); err != nil {
				return err
			}
			return s.step(ctx, tx, p, o.ID, jobID, "unlock", o.Status, o.Status, j.PlotName+" "+j.ServiceName+" 解除锁定", nil)
		}
		m, err := s.loadMachine(ctx, tx, machineID)
		if err != nil || m.ProviderID != j.ProviderID {
			return apperr.FieldErrors(map[string]string{"machine_id": "只能派给承接该订单的服务主体的农机"})
		}
		fields := map[string]string{}
		if !slices.Contains(m.Services, j.Service) {
			fields["machine_id"] = m.Name + " 不能做" + j.ServiceName
		}
		if m.Status != MachineOK {
			fields["machine_id"] = m.Name + " 当前" + m.StatusLabel
		}
		if _, err := time.Parse(time.DateOnly, day); err != nil {
			fields["day"] = "日期应为 YYYY-MM-DD"
		}
		hours := float64(j.areaCenti) / 100 / (m.RateMuDay / float64(max(m.HoursDay, 1)))
		end := start + int(math.Ceil(hours*60))
		if start < dayStart || end > dayEnd {
			fields["start"] = fmt.Sprintf("作业需约 %.1f 小时，应在 07:00–19:00 之间完成", hours)
		}
		if len(fields) > 0 {
			return apperr.FieldErrors(fields)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE service_jobs SET machine_id = ?, plan_day = ?, plan_start = ?, plan_end = ?, plan_parts = '', locked = ?, status = 'planned' WHERE id = ?`,
			machineID, day, start, end, true, jobID); err != nil {
			return err
		}
		if err := s.step(ctx, tx, p, o.ID, jobID, "assign", o.Status, o.Status, fmt.Sprintf("%s %s 锁定到 %s %s %s", j.PlotName, j.ServiceName, m.Name, day, hhmm(start)),
			map[string]any{"machine_id": machineID, "day": day, "start": start}); err != nil {
			return err
		}
		return s.promoteDispatched(ctx, tx, p, o.ID)
	})
	if err != nil {
		return nil, err
	}
	js, err := s.jobsOf(ctx, s.db, "j.id = ?", []any{jobID})
	if err != nil || len(js) == 0 {
		return nil, err
	}
	return &js[0], nil
}

func machineName(ms []*Machine, id int64) string {
	for _, m := range ms {
		if m.ID == id {
			return m.Name
		}
	}
	return ""
}

func hhmm(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// JobFilter selects jobs for the dispatch screen and the provider's list.
type JobFilter struct {
	Region, From, To, Status string
	ProviderID, MachineID    int64
	Limit                    int
}

// ListJobs lists the jobs p may read: providers their own, members their own, readers in scope.
func (s *Service) ListJobs(ctx context.Context, p *auth.Principal, f JobFilter) ([]Job, error) {
	var where string
	var args []any
	switch {
	case p == nil:
		return nil, nil
	case p.Is(auth.Provider):
		ids, err := s.providerIDsOf(ctx, s.db, p)
		if err != nil || len(ids) == 0 {
			return nil, err
		}
		ph, a := db.InList(ids)
		where, args = "j.provider_id IN ("+ph+")", a
	case p.Is(auth.Member):
		where, args = "j.subject_id = ?", []any{p.SubjectID}
	default:
		where, args = scopeSQL(p, "j.region_code", "")
	}
	if f.Region != "" {
		lo, hi := db.PrefixRange(auth.RegionPrefix(f.Region))
		where += " AND j.region_code >= ? AND j.region_code < ?"
		args = append(args, lo, hi)
	}
	if f.Status != "" {
		where += " AND j.status = ?"
		args = append(args, f.Status)
	}
	if f.ProviderID != 0 {
		where += " AND j.provider_id = ?"
		args = append(args, f.ProviderID)
	}
	if f.MachineID != 0 {
		where += " AND j.machine_id = ?"
		args = append(args, f.MachineID)
	}
	if f.From != "" {
		where += " AND (j.plan_day = '' OR j.plan_day >= ?)"
		args = append(args, f.From)
	}
	if f.To != "" {
		where += " AND (j.plan_day = '' OR j.plan_day <= ?) AND j.window_from <= ?"
		args = append(args, f.To, f.To)
	}
	if f.Limit <= 0 {
		f.Limit = 2000
	}
	where += " AND j.order_id IN (SELECT id FROM service_orders WHERE status IN ('accepted', 'dispatched', 'working', 'completed'))"
	jobs, err := s.jobsOf(ctx, s.db, where, args)
	if len(jobs) > f.Limit {
		jobs = jobs[:f.Limit]
	}
	return jobs, err
}

// LastRun is the latest dispatch run of a region (nil when none).
func (s *Service) LastRun(ctx context.Context, regionCode string) (*DispatchRun, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, region_code, date_from, days, placed, unplaced, travel_m, late_days, elapsed_ms, unplaced_json, actor_name, created_at
		FROM service_dispatch_runs WHERE region_code = ? ORDER BY created_at DESC, id DESC LIMIT 1`, regionCode)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	r := &DispatchRun{}
	var travel int64
	var reasons string
	if err := rows.Scan(&r.ID, &r.Region, &r.From, &r.Days, &r.Placed, &r.Unplaced, &travel, &r.LateDays, &r.ElapsedMs, &reasons, &r.Actor, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.TravelKm = float64(travel) / 1000
	_ = json.Unmarshal([]byte(reasons), &r.Reasons)
	return r, nil
}
