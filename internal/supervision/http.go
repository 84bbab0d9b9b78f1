package supervision

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

//go:embed print/weekly.html
var printHTML string

var (
	menuRead   = []auth.Role{auth.CountyAdmin, auth.Department, auth.Taskforce, auth.Viewer, auth.Sysadmin}
	menuWeekly = []auth.Role{auth.CountyAdmin, auth.Taskforce, auth.Viewer, auth.Sysadmin}
)

// Routes registers the room's pages, API, menu items and home-page counts.
func (s *Service) Routes(srv *web.Server) {
	srv.Pages.AddFS("supervision", templatesFS, "templates/*.html")
	srv.AddMenu(
		web.MenuItem{Group: "改革督办", Label: "重点任务督办", Path: "/supervision", Order: 70, Roles: menuRead},
		web.MenuItem{Group: "改革督办", Label: "督办通知", Path: "/supervision/notices", Order: 71, Roles: menuRead},
		web.MenuItem{Group: "改革督办", Label: "领导周报", Path: "/supervision/weekly", Order: 72, Roles: menuWeekly},
		web.MenuItem{Group: "改革督办", Label: "专项资金", Path: "/supervision/funds", Order: 73, Roles: menuRead},
		web.MenuItem{Group: "改革督办", Label: "工作方案分工", Path: "/supervision/plan", Order: 74, Roles: menuRead},
		web.MenuItem{Group: "改革督办", Label: "责任单位", Path: "/supervision/units", Order: 75, Roles: menuRead},
	)
	srv.AddStats(s.homeStats)
	srv.Page("GET /supervision", s.tasksPage)
	srv.Page("GET /supervision/tasks/{id}", s.taskPage)
	srv.Page("POST /supervision/tasks/{id}/reports", s.reportPost)
	srv.Page("GET /supervision/tasks/{id}/edit", s.taskEditPage)
	srv.Page("POST /supervision/tasks/{id}/edit", s.taskEditPost)
	srv.Page("POST /supervision/tasks/{id}/notices", s.noticePost)
	srv.Page("GET /supervision/notices", s.noticesPage)
	srv.Page("GET /supervision/notices/{id}", s.noticePage)
	srv.Page("POST /supervision/notices/{id}/answer", s.answerPost)
	srv.Page("GET /supervision/plan", s.planPage)
	srv.Page("GET /supervision/units", s.unitsPage)
	srv.Page("POST /supervision/units/sync", s.syncPost)
	srv.Page("POST /supervision/units/{id}/users", s.linkPost)
	srv.Page("GET /supervision/weekly", s.weeklyPage)
	srv.Page("GET /supervision/weekly/print", s.weeklyPrint)
	srv.Page("GET /supervision/weekly.xlsx", s.weeklyXLSX)
	srv.Page("GET /supervision/funds", s.fundsPage)
	srv.Page("POST /supervision/funds", s.fundPost)
	srv.Page("GET /supervision/funds/{id}", s.fundPage)
	srv.Page("POST /supervision/funds/{id}/budgets", s.budgetPost)
	srv.Page("POST /supervision/budgets/{id}/allocations", s.allocationPost)
	srv.Page("POST /supervision/allocations/{id}/disbursements", s.disbursementPost)
	s.itemRoutes(srv)
	s.apiRoutes(srv)
}

func (s *Service) homeStats(ctx context.Context, p *auth.Principal) ([]web.Stat, error) {
	if canRead(p) != nil {
		return nil, nil
	}
	ts, err := s.Tasks(ctx, p, TaskFilter{})
	if err != nil {
		return nil, err
	}
	lag, mine := 0, 0
	for _, t := range ts {
		if t.Status.Code == StatusLagging {
			lag++
		}
		if t.Mine != "" {
			mine++
		}
	}
	out := []web.Stat{{Label: "滞后的重点任务", Value: web.FormatInt(lag), Hint: fmt.Sprintf("附件2 共 %d 项", len(ts)), Link: "/supervision?status=lagging", Order: 61}}
	if mine > 0 {
		ns, err := s.Notices(ctx, p, NoticeFilter{State: "unanswered"})
		if err != nil {
			return nil, err
		}
		out = append(out, web.Stat{Label: "待本单位答复的督办", Value: web.FormatInt(len(ns)), Hint: fmt.Sprintf("本单位牵头或配合 %d 项任务", mine), Link: "/supervision/notices", Order: 62})
	}
	return out, nil
}

func pageErr(err error) (string, map[string]string) {
	if err == nil {
		return "", nil
	}
	return apperr.MessageOf(err), apperr.FieldsOf(err)
}

// isUserError says whether err should re-render the form rather than fail the page.
func isUserError(err error) bool {
	c := apperr.CodeOf(err)
	return c == apperr.Invalid || c == apperr.Conflict
}

var statusOptions = []struct{ Value, Label string }{
	{StatusNotStarted, "未开始"}, {StatusOngoing, "推进中"}, {StatusLagging, "滞后"}, {StatusDone, "已完成"},
}

func (s *Service) tasksPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	f, err := taskFilter(r.URL.Query())
	if err != nil {
		return err
	}
	all, err := s.Tasks(r.Context(), p, TaskFilter{})
	if err != nil {
		return err
	}
	mineUnits, err := s.myUnits(r.Context(), s.db, p)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	mine := 0
	for _, t := range all {
		counts[t.Status.Code]++
		if t.Mine != "" {
			mine++
		}
	}
	items := filterTasks(all, mineUnits, f)
	units, err := s.Units(r.Context(), p)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "supervision/tasks.html", map[string]any{"Items": items, "Total": len(all), "Counts": counts, "Mine": mine,
		"Statuses": statusOptions, "Units": units, "Rule": StatusRule, "KPIsMissing": s.plan == nil})
}

func (s *Service) renderTask(w http.ResponseWriter, r *http.Request, status int, id int64, extra map[string]any) error {
	p := web.Principal(r)
	d, err := s.GetTask(r.Context(), p, id)
	if err != nil {
		return err
	}
	mine, err := s.myUnits(r.Context(), s.db, p)
	if err != nil {
		return err
	}
	var myLead, myCoop []UnitRef
	for _, u := range d.Task.Lead {
		if mine[u.ID] {
			myLead = append(myLead, u)
		}
	}
	for _, u := range d.Task.Coop {
		if mine[u.ID] {
			myCoop = append(myCoop, u)
		}
	}
	data := map[string]any{"D": d, "T": d.Task, "CanIssue": canIssue(p) == nil, "CanEdit": canEditPlan(p) == nil, "MyLead": myLead, "MyCoop": myCoop,
		"Period": s.now().In(web.Shanghai).Format("2006-01"), "Deadline": s.now().In(web.Shanghai).AddDate(0, 0, 7).Format("2006-01-02"),
		"Units": append(append([]UnitRef{}, d.Task.Lead...), d.Task.Coop...), "Escalation": EscalationRule,
		"ReportFields": map[string]string{}, "NoticeFields": map[string]string{}}
	for k, v := range extra {
		data[k] = v
	}
	return web.Render(w, r, status, "supervision/task.html", data)
}

func (s *Service) taskPage(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderTask(w, r, http.StatusOK, id, nil)
}

func (s *Service) reportPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	in, err := readReportInput(r)
	if err == nil {
		_, err = s.FileReport(r.Context(), web.Principal(r), id, in)
	}
	if err != nil {
		if !isUserError(err) {
			return err
		}
		msg, fields := pageErr(err)
		return s.renderTask(w, r, http.StatusUnprocessableEntity, id, map[string]any{"ReportError": msg, "ReportFields": fields, "ReportForm": in})
	}
	web.Flash(w, KindLabel(in.Kind)+"已报送")
	web.Redirect(w, r, fmt.Sprintf("/supervision/tasks/%d", id))
	return nil
}

func (s *Service) noticePost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单格式错误")
	}
	in := NoticeInput{TaskID: id, Body: r.PostForm.Get("body"), Deadline: r.PostForm.Get("deadline")}
	in.UnitID, _ = strconv.ParseInt(r.PostForm.Get("unit_id"), 10, 64)
	n, err := s.IssueNotice(r.Context(), web.Principal(r), in)
	if err != nil {
		if !isUserError(err) {
			return err
		}
		msg, fields := pageErr(err)
		return s.renderTask(w, r, http.StatusUnprocessableEntity, id, map[string]any{"NoticeError": msg, "NoticeFields": fields, "NoticeForm": in})
	}
	web.Flash(w, "已下发"+n.No)
	web.Redirect(w, r, fmt.Sprintf("/supervision/tasks/%d", id))
	return nil
}

func (s *Service) taskEditPage(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderTaskEdit(w, r, http.StatusOK, id, nil, "", nil)
}

func (s *Service) renderTaskEdit(w http.ResponseWriter, r *http.Request, status int, id int64, form *Task, msg string, fields map[string]string) error {
	p := web.Principal(r)
	if err := canEditPlan(p); err != nil {
		return err
	}
	d, err := s.GetTask(r.Context(), p, id)
	if err != nil {
		return err
	}
	t := d.Task
	if form != nil {
		t = *form
	}
	units, err := s.Units(r.Context(), p)
	if err != nil {
		return err
	}
	kpis, _ := s.kpis(r.Context())
	var keys []map[string]string
	for k, v := range kpis {
		keys = append(keys, map[string]string{"Key": k, "Name": v.Name + "（" + v.Unit + "）"})
	}
	lead, coop := map[int64]bool{}, map[int64]bool{}
	for _, u := range t.Lead {
		lead[u.ID] = true
	}
	for _, u := range t.Coop {
		coop[u.ID] = true
	}
	return web.Render(w, r, status, "supervision/task_edit.html", map[string]any{"T": t, "Units": units, "KPIs": keys, "LeadSet": lead, "CoopSet": coop, "Error": msg, "Fields": fields})
}

func (s *Service) taskEditPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单格式错误")
	}
	f := r.PostForm
	text, kpi, start, due, note := f.Get("text"), f.Get("kpi"), f.Get("start_on"), f.Get("due_on"), f.Get("note")
	in := TaskInput{Text: &text, KPI: &kpi, StartOn: &start, DueOn: &due, Note: &note}
	fields := map[string]string{}
	if v := strings.TrimSpace(f.Get("target")); v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			fields["target"] = "目标值应为数字"
		}
		in.Target = &x
	} else {
		z := 0.0
		in.Target = &z
	}
	ids := func(name string) *[]int64 {
		var out []int64
		for _, v := range f[name] {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				out = append(out, n)
			}
		}
		return &out
	}
	in.Lead, in.Coop = ids("lead"), ids("coop")
	if len(fields) == 0 {
		_, err = s.UpdateTask(r.Context(), web.Principal(r), id, in)
	} else {
		err = apperr.FieldErrors(fields)
	}
	if err != nil {
		if !isUserError(err) {
			return err
		}
		msg, fe := pageErr(err)
		form := &Task{ID: id, Text: text, KPI: kpi, StartOn: start, DueOn: due, Note: note}
		if in.Target != nil {
			form.Target = *in.Target
		}
		for _, u := range *in.Lead {
			form.Lead = append(form.Lead, UnitRef{ID: u})
		}
		for _, u := range *in.Coop {
			form.Coop = append(form.Coop, UnitRef{ID: u})
		}
		d, _ := s.GetTask(r.Context(), web.Principal(r), id)
		form.No, form.Area, form.Matter = d.Task.No, d.Task.Area, d.Task.Matter
		return s.renderTaskEdit(w, r, http.StatusUnprocessableEntity, id, form, msg, fe)
	}
	web.Flash(w, "重点任务已保存")
	web.Redirect(w, r, fmt.Sprintf("/supervision/tasks/%d", id))
	return nil
}

func (s *Service) noticesPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	unit, err := queryID(r.URL.Query(), "unit")
	if err != nil {
		return err
	}
	items, err := s.Notices(r.Context(), p, NoticeFilter{State: r.URL.Query().Get("state"), UnitID: unit})
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "supervision/notices.html", map[string]any{"Items": items, "Rule": EscalationRule,
		"States": []struct{ Value, Label string }{{"unanswered", "未答复"}, {NoticeOverdue, "逾期未答复"}, {NoticeOpen, "待答复（未逾期）"}, {NoticeAnswered, "已答复"}, {NoticeAnsweredLate, "逾期后答复"}}})
}

func (s *Service) renderNotice(w http.ResponseWriter, r *http.Request, status int, id int64, extra map[string]any) error {
	n, canAnswer, err := s.GetNotice(r.Context(), web.Principal(r), id)
	if err != nil {
		return err
	}
	data := map[string]any{"N": n, "CanAnswer": canAnswer, "Rule": EscalationRule, "Fields": map[string]string{}}
	for k, v := range extra {
		data[k] = v
	}
	return web.Render(w, r, status, "supervision/notice.html", data)
}

func (s *Service) noticePage(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderNotice(w, r, http.StatusOK, id, nil)
}

func (s *Service) answerPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单格式错误")
	}
	answer := r.PostForm.Get("answer")
	if _, err := s.AnswerNotice(r.Context(), web.Principal(r), id, AnswerInput{Answer: answer}); err != nil {
		if !isUserError(err) {
			return err
		}
		msg, fields := pageErr(err)
		return s.renderNotice(w, r, http.StatusUnprocessableEntity, id, map[string]any{"Error": msg, "Fields": fields, "Answer": answer})
	}
	web.Flash(w, "已答复督办通知")
	web.Redirect(w, r, fmt.Sprintf("/supervision/notices/%d", id))
	return nil
}

func (s *Service) planPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	items, err := s.Items(r.Context(), p, "work")
	if err != nil {
		return err
	}
	majors, err := s.Items(r.Context(), p, "major")
	if err != nil {
		return err
	}
	tasks, err := s.Tasks(r.Context(), p, TaskFilter{})
	if err != nil {
		return err
	}
	st, _ := LoadStructure()
	return web.Render(w, r, http.StatusOK, "supervision/plan.html", map[string]any{"Items": items, "Majors": majors, "Tasks": tasks, "S": st, "CanEdit": canEditPlan(p) == nil})
}

func (s *Service) unitsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderUnits(w, r, http.StatusOK, "", nil)
}

func (s *Service) renderUnits(w http.ResponseWriter, r *http.Request, status int, msg string, fields map[string]string) error {
	p := web.Principal(r)
	units, err := s.Units(r.Context(), p)
	if err != nil {
		return err
	}
	unlinked := 0
	for _, u := range units {
		if u.SubjectID == 0 {
			unlinked++
		}
	}
	return web.Render(w, r, status, "supervision/units.html", map[string]any{"Units": units, "Unlinked": unlinked, "CanEdit": canEditPlan(p) == nil, "Error": msg, "Fields": fields})
}

func (s *Service) syncPost(w http.ResponseWriter, r *http.Request) error {
	n, err := s.SyncUnits(r.Context(), web.Principal(r))
	if err != nil {
		return err
	}
	web.Flash(w, fmt.Sprintf("已将 %d 个单位关联到主体名录", n))
	web.Redirect(w, r, "/supervision/units")
	return nil
}

func (s *Service) linkPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单格式错误")
	}
	link := r.PostForm.Get("action") != "unlink"
	if err := s.LinkUser(r.Context(), web.Principal(r), id, r.PostForm.Get("username"), link); err != nil {
		if !isUserError(err) && apperr.CodeOf(err) != apperr.NotFound {
			return err
		}
		msg, fields := pageErr(err)
		return s.renderUnits(w, r, http.StatusUnprocessableEntity, msg, fields)
	}
	web.Flash(w, "账号绑定已更新")
	web.Redirect(w, r, "/supervision/units")
	return nil
}

func (s *Service) weeklyPage(w http.ResponseWriter, r *http.Request) error {
	x, err := s.WeeklySummary(r.Context(), web.Principal(r), r.URL.Query().Get("week"))
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "supervision/weekly.html", map[string]any{"W": x})
}

var printTmpl = template.Must(template.New("print").Funcs(web.Funcs()).Funcs(template.FuncMap{"circled": Circled}).Parse(printHTML))

func (s *Service) weeklyPrint(w http.ResponseWriter, r *http.Request) error {
	x, err := s.WeeklySummary(r.Context(), web.Principal(r), r.URL.Query().Get("week"))
	if err != nil {
		return err
	}
	st, _ := LoadStructure()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return printTmpl.Execute(w, map[string]any{"W": x, "Title": st.Title, "Now": s.now()})
}

func (s *Service) weeklyXLSX(w http.ResponseWriter, r *http.Request) error {
	x, err := s.WeeklySummary(r.Context(), web.Principal(r), r.URL.Query().Get("week"))
	if err != nil {
		return err
	}
	name := "改革督办周报-" + strings.ReplaceAll(x.From, "-", "") + ".xlsx"
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="weekly.xlsx"; filename*=UTF-8''%s`, url.PathEscape(name)))
	return WriteWeeklyXLSX(w, x)
}
