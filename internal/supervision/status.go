package supervision

import (
	"math"
	"time"

	"nongfu/internal/platform/web"
)

// Task status codes.
const (
	StatusNotStarted = "not_started" // 未开始
	StatusOngoing    = "ongoing"     // 推进中
	StatusLagging    = "lagging"     // 滞后
	StatusDone       = "done"        // 已完成
)

// StatusLabel is the Chinese label of a status code.
func StatusLabel(code string) string {
	switch code {
	case StatusNotStarted:
		return "未开始"
	case StatusOngoing:
		return "推进中"
	case StatusLagging:
		return "滞后"
	case StatusDone:
		return "已完成"
	}
	return code
}

// StatusRule is the rule as the screens show it.
const StatusRule = `已完成：绑定指标的实际值达到目标值；未绑定指标的任务，责任单位报告“已完成”（进度100%）。
滞后：已过目标日期仍未完成；或完成进度低于从起算日到目标日期的直线进度（绑定指标的按“实际值÷目标值”，未绑定的按最近一次报告的自评进度）；或上月和本月都没有进展报告（每月至少报送一次）。
未开始：未到起算日期；或从未报送报告、进度为0且仍在起算后的第一个报告期内（起算当月及次月）。
推进中：其余情形。`

// Status is a task's computed status with the reason and the figures behind it.
type Status struct {
	Code     string  `json:"code" doc:"not_started 未开始 / ongoing 推进中 / lagging 滞后 / done 已完成"`
	Label    string  `json:"label"`
	Reason   string  `json:"reason" doc:"判定依据"`
	Progress float64 `json:"progress" doc:"完成进度（%）：指标实际值÷目标值，或自评进度"`
	Expected float64 `json:"expected" doc:"直线进度（%）：起算日到今天占起算日到目标日期的比例"`
	Basis    string  `json:"basis" doc:"kpi 指标实际值 / self 自评进度"`
	Actual   float64 `json:"actual,omitempty" doc:"绑定指标的实际值"`
}

// Badge is the design-system badge class of the status.
func (s Status) Badge() string {
	switch s.Code {
	case StatusDone:
		return "ok"
	case StatusLagging:
		return "bad"
	case StatusOngoing:
		return "info"
	}
	return ""
}

// StatusInput is everything the status rule looks at, so it can be tested on constructed timelines.
type StatusInput struct {
	Now, Start, Due time.Time
	// KPIKnown says a bound KPI has an actual value (computed live or reported); Actual and Target are then used.
	KPIKnown       bool
	Actual, Target float64
	// Reports: the time of the latest report by the responsible unit (zero: none), its self-assessed progress and
	// whether it declared the task done.
	LastReport   time.Time
	ReportedPct  float64
	ReportedDone bool
}

func monthStart(t time.Time) time.Time {
	t = t.In(web.Shanghai)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, web.Shanghai)
}

// ComputeStatus applies the rule in StatusRule.
func ComputeStatus(in StatusInput) Status {
	st := Status{}
	due := in.Due.In(web.Shanghai).AddDate(0, 0, 1) // the target date counts in full
	span := due.Sub(in.Start)
	if span > 0 {
		st.Expected = math.Max(0, math.Min(100, float64(in.Now.Sub(in.Start))/float64(span)*100))
	}
	if in.KPIKnown && in.Target > 0 {
		st.Basis, st.Actual = "kpi", in.Actual
		st.Progress = math.Min(100, in.Actual/in.Target*100)
	} else {
		st.Basis = "self"
		st.Progress = math.Max(0, math.Min(100, in.ReportedPct))
		if in.ReportedDone {
			st.Progress = 100
		}
	}
	set := func(code, reason string) Status {
		st.Code, st.Label, st.Reason = code, StatusLabel(code), reason
		return st
	}
	if st.Basis == "kpi" && in.Actual >= in.Target {
		return set(StatusDone, "指标实际值已达到目标值")
	}
	if st.Basis == "self" && st.Progress >= 100 {
		return set(StatusDone, "责任单位报告已完成")
	}
	if in.Now.Before(in.Start) {
		return set(StatusNotStarted, "未到起算日期")
	}
	// the first reporting period: the start month and the month after it
	firstPeriodEnd := monthStart(in.Start).AddDate(0, 2, 0)
	if in.LastReport.IsZero() && st.Progress == 0 && in.Now.Before(firstPeriodEnd) {
		return set(StatusNotStarted, "尚未报送进展，仍在第一个报告期内")
	}
	if !in.Now.Before(due) {
		return set(StatusLagging, "已过目标日期仍未完成")
	}
	if st.Progress+1e-9 < st.Expected {
		what := "自评进度"
		if st.Basis == "kpi" {
			what = "指标完成率"
		}
		return set(StatusLagging, what+"低于直线进度")
	}
	if in.LastReport.Before(monthStart(in.Now).AddDate(0, -1, 0)) {
		return set(StatusLagging, "上月和本月都没有进展报告")
	}
	return set(StatusOngoing, "按进度推进")
}
