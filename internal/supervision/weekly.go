package supervision

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
	"nongfu/internal/reform"
	"nongfu/internal/tabular"
)

// StatusChange is a task's observed status change.
type StatusChange struct {
	TaskID    int64     `json:"task_id"`
	TaskNo    int       `json:"task_no"`
	TaskText  string    `json:"task_text"`
	From      string    `json:"from" doc:"原状态（空表示首次记录）"`
	FromLabel string    `json:"from_label"`
	To        string    `json:"to"`
	ToLabel   string    `json:"to_label"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

// KPIChange is a plan KPI's movement over the week.
type KPIChange struct {
	Key        string  `json:"key"`
	Name       string  `json:"name"`
	Unit       string  `json:"unit"`
	Before     float64 `json:"before" doc:"周初值（本周之前最近一次记录的值）"`
	After      float64 `json:"after" doc:"周末值或当前值"`
	Delta      float64 `json:"delta"`
	BeforeText string  `json:"before_text"`
	AfterText  string  `json:"after_text"`
}

// Weekly is the leaders' summary of what moved in one week (Monday to Sunday, Asia/Shanghai).
type Weekly struct {
	From          string         `json:"from"`
	To            string         `json:"to" doc:"周日"`
	Prev          string         `json:"prev"`
	Next          string         `json:"next"`
	Reports       []Report       `json:"reports"`
	StatusChanges []StatusChange `json:"status_changes"`
	Issued        []Notice       `json:"notices_issued"`
	Answered      []Notice       `json:"notices_answered"`
	Overdue       []Notice       `json:"notices_overdue" doc:"周末时逾期未答复的督办"`
	KPIChanges    []KPIChange    `json:"kpi_changes"`
	Lagging       []Task         `json:"lagging" doc:"当前滞后的任务"`
	Counts        map[string]int `json:"counts"`
	DisbursedFen  int64          `json:"disbursed_fen" doc:"本周专项资金拨付（分）"`
}

// WeekStart is the Monday 00:00 (Asia/Shanghai) of the week containing t.
func WeekStart(t time.Time) time.Time {
	t = t.In(web.Shanghai)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, web.Shanghai)
	wd := (int(d.Weekday()) + 6) % 7
	return d.AddDate(0, 0, -wd)
}

// WeeklySummary builds the summary of the week containing day ("" = this week).
func (s *Service) WeeklySummary(ctx context.Context, p *auth.Principal, day string) (Weekly, error) {
	if err := canWeekly(p); err != nil {
		return Weekly{}, err
	}
	now := s.now()
	ref := now
	if day != "" {
		d, err := parseDay(day)
		if err != nil {
			return Weekly{}, fieldErr("week", "日期格式应为 YYYY-MM-DD")
		}
		ref = d
	}
	from := WeekStart(ref)
	to := from.AddDate(0, 0, 7)
	end := to
	if end.After(now) {
		end = now
	}
	w := Weekly{From: from.Format("2006-01-02"), To: to.AddDate(0, 0, -1).Format("2006-01-02"), Prev: from.AddDate(0, 0, -7).Format("2006-01-02"),
		Next: to.Format("2006-01-02"), Counts: map[string]int{}}
	// observe first, so this week's changes up to now are on the record
	tasks, err := s.Tasks(ctx, p, TaskFilter{})
	if err != nil {
		return w, err
	}
	byID := map[int64]Task{}
	for _, t := range tasks {
		byID[t.ID] = t
		if t.Status.Code == StatusLagging {
			w.Lagging = append(w.Lagging, t)
		}
	}
	if w.Reports, err = s.reports(ctx, `WHERE r.created_at >= ? AND r.created_at < ?`, from.UTC(), to.UTC()); err != nil {
		return w, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT task_id, status, reason, observed_at FROM sup_status_log WHERE observed_at < ? ORDER BY task_id, id`, to.UTC())
	if err != nil {
		return w, fmt.Errorf("status log: %w", err)
	}
	prev := map[int64]string{}
	for rows.Next() {
		var c StatusChange
		if err := rows.Scan(&c.TaskID, &c.To, &c.Reason, &c.At); err != nil {
			rows.Close()
			return w, err
		}
		c.From = prev[c.TaskID]
		prev[c.TaskID] = c.To
		if c.At.Before(from) || c.From == "" { // the first observation is the baseline, not a change
			continue
		}
		t := byID[c.TaskID]
		c.TaskNo, c.TaskText = t.No, t.Text
		c.FromLabel, c.ToLabel = StatusLabel(c.From), StatusLabel(c.To)
		w.StatusChanges = append(w.StatusChanges, c)
	}
	rows.Close()
	notices, err := s.notices(ctx, "")
	if err != nil {
		return w, err
	}
	for _, n := range notices {
		if !n.IssuedAt.Before(from) && n.IssuedAt.Before(to) {
			w.Issued = append(w.Issued, n)
		}
		if n.AnsweredAt != nil && !n.AnsweredAt.Before(from) && n.AnsweredAt.Before(to) {
			w.Answered = append(w.Answered, n)
		}
		if n.IssuedAt.Before(end) {
			var answered *time.Time
			if n.AnsweredAt != nil && n.AnsweredAt.Before(end) {
				answered = n.AnsweredAt
			}
			if st, level, days := Escalate(n.Deadline, answered, end); st == NoticeOverdue {
				n.State, n.StateLabel, n.Level, n.LevelLabel, n.DaysOverdue = st, NoticeStateLabel(st), level, LevelLabel(level), days
				w.Overdue = append(w.Overdue, n)
			}
		}
	}
	if w.KPIChanges, err = s.kpiChanges(ctx, from, to, now); err != nil {
		return w, err
	}
	_, w.DisbursedFen, err = s.FundTotals(ctx, "", from, to)
	if err != nil {
		return w, err
	}
	w.Counts["reports"] = len(w.Reports)
	w.Counts["status_changes"] = len(w.StatusChanges)
	w.Counts["issued"] = len(w.Issued)
	w.Counts["answered"] = len(w.Answered)
	w.Counts["overdue"] = len(w.Overdue)
	w.Counts["lagging"] = len(w.Lagging)
	return w, nil
}

func (s *Service) kpiChanges(ctx context.Context, from, to, now time.Time) ([]KPIChange, error) {
	kpis, _ := s.kpis(ctx)
	snap := func(before time.Time) (map[string]float64, error) {
		rows, err := s.db.QueryContext(ctx, `SELECT x.kpi_key, x.actual FROM sup_kpi_snapshots x JOIN (SELECT kpi_key, MAX(day) AS day FROM sup_kpi_snapshots WHERE day < ? GROUP BY kpi_key) m
			ON m.kpi_key = x.kpi_key AND m.day = x.day`, before.In(web.Shanghai).Format("2006-01-02"))
		if err != nil {
			return nil, fmt.Errorf("kpi snapshots: %w", err)
		}
		defer rows.Close()
		out := map[string]float64{}
		for rows.Next() {
			var k string
			var v float64
			if err := rows.Scan(&k, &v); err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, rows.Err()
	}
	before, err := snap(from)
	if err != nil {
		return nil, err
	}
	var after map[string]float64
	if to.After(now) {
		after = map[string]float64{}
		for k, v := range kpis {
			if kpiKnown(v, true) {
				after[k] = v.Actual
			}
		}
	} else if after, err = snap(to); err != nil {
		return nil, err
	}
	var out []KPIChange
	for k, a := range after {
		b, ok := before[k]
		if !ok || a == b { // no value recorded before the week: nothing to compare with
			continue
		}
		x := kpis[k]
		c := KPIChange{Key: k, Name: x.Name, Unit: x.Unit, Before: b, After: a, Delta: a - b}
		c.BeforeText, c.AfterText = fmtKPI(b, x), fmtKPI(a, x)
		if c.Name == "" {
			c.Name = k
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func fmtKPI(v float64, k reform.KPI) string {
	switch k.Format {
	case "yi":
		return fmt.Sprintf("%.2f 亿元", v/1e8)
	case "wan":
		return fmt.Sprintf("%.2f 万元", v/1e4)
	case "percent":
		return fmt.Sprintf("%.1f%%", v)
	}
	return web.FormatInt(int64(v)) + " " + k.Unit
}

// WriteWeeklyXLSX writes the summary as a workbook (one sheet per section).
func WriteWeeklyXLSX(w io.Writer, x Weekly) error {
	period := x.From + " 至 " + x.To
	overview := tabular.Sheet{Name: "概况", Header: []string{"项目", "数量"}, Rows: [][]string{
		{"周期", period}, {"报送进展报告/配合情况", fmt.Sprint(x.Counts["reports"])}, {"任务状态变化", fmt.Sprint(x.Counts["status_changes"])},
		{"下发督办", fmt.Sprint(x.Counts["issued"])}, {"答复督办", fmt.Sprint(x.Counts["answered"])}, {"逾期未答复督办", fmt.Sprint(x.Counts["overdue"])},
		{"当前滞后任务", fmt.Sprint(x.Counts["lagging"])}, {"专项资金拨付（元）", web.FormatYuanExact(x.DisbursedFen)}}}
	reports := tabular.Sheet{Name: "进展报告", Header: []string{"任务序号", "单位", "类型", "报告期", "进度%", "已完成", "进展情况", "报送人", "报送时间", "附件数"}}
	for _, r := range x.Reports {
		done := ""
		if r.Done {
			done = "是"
		}
		reports.Rows = append(reports.Rows, []string{fmt.Sprint(r.TaskNo), r.UnitName, KindLabel(r.Kind), r.Period, fmt.Sprint(r.ProgressPct), done, r.Narrative, r.UserName,
			web.FormatDateTime(r.CreatedAt), fmt.Sprint(len(r.Files))})
	}
	changes := tabular.Sheet{Name: "状态变化", Header: []string{"任务序号", "工作任务", "原状态", "新状态", "依据", "时间"}}
	for _, c := range x.StatusChanges {
		changes.Rows = append(changes.Rows, []string{fmt.Sprint(c.TaskNo), c.TaskText, c.FromLabel, c.ToLabel, c.Reason, web.FormatDateTime(c.At)})
	}
	notices := tabular.Sheet{Name: "督办", Header: []string{"类别", "督办编号", "任务序号", "被督办单位", "答复期限", "状态", "级别", "逾期天数", "督办事项", "答复"}}
	add := func(cat string, ns []Notice) {
		for _, n := range ns {
			notices.Rows = append(notices.Rows, []string{cat, n.No, fmt.Sprint(n.TaskNo), n.UnitName, n.Deadline, n.StateLabel, n.LevelLabel, fmt.Sprint(n.DaysOverdue), n.Body, n.Answer})
		}
	}
	add("本周下发", x.Issued)
	add("本周答复", x.Answered)
	add("逾期未答复", x.Overdue)
	kpis := tabular.Sheet{Name: "指标变化", Header: []string{"指标", "周初", "周末/当前", "变化"}}
	for _, k := range x.KPIChanges {
		kpis.Rows = append(kpis.Rows, []string{k.Name, k.BeforeText, k.AfterText, fmt.Sprintf("%+g", k.Delta)})
	}
	lag := tabular.Sheet{Name: "滞后任务", Header: []string{"任务序号", "工作任务", "责任单位", "进度%", "直线进度%", "依据"}}
	for _, t := range x.Lagging {
		lag.Rows = append(lag.Rows, []string{fmt.Sprint(t.No), t.Text, UnitNames(t.Lead), fmt.Sprintf("%.1f", t.Status.Progress), fmt.Sprintf("%.1f", t.Status.Expected), t.Status.Reason})
	}
	return tabular.WriteXLSX(w, overview, reports, changes, notices, kpis, lag)
}
