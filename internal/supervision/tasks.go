package supervision

import (
	"context"
	"fmt"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
	"nongfu/internal/reform"
	"nongfu/internal/validate"
)

// TaskFilter selects tasks.
type TaskFilter struct {
	Status string // a status code
	UnitID int64  // lead or cooperating
	Mine   bool   // only the caller's units' tasks
	Q      string
}

// planRegion is the county of the plan.
func planRegion() string {
	st, err := LoadStructure()
	if err != nil {
		return ""
	}
	return st.Region
}

// system is the principal the room reads the plan's KPIs as (county-wide, read-only).
func system() *auth.Principal {
	return &auth.Principal{Username: "system", Role: auth.Taskforce, Scopes: []string{planRegion()}}
}

// kpis returns the plan's KPIs by key (empty when the plan room is not wired or fails: status then rests on
// reports alone, and the page says so).
func (s *Service) kpis(ctx context.Context) (map[string]reform.KPI, error) {
	out := map[string]reform.KPI{}
	if s.plan == nil {
		return out, nil
	}
	s.kpiMu.Lock()
	defer s.kpiMu.Unlock()
	if s.kpiTTL > 0 && s.kpiCache != nil && time.Since(s.kpiAt) < s.kpiTTL {
		return s.kpiCache, nil
	}
	b, err := s.plan.KPIs(ctx, system(), planRegion())
	if err != nil {
		return out, err
	}
	for _, k := range b.Items {
		out[k.Key] = k
	}
	s.kpiCache, s.kpiAt = out, time.Now()
	return out, nil
}

func kpiKnown(k reform.KPI, ok bool) bool {
	return ok && k.Error == "" && (k.Source == reform.SourceComputed || k.ReportedOn != "")
}

type lastReport struct {
	at   time.Time
	pct  int
	done bool
	n    int
}

func parseDay(s string) (time.Time, error) {
	return time.ParseInLocation("2006-01-02", s, web.Shanghai)
}

// loadTasks reads tasks (all, or one id) with units, report summaries, open notices and computed status.
func (s *Service) loadTasks(ctx context.Context, q db.Querier, only int64) ([]Task, error) {
	where, args := "", []any{}
	if only != 0 {
		where, args = "WHERE id = ?", []any{only}
	}
	rows, err := q.QueryContext(ctx, `SELECT id, no, area, matter, text, kpi_key, target, start_on, due_on, townships, coop_etc, note, updated_at FROM sup_tasks `+where+` ORDER BY no`, args...)
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	var out []Task
	for rows.Next() {
		var t Task
		if err := rows.Scan(&t.ID, &t.No, &t.Area, &t.Matter, &t.Text, &t.KPI, &t.Target, &t.StartOn, &t.DueOn, &t.Townships, &t.CoopEtc, &t.Note, &t.UpdatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	links, err := s.links(ctx, q, "task")
	if err != nil {
		return nil, err
	}
	last := map[int64]*lastReport{}
	rrows, err := q.QueryContext(ctx, `SELECT task_id, created_at, progress_pct, done FROM sup_reports WHERE kind = 'report' ORDER BY task_id, created_at`)
	if err != nil {
		return nil, fmt.Errorf("report summary: %w", err)
	}
	for rrows.Next() {
		var id int64
		var l lastReport
		if err := rrows.Scan(&id, &l.at, &l.pct, &l.done); err != nil {
			rrows.Close()
			return nil, err
		}
		if p := last[id]; p != nil {
			l.n = p.n
		}
		l.n++
		last[id] = &l
	}
	rrows.Close()
	open := map[int64]int{}
	nrows, err := q.QueryContext(ctx, `SELECT task_id, COUNT(*) FROM sup_notices WHERE answered_at IS NULL GROUP BY task_id`)
	if err != nil {
		return nil, fmt.Errorf("open notices: %w", err)
	}
	for nrows.Next() {
		var id int64
		var n int
		if err := nrows.Scan(&id, &n); err != nil {
			nrows.Close()
			return nil, err
		}
		open[id] = n
	}
	nrows.Close()
	kpis, _ := s.kpis(ctx) // a failing plan room leaves status to the reports
	now := s.now()
	for i := range out {
		t := &out[i]
		t.Lead, t.Coop = links[t.ID]["lead"], links[t.ID]["coop"]
		t.OpenNotices = open[t.ID]
		in := StatusInput{Now: now}
		in.Start, _ = parseDay(t.StartOn)
		in.Due, _ = parseDay(t.DueOn)
		if l := last[t.ID]; l != nil {
			t.Reports, in.LastReport, in.ReportedPct, in.ReportedDone = l.n, l.at, float64(l.pct), l.done
			t.LastReport = l.at.In(web.Shanghai).Format("2006-01-02")
		}
		if t.KPI != "" {
			k, ok := kpis[t.KPI]
			if kpiKnown(k, ok) {
				in.KPIKnown, in.Actual, in.Target = true, k.Actual, t.Target
				if in.Target == 0 {
					in.Target = k.Targets[t.DueOn[:4]]
				}
			}
		}
		t.Status = ComputeStatus(in)
	}
	return out, nil
}

// Tasks lists the 附件2 tasks with computed status; every reader sees the list (the plan is public inside the
// county), Mine marks the caller's units' role.
func (s *Service) Tasks(ctx context.Context, p *auth.Principal, f TaskFilter) ([]Task, error) {
	if err := canRead(p); err != nil {
		return nil, err
	}
	all, err := s.loadTasks(ctx, s.db, 0)
	if err != nil {
		return nil, err
	}
	if err := s.observe(ctx, all); err != nil {
		return nil, err
	}
	mine, err := s.myUnits(ctx, s.db, p)
	if err != nil {
		return nil, err
	}
	return filterTasks(all, mine, f), nil
}

// filterTasks marks the caller's role in each task and keeps those matching f.
func filterTasks(all []Task, mine map[int64]bool, f TaskFilter) []Task {
	q := validate.Normalize(f.Q)
	var out []Task
	for _, t := range all {
		t.Mine = roleIn(mine, &t)
		if f.Status != "" && t.Status.Code != f.Status {
			continue
		}
		if f.Mine && t.Mine == "" {
			continue
		}
		if f.UnitID != 0 && !hasUnit(t, f.UnitID) {
			continue
		}
		if q != "" && !strings.Contains(t.Text+t.Area+t.Matter+UnitNames(t.Lead)+UnitNames(t.Coop), q) && fmt.Sprint(t.No) != q {
			continue
		}
		out = append(out, t)
	}
	return out
}

func hasUnit(t Task, id int64) bool {
	for _, u := range append(append([]UnitRef{}, t.Lead...), t.Coop...) {
		if u.ID == id {
			return true
		}
	}
	return false
}

// TaskDetail is a task with the reports and notices the caller may read.
type TaskDetail struct {
	Task      Task     `json:"task"`
	CanSee    bool     `json:"can_see" doc:"能否查看本任务的报告"`
	CanReport bool     `json:"can_report" doc:"能否填报进展报告（责任单位）"`
	CanAdd    bool     `json:"can_contribute" doc:"能否填报配合情况（配合单位）"`
	Reports   []Report `json:"reports"`
	Notices   []Notice `json:"notices"`
	Rule      string   `json:"rule"`
	KPIName   string   `json:"kpi_name"`
	KPIUnit   string   `json:"kpi_unit"`
	KPISource string   `json:"kpi_source"`
}

// GetTask returns one task; its reports and notices only when p may see them.
func (s *Service) GetTask(ctx context.Context, p *auth.Principal, id int64) (TaskDetail, error) {
	if err := canRead(p); err != nil {
		return TaskDetail{}, err
	}
	ts, err := s.loadTasks(ctx, s.db, id)
	if err != nil {
		return TaskDetail{}, err
	}
	if len(ts) == 0 {
		return TaskDetail{}, apperr.New(apperr.NotFound, "任务不存在")
	}
	mine, err := s.myUnits(ctx, s.db, p)
	if err != nil {
		return TaskDetail{}, err
	}
	d := TaskDetail{Task: ts[0], Rule: StatusRule}
	d.Task.Mine = roleIn(mine, &d.Task)
	d.CanSee = canSeeTask(p, mine, &d.Task)
	d.CanReport = d.Task.Mine == "lead"
	d.CanAdd = d.Task.Mine == "coop"
	if k, err := s.kpis(ctx); err == nil && d.Task.KPI != "" {
		if x, ok := k[d.Task.KPI]; ok {
			d.KPIName, d.KPIUnit, d.KPISource = x.Name, x.Unit, x.Source
		}
	}
	if d.CanSee {
		if d.Reports, err = s.reports(ctx, `WHERE r.task_id = ?`, id); err != nil {
			return d, err
		}
		ns, err := s.notices(ctx, `WHERE n.task_id = ?`, id)
		if err != nil {
			return d, err
		}
		for _, n := range ns {
			if seesAll(p) || mine[n.UnitID] {
				d.Notices = append(d.Notices, n)
			}
		}
	}
	return d, nil
}

// UpdateTask edits a task's text, binding, dates and units (工作专班、县级管理员).
func (s *Service) UpdateTask(ctx context.Context, p *auth.Principal, id int64, in TaskInput) (Task, error) {
	if err := canEditPlan(p); err != nil {
		return Task{}, err
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ts, err := s.loadTasks(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return apperr.New(apperr.NotFound, "任务不存在")
		}
		before := ts[0]
		t := before
		fields := map[string]string{}
		if in.Text != nil {
			t.Text = strings.TrimSpace(*in.Text)
			if t.Text == "" {
				fields["text"] = "请填写工作任务"
			}
		}
		if in.KPI != nil {
			t.KPI = strings.TrimSpace(*in.KPI)
			if t.KPI != "" {
				if k, err := s.kpis(ctx); err == nil && len(k) > 0 {
					if _, ok := k[t.KPI]; !ok {
						fields["kpi"] = "方案中没有这个指标：" + t.KPI
					}
				}
			}
		}
		if in.Target != nil {
			if *in.Target < 0 {
				fields["target"] = "目标值不能为负数"
			}
			t.Target = *in.Target
		}
		if in.StartOn != nil {
			t.StartOn = strings.TrimSpace(*in.StartOn)
		}
		if in.DueOn != nil {
			t.DueOn = strings.TrimSpace(*in.DueOn)
		}
		start, err1 := parseDay(t.StartOn)
		due, err2 := parseDay(t.DueOn)
		if err1 != nil {
			fields["start_on"] = "起算日期格式应为 YYYY-MM-DD"
		}
		if err2 != nil {
			fields["due_on"] = "目标日期格式应为 YYYY-MM-DD"
		} else if err1 == nil && !due.After(start) {
			fields["due_on"] = "目标日期应晚于起算日期"
		}
		if in.Note != nil {
			t.Note = strings.TrimSpace(*in.Note)
		}
		units, err := s.scanUnits(ctx, tx, "")
		if err != nil {
			return err
		}
		known := map[int64]string{}
		for _, u := range units {
			known[u.ID] = u.Name
		}
		refs := func(field string, ids []int64) []UnitRef {
			var out []UnitRef
			seen := map[int64]bool{}
			for _, id := range ids {
				n, ok := known[id]
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
			t.Lead = refs("lead", *in.Lead)
			if len(t.Lead) == 0 && fields["lead"] == "" {
				fields["lead"] = "至少需要一个责任单位"
			}
		}
		if in.Coop != nil {
			t.Coop = refs("coop", *in.Coop)
		}
		if err := apperr.FieldErrors(fields); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sup_tasks SET text = ?, kpi_key = ?, target = ?, start_on = ?, due_on = ?, note = ?, updated_at = ? WHERE id = ?`,
			t.Text, t.KPI, t.Target, t.StartOn, t.DueOn, t.Note, s.now().UTC(), id); err != nil {
			return fmt.Errorf("update task: %w", err)
		}
		if in.Lead != nil || in.Coop != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sup_links WHERE owner_kind = 'task' AND owner_id = ?`, id); err != nil {
				return err
			}
			for role, us := range map[string][]UnitRef{"lead": t.Lead, "coop": t.Coop} {
				for i, u := range us {
					if _, err := tx.ExecContext(ctx, `INSERT INTO sup_links (owner_kind, owner_id, unit_id, role, sort) VALUES ('task', ?, ?, ?, ?)`, id, u.ID, role, i); err != nil {
						return err
					}
				}
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "supervision_task", EntityID: id,
			Summary: fmt.Sprintf("修改重点任务第%d项", t.No), Before: taskAudit(before), After: taskAudit(t)})
	})
	if err != nil {
		return Task{}, err
	}
	ts, err := s.loadTasks(ctx, s.db, id)
	if err != nil || len(ts) == 0 {
		return Task{}, err
	}
	return ts[0], nil
}

func taskAudit(t Task) map[string]any {
	return map[string]any{"text": t.Text, "kpi": t.KPI, "target": t.Target, "start_on": t.StartOn, "due_on": t.DueOn,
		"lead": UnitNames(t.Lead), "coop": UnitNames(t.Coop), "note": t.Note}
}

// observe records status changes (ids are time-ordered, so the largest id is the latest observation) (against the last observed status of each task) and today's KPI values, so the
// weekly summary can say what moved. Status is computed on read; this log is what makes its history visible.
func (s *Service) observe(ctx context.Context, tasks []Task) error {
	lastStatus := map[int64]string{}
	rows, err := s.db.QueryContext(ctx, `SELECT l.task_id, l.status FROM sup_status_log l
		JOIN (SELECT MAX(id) AS id FROM sup_status_log GROUP BY task_id) m ON m.id = l.id`)
	if err != nil {
		return fmt.Errorf("last statuses: %w", err)
	}
	for rows.Next() {
		var id int64
		var st string
		if err := rows.Scan(&id, &st); err != nil {
			rows.Close()
			return err
		}
		lastStatus[id] = st
	}
	rows.Close()
	var changed []Task
	for _, t := range tasks {
		if lastStatus[t.ID] != t.Status.Code {
			changed = append(changed, t)
		}
	}
	now := s.now()
	day := now.In(web.Shanghai).Format("2006-01-02")
	var snapped int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sup_kpi_snapshots WHERE day = ?`, day).Scan(&snapped); err != nil {
		return err
	}
	if len(changed) == 0 && snapped > 0 {
		return nil
	}
	kpis, _ := s.kpis(ctx)
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, t := range changed {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sup_status_log (id, task_id, status, reason, observed_at) VALUES (?, ?, ?, ?, ?)`,
				tx.NextID(), t.ID, t.Status.Code, t.Status.Reason, now.UTC()); err != nil {
				return fmt.Errorf("status log: %w", err)
			}
		}
		if snapped == 0 {
			for k, v := range kpis {
				if !kpiKnown(v, true) {
					continue
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO sup_kpi_snapshots (kpi_key, day, actual) VALUES (?, ?, ?) ON CONFLICT (kpi_key, day) DO NOTHING`, k, day, v.Actual); err != nil {
					return fmt.Errorf("kpi snapshot: %w", err)
				}
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "observe", Entity: "supervision_status",
			Summary: fmt.Sprintf("记录 %d 项重点任务的状态变化", len(changed)), After: statusChanges(changed)})
	})
}

func statusChanges(ts []Task) []map[string]any {
	out := make([]map[string]any, len(ts))
	for i, t := range ts {
		out[i] = map[string]any{"task": t.No, "status": t.Status.Label, "reason": t.Status.Reason}
	}
	return out
}
