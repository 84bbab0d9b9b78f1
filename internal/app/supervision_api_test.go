package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"nongfu/internal/app"
	"nongfu/internal/demo"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
)

type supTask struct {
	ID     int64  `json:"id"`
	No     int    `json:"no"`
	KPI    string `json:"kpi"`
	Mine   string `json:"mine"`
	Status struct {
		Code   string `json:"code"`
		Reason string `json:"reason"`
	} `json:"status"`
	Lead []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"lead"`
}

type supDetail struct {
	Task    supTask `json:"task"`
	CanSee  bool    `json:"can_see"`
	Reports []struct {
		ID int64 `json:"id"`
	} `json:"reports"`
	Notices []struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
		Level int    `json:"level"`
	} `json:"notices"`
}

func auditCount(t *testing.T, d *db.DB, entity string) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE entity = ?`, entity).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func rowCount(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSupervisionRolesAndFlow: on the demo, the plan's structure is loaded (18 + 6 + 34), the units are in the
// register, a department sees and edits only its own tasks' reports, only the task force issues notices, only the
// notified unit answers, viewers only read; bad input gives 4xx with Chinese field messages and writes nothing;
// every write is audited.
func TestSupervisionRolesAndFlow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := app.StartTest(t, d, 200)
		dept := s.Token("department", demo.DemoPassword)
		tf := s.Token("taskforce", demo.DemoPassword)
		viewer := s.Token("viewer", demo.DemoPassword)
		member := s.Token("member", demo.DemoPassword)

		var items, majors []map[string]any
		var tasks []supTask
		if st := s.Call(viewer, "GET", "/api/v1/supervision/items?kind=work", nil, &items); st != 200 || len(items) != 18 {
			t.Fatalf("work items: %d %d", st, len(items))
		}
		if st := s.Call(viewer, "GET", "/api/v1/supervision/items?kind=major", nil, &majors); st != 200 || len(majors) != 6 {
			t.Fatalf("附件1: %d %d", st, len(majors))
		}
		if st := s.Call(viewer, "GET", "/api/v1/supervision/tasks", nil, &tasks); st != 200 || len(tasks) != 34 {
			t.Fatalf("tasks: %d %d", st, len(tasks))
		}
		if st := s.Call(member, "GET", "/api/v1/supervision/tasks", nil, nil); st != 403 {
			t.Fatalf("member reads tasks: %d", st)
		}
		// units are organisations in the register
		var units []struct {
			Name      string                      `json:"name"`
			SubjectID int64                       `json:"subject_id"`
			Users     []struct{ Username string } `json:"users"`
		}
		s.Call(viewer, "GET", "/api/v1/supervision/units", nil, &units)
		for _, u := range units {
			if u.SubjectID == 0 {
				t.Fatalf("unit %s not in the register", u.Name)
			}
		}
		admin := s.Token("county_admin", demo.DemoPassword)
		var subj struct {
			Name string `json:"name"`
			Kind string `json:"kind"`
		}
		if st := s.Call(admin, "GET", fmt.Sprintf("/api/v1/subjects/%d", units[0].SubjectID), nil, &subj); st != 200 || subj.Name != "巫山县供销合作社" {
			t.Fatalf("unit subject: %d %+v", st, subj)
		}
		// department = 县农业农村委 (demo link)
		var mineTask, otherTask supTask
		s.Call(dept, "GET", "/api/v1/supervision/tasks?mine=1", nil, &tasks)
		for _, x := range tasks {
			if x.Mine == "lead" && mineTask.ID == 0 && x.No != 4 {
				mineTask = x
			}
		}
		s.Call(dept, "GET", "/api/v1/supervision/tasks", nil, &tasks)
		for _, x := range tasks {
			if x.Mine == "" {
				otherTask = x
				break
			}
		}
		if mineTask.ID == 0 || otherTask.ID == 0 {
			t.Fatalf("department tasks: mine %+v other %+v", mineTask, otherTask)
		}
		var det supDetail
		s.Call(dept, "GET", fmt.Sprintf("/api/v1/supervision/tasks/%d", otherTask.ID), nil, &det)
		if det.CanSee || len(det.Reports) != 0 {
			t.Fatalf("department sees another unit's reports: %+v", det)
		}
		var reports struct {
			Items []struct {
				TaskID int64 `json:"task_id"`
			} `json:"items"`
			Total int `json:"total"`
		}
		s.Call(dept, "GET", "/api/v1/supervision/reports?per_page=500", nil, &reports)
		mineIDs := map[int64]bool{}
		for _, x := range tasks {
			if x.Mine != "" {
				mineIDs[x.ID] = true
			}
		}
		for _, r := range reports.Items {
			if !mineIDs[r.TaskID] {
				t.Fatalf("department lists a report of task %d", r.TaskID)
			}
		}
		var all struct{ Total int }
		s.Call(viewer, "GET", "/api/v1/supervision/reports", nil, &all)
		if all.Total <= reports.Total {
			t.Fatalf("viewer should read more reports than the department: %d vs %d", all.Total, reports.Total)
		}

		// filing: not on another unit's task, bad input refused with nothing written, then a good one
		beforeRows, beforeAudit := rowCount(t, d, "sup_reports"), auditCount(t, d, "supervision_report")
		good := map[string]any{"narrative": "本月完成两个乡镇的推进会，新增示范社3家。", "progress_pct": 80,
			"figures": []map[string]any{{"name": "新增示范社", "value": 3, "unit": "家"}},
			"files":   []map[string]any{{"name": "会议纪要.pdf", "data_base64": "JVBERi0xLjQKJSVFT0YK"}}}
		if st := s.Call(dept, "POST", fmt.Sprintf("/api/v1/supervision/tasks/%d/reports", otherTask.ID), good, nil); st != 403 {
			t.Fatalf("report on another unit's task: %d", st)
		}
		if st := s.Call(viewer, "POST", fmt.Sprintf("/api/v1/supervision/tasks/%d/reports", mineTask.ID), good, nil); st != 403 {
			t.Fatalf("viewer files a report: %d", st)
		}
		var bad struct {
			Error struct {
				Fields map[string]string `json:"fields"`
			} `json:"error"`
		}
		st := s.Call(dept, "POST", fmt.Sprintf("/api/v1/supervision/tasks/%d/reports", mineTask.ID),
			map[string]any{"narrative": "短", "progress_pct": 120, "period": "2099-01"}, &bad)
		if st != 422 && st != 400 {
			t.Fatalf("bad report: %d", st)
		}
		for _, f := range []string{"narrative", "progress_pct", "period"} {
			if !strings.ContainsAny(bad.Error.Fields[f], "请应不") {
				t.Fatalf("field %s message %q", f, bad.Error.Fields[f])
			}
		}
		if rowCount(t, d, "sup_reports") != beforeRows || auditCount(t, d, "supervision_report") != beforeAudit {
			t.Fatal("a refused report wrote something")
		}
		var rep struct {
			ID    int64 `json:"id"`
			Files []struct {
				URL string `json:"url"`
			} `json:"files"`
		}
		if st := s.Call(dept, "POST", fmt.Sprintf("/api/v1/supervision/tasks/%d/reports", mineTask.ID), good, &rep); st != 201 || len(rep.Files) != 1 {
			t.Fatalf("file report: %d %+v", st, rep)
		}
		if auditCount(t, d, "supervision_report") != beforeAudit+1 {
			t.Fatal("report not audited")
		}
		if st := s.Call(dept, "GET", rep.Files[0].URL, nil, nil); st != 200 {
			t.Fatalf("download own attachment: %d", st)
		}

		// notices: only the task force issues; only the notified unit answers
		notice := map[string]any{"task_id": mineTask.ID, "body": "请加快进度并报送措施。", "deadline": "2099-12-31"}
		if st := s.Call(dept, "POST", "/api/v1/supervision/notices", notice, nil); st != 403 {
			t.Fatalf("department issues a notice: %d", st)
		}
		if st := s.Call(admin, "POST", "/api/v1/supervision/notices", notice, nil); st != 403 {
			t.Fatalf("county admin issues a notice: %d", st)
		}
		nBefore := rowCount(t, d, "sup_notices")
		if st := s.Call(tf, "POST", "/api/v1/supervision/notices", map[string]any{"task_id": mineTask.ID, "body": "", "deadline": "2020-01-01"}, &bad); st != 422 && st != 400 {
			t.Fatalf("bad notice: %d", st)
		}
		if bad.Error.Fields["body"] == "" || bad.Error.Fields["deadline"] == "" || rowCount(t, d, "sup_notices") != nBefore {
			t.Fatalf("bad notice fields %v or rows written", bad.Error.Fields)
		}
		var n struct {
			ID    int64  `json:"id"`
			State string `json:"state"`
			Level int    `json:"level"`
		}
		if st := s.Call(tf, "POST", "/api/v1/supervision/notices", notice, &n); st != 201 || n.State != "open" || n.Level != 1 {
			t.Fatalf("issue: %d %+v", st, n)
		}
		if st := s.Call(viewer, "POST", fmt.Sprintf("/api/v1/supervision/notices/%d/answer", n.ID), map[string]any{"answer": "已经部署落实，月底完成。"}, nil); st != 404 && st != 403 {
			t.Fatalf("viewer answers: %d", st)
		}
		if st := s.Call(tf, "POST", fmt.Sprintf("/api/v1/supervision/notices/%d/answer", n.ID), map[string]any{"answer": "已经部署落实，月底完成。"}, nil); st != 403 {
			t.Fatalf("task force answers its own notice: %d", st)
		}
		if st := s.Call(dept, "POST", fmt.Sprintf("/api/v1/supervision/notices/%d/answer", n.ID), map[string]any{"answer": "已经部署落实，月底前完成全部工作。"}, &n); st != 200 || n.State != "answered" {
			t.Fatalf("answer: %d %+v", st, n)
		}
		if st := s.Call(dept, "POST", fmt.Sprintf("/api/v1/supervision/notices/%d/answer", n.ID), map[string]any{"answer": "再答复一次看看行不行。"}, nil); st != 409 {
			t.Fatalf("second answer: %d", st)
		}
		if auditCount(t, d, "supervision_notice") < 2 {
			t.Fatal("notice writes not audited")
		}
		// the demo's lagging task 4 has an overdue notice escalated to the county leader and an open one
		var lag supTask
		for _, x := range tasks {
			if x.No == 4 {
				lag = x
			}
		}
		s.Call(dept, "GET", fmt.Sprintf("/api/v1/supervision/tasks/%d", lag.ID), nil, &det)
		if det.Task.Status.Code != "lagging" {
			t.Fatalf("demo task 4 status %+v", det.Task.Status)
		}
		states := map[string]int{}
		for _, x := range det.Notices {
			states[x.State] = x.Level
		}
		if states["overdue"] != 3 || states["open"] != 1 {
			t.Fatalf("demo notices of task 4: %+v", det.Notices)
		}
		// the department sees only its unit's notices
		var ns []struct {
			UnitName string `json:"unit_name"`
		}
		s.Call(dept, "GET", "/api/v1/supervision/notices", nil, &ns)
		for _, x := range ns {
			if x.UnitName != "县农业农村委" {
				t.Fatalf("department sees notice of %s", x.UnitName)
			}
		}
		// plan edits: task force yes, department no
		if st := s.Call(dept, "PUT", fmt.Sprintf("/api/v1/supervision/tasks/%d", mineTask.ID), map[string]any{"note": "x"}, nil); st != 403 {
			t.Fatalf("department edits a task: %d", st)
		}
		if st := s.Call(tf, "PUT", fmt.Sprintf("/api/v1/supervision/tasks/%d", mineTask.ID), map[string]any{"due_on": "2020-01-01"}, &bad); st != 422 && st != 400 {
			t.Fatalf("bad task edit: %d", st)
		}
		if st := s.Call(tf, "PUT", fmt.Sprintf("/api/v1/supervision/tasks/%d", mineTask.ID), map[string]any{"note": "专班调整说明"}, nil); st != 200 {
			t.Fatalf("task force edits a task: %d", st)
		}
		// weekly: leaders yes, department no; xlsx
		if st := s.Call(dept, "GET", "/api/v1/supervision/weekly", nil, nil); st != 403 {
			t.Fatalf("department weekly: %d", st)
		}
		var w struct {
			Counts map[string]int `json:"counts"`
		}
		if st := s.Call(viewer, "GET", "/api/v1/supervision/weekly", nil, &w); st != 200 || w.Counts["reports"] < 1 || w.Counts["issued"] < 1 || w.Counts["answered"] < 1 {
			t.Fatalf("weekly: %d %+v", st, w)
		}
		if _, err := audit.Verify(context.Background(), d); err != nil {
			t.Fatalf("audit chain: %v", err)
		}
	})
}
