package service

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
	"nongfu/internal/registry"
	"nongfu/internal/service/track"
	"nongfu/internal/tabular"
)

var (
	staffRoles    = []auth.Role{auth.CountyAdmin, auth.TownshipOperator}
	providerMenu  = append(append([]auth.Role{}, allRoles...), auth.Provider)
	dispatchMenu  = append(append([]auth.Role{}, readers...), auth.Provider)
	trainingMenu  = readers
	figureMenu    = append(append([]auth.Role{}, readers...), auth.Provider)
	orderStatuses = func() []option {
		var out []option
		for _, st := range OrderStatuses {
			out = append(out, option{st, OrderStatusLabel(st)})
		}
		return out
	}()
)

// trustRoutes registers the pages of providers, orders, dispatch, figures and training.
func (s *Service) trustRoutes(srv *web.Server) {
	srv.AddMenu(
		web.MenuItem{Group: menuGroup, Label: "服务主体", Path: "/service/providers", Order: 54, Roles: providerMenu},
		web.MenuItem{Group: menuGroup, Label: "托管订单", Path: "/service/orders", Order: 55, Roles: providerMenu},
		web.MenuItem{Group: menuGroup, Label: "农机调度", Path: "/service/dispatch", Order: 56, Roles: dispatchMenu},
		web.MenuItem{Group: menuGroup, Label: "服务统计", Path: "/service/figures", Order: 57, Roles: figureMenu},
		web.MenuItem{Group: menuGroup, Label: "农民培训", Path: "/service/training", Order: 58, Roles: trainingMenu},
	)
	srv.Page("GET /service/providers", s.providersPage)
	srv.Page("POST /service/providers", s.providerPost)
	srv.Page("GET /service/providers/{id}", s.providerPage)
	srv.Page("POST /service/providers/{id}/machines", s.machinePost)
	srv.Page("POST /service/providers/{id}/staff", s.staffPost)
	srv.Page("POST /service/machines/{id}/status", s.machineStatusPost)
	srv.Page("GET /service/orders", s.ordersPage)
	srv.Page("POST /service/orders", s.orderPost)
	srv.Page("GET /service/orders/{id}", s.orderPage)
	srv.Page("POST /service/orders/{id}/{action}", s.orderActionPost)
	srv.Page("POST /service/jobs/{id}/report", s.reportPost)
	srv.Page("POST /service/jobs/{id}/assign", s.assignPost)
	srv.Page("GET /service/dispatch", s.dispatchPage)
	srv.Page("POST /service/dispatch", s.dispatchPost)
	srv.Page("GET /service/figures", s.figuresPage)
	srv.Page("GET /service/training", s.trainingPage)
	srv.Page("POST /service/training", s.sessionPost)
	srv.Page("GET /service/training/{id}", s.sessionPage)
	srv.Page("POST /service/training/{id}/{action}", s.sessionActionPost)
}

func parseForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(track.MaxBytes + 1<<20); err != nil {
			return apperr.New(apperr.Invalid, "表单无法读取（文件不能超过 8 MB）")
		}
		return nil
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	return nil
}

func formFloat(v string) float64 {
	f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return f
}

func (s *Service) townshipOptions(p *auth.Principal) []option {
	var out []option
	for _, pre := range p.Scopes {
		rg, ok := s.regions.Get(pre)
		if !ok {
			continue
		}
		if rg.Level == "township" {
			out = append(out, option{rg.Code, rg.FullName})
			continue
		}
		for _, t := range s.regions.Children(rg.Code) {
			out = append(out, option{t.Code, t.FullName})
		}
	}
	return out
}

func productionItems() []Item {
	var out []Item
	for _, it := range defaultCatalog {
		if it.Group == GroupProduction {
			out = append(out, it)
		}
	}
	return out
}

func kindOptions() []option {
	var out []option
	for _, k := range ProviderKinds {
		out = append(out, option{k, ProviderKindLabel(k)})
	}
	return out
}

// ---------------------------------------------------------------------------------------------------------------
// Providers
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) providersPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderProviders(w, r, http.StatusOK, nil, url.Values{})
}

func (s *Service) renderProviders(w http.ResponseWriter, r *http.Request, status int, formErr error, in url.Values) error {
	p := web.Principal(r)
	if !canSee(p) && !p.Is(auth.Provider) {
		return apperr.New(apperr.Forbidden, "您的角色不能查看服务主体")
	}
	pg := web.ParsePage(r, 50, 200)
	q := r.URL.Query()
	items, total, err := s.ListProviders(r.Context(), p, ProviderFilter{Kind: q.Get("kind"), Q: q.Get("q"), Listed: q.Get("listed") == "1", Page: pg.Page, PerPage: pg.PerPage})
	if err != nil {
		return err
	}
	data := map[string]any{"Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total), "Kinds": kindOptions(), "CanCreate": isStaff(p), "CanImport": isStaff(p),
		"In": in, "Fields": map[string]string{}, "MinYears": MinYearsListed}
	if formErr != nil {
		formError(data, formErr)
	}
	if isStaff(p) {
		subs, err := s.subjectOptions(r.Context(), p, "cooperative", "enterprise", "family_farm", "supply_coop", "service_coop")
		if err != nil {
			return err
		}
		data["Subjects"], data["Towns"], data["Services"] = subs, s.townshipOptions(p), productionItems()
	}
	return web.Render(w, r, status, "service/providers.html", data)
}

func (s *Service) providerPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	year, _ := strconv.Atoi(strings.TrimSpace(f.Get("founded_year")))
	in := ProviderInput{SubjectID: formInt(f.Get("subject_id")), Name: f.Get("name"), Kind: f.Get("kind"), FoundedYear: year, Services: f["services"],
		Townships: f["townships"], Contact: f.Get("contact"), Phone: f.Get("phone"), Listed: f.Get("listed") != "", Note: f.Get("note")}
	pr, err := s.CreateProvider(r.Context(), web.Principal(r), in)
	if err != nil {
		if isForm(err) {
			return s.renderProviders(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, pr.Name+" 已登记")
	web.Redirect(w, r, fmt.Sprintf("/service/providers/%d", pr.ID))
	return nil
}

func (s *Service) providerPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderProvider(w, r, http.StatusOK, nil, url.Values{})
}

func (s *Service) renderProvider(w http.ResponseWriter, r *http.Request, status int, formErr error, in url.Values) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	pr, err := s.GetProvider(r.Context(), p, id)
	if err != nil {
		return err
	}
	data := map[string]any{"P": pr, "CanManage": canManageProvider(p, pr) == nil, "Services": productionItems(), "In": in, "Fields": map[string]string{}}
	var names, towns []string
	for _, c := range pr.Services {
		names = append(names, ItemName(c))
	}
	for _, t := range pr.Townships {
		towns = append(towns, s.regions.Name(t))
	}
	data["ServiceNames"], data["TownNames"] = strings.Join(names, "、"), strings.Join(towns, "、")
	if formErr != nil {
		formError(data, formErr)
	}
	// members see the fleet too: it is how they choose whom to order from
	ms, err := s.machinesOf(r.Context(), s.db, []int64{id})
	if err != nil {
		return err
	}
	data["Machines"] = ms
	return web.Render(w, r, status, "service/provider.html", data)
}

func (s *Service) machinePost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	f := r.PostForm
	hours, _ := strconv.Atoi(strings.TrimSpace(f.Get("hours_day")))
	in := MachineInput{Name: f.Get("name"), Kind: f.Get("kind"), Services: f["services"], Implement: f.Get("implement"), WidthM: formFloat(f.Get("width_m")),
		RateMuDay: formFloat(f.Get("rate_mu_day")), HoursDay: hours, BaseLng: formFloat(f.Get("base_lng")), BaseLat: formFloat(f.Get("base_lat")), Operator: f.Get("operator")}
	m, err := s.SaveMachine(r.Context(), web.Principal(r), id, 0, in)
	if err != nil {
		if isForm(err) {
			return s.renderProvider(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, m.Name+" 已登记")
	web.Redirect(w, r, fmt.Sprintf("/service/providers/%d", id))
	return nil
}

func (s *Service) staffPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	st, err := s.AddStaff(r.Context(), web.Principal(r), id, Staff{Name: r.PostForm.Get("name"), Duty: r.PostForm.Get("duty"), Phone: r.PostForm.Get("phone")})
	if err != nil {
		if isForm(err) {
			return s.renderProvider(w, r, http.StatusUnprocessableEntity, err, r.PostForm)
		}
		return err
	}
	web.Flash(w, st.Name+" 已加入")
	web.Redirect(w, r, fmt.Sprintf("/service/providers/%d", id))
	return nil
}

func (s *Service) machineStatusPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	m, err := s.SetMachineStatus(r.Context(), web.Principal(r), id, r.PostForm.Get("status"))
	if err != nil {
		return err
	}
	web.Flash(w, m.Name+" 状态："+m.StatusLabel)
	web.Redirect(w, r, fmt.Sprintf("/service/providers/%d", m.ProviderID))
	return nil
}

// ---------------------------------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) ordersPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderOrders(w, r, http.StatusOK, nil, url.Values{"scope": {ScopeWhole}, "mode": {ModeNanny}})
}

func (s *Service) renderOrders(w http.ResponseWriter, r *http.Request, status int, formErr error, in url.Values) error {
	p := web.Principal(r)
	if !canSee(p) && !p.Is(auth.Provider) {
		return apperr.New(apperr.Forbidden, "您的角色不能查看托管订单")
	}
	pg := web.ParsePage(r, 30, 200)
	q := r.URL.Query()
	items, total, err := s.ListOrders(r.Context(), p, OrderFilter{Status: q.Get("status"), Mode: q.Get("mode"), Page: pg.Page, PerPage: pg.PerPage})
	if err != nil {
		return err
	}
	canOrder := p.Is(auth.Member) || isStaff(p)
	data := map[string]any{"Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total), "Statuses": orderStatuses, "CanOrder": canOrder, "CanImport": isStaff(p),
		"In": in, "Fields": map[string]string{}, "Services": productionItems(), "Proxy": isStaff(p),
		"Scopes": []option{{ScopeWhole, "全程托管"}, {ScopeMulti, "多环节托管"}, {ScopeSingle, "单环节托管"}},
		"Modes":  []option{{ModeNanny, "保姆式"}, {ModeMenu, "菜单式"}, {ModeOrder, "订单式"}}}
	if formErr != nil {
		formError(data, formErr)
	}
	if canOrder {
		sid := p.SubjectID
		if isStaff(p) {
			sid = formInt(in.Get("subject_id"))
			if sid == 0 {
				sid = int64Param(r, "subject_id")
			}
			data["SubjectID"] = sid
		}
		if sid != 0 {
			plots, _, err := s.subjects.Plots(r.Context(), p, registry.PlotFilter{SubjectID: sid, PerPage: 200})
			if err != nil {
				return err
			}
			data["Plots"] = plots
		}
		provs, _, err := s.ListProviders(r.Context(), p, ProviderFilter{PerPage: 200})
		if err != nil {
			return err
		}
		data["Providers"] = provs
	}
	return web.Render(w, r, status, "service/orders.html", data)
}

func (s *Service) orderPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	var plots []int64
	for _, v := range f["plot_ids"] {
		plots = append(plots, formInt(v))
	}
	sub, err := parseYuan(f.Get("subsidy"))
	if err != nil {
		sub = -1
	}
	in := OrderInput{SubjectID: formInt(f.Get("subject_id")), PlotIDs: plots, Scope: f.Get("scope"), Mode: f.Get("mode"), Services: f["services"],
		ProviderID: formInt(f.Get("provider_id")), ContractRef: f.Get("contract_ref"), Note: f.Get("note"), SubsidyFenMu: sub}
	if strings.TrimSpace(f.Get("subsidy")) == "" {
		in.SubsidyFenMu = 0
	}
	o, err := s.PlaceOrder(r.Context(), web.Principal(r), in)
	if err != nil {
		if isForm(err) {
			return s.renderOrders(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, fmt.Sprintf("托管订单 %d 已提交（%d 项作业）", o.ID, len(o.Jobs)))
	web.Redirect(w, r, fmt.Sprintf("/service/orders/%d", o.ID))
	return nil
}

func (s *Service) orderPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderOrder(w, r, http.StatusOK, nil)
}

func (s *Service) renderOrder(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	o, err := s.GetOrder(r.Context(), p, id)
	if err != nil {
		return err
	}
	staff := isStaff(p) && p.InRegion(o.RegionCode)
	mine := p.Is(auth.Member) && p.SubjectID == o.SubjectID
	prov := p.Is(auth.Provider)
	open := slices.Contains([]string{OrdAccepted, OrdDispatched, OrdWorking}, o.Status)
	data := map[string]any{"O": o, "Fields": map[string]string{}, "ScopeLabel": ScopeLabel(o.Scope), "ModeLabel": ModeLabel(o.Mode),
		"CanAccept": o.Status == OrdPlaced && (staff || (prov && o.ProviderID != 0)), "CanCancel": slices.Contains([]string{OrdPlaced, OrdAccepted, OrdDispatched}, o.Status) && (staff || mine),
		"CanReport": open && (staff || prov), "CanCheck": o.Status == OrdCompleted && (staff || mine), "CanResolve": o.Status == OrdDisputed && staff,
		"CanSettle": o.Status == OrdChecked && staff, "Staff": staff}
	// before 验收 the estimate uses the reported areas (what the farmer will settle if they confirm)
	jobsForEstimate := o.Jobs
	if o.Status == OrdWorking || o.Status == OrdCompleted {
		jobsForEstimate = estimateJobs(o.Jobs)
	}
	est := Settle(jobsForEstimate, o.SubsidyFenMu)
	var reported int64
	for _, j := range o.Jobs {
		reported += j.reportedCenti
	}
	data["Estimate"], data["Reported"] = est, reported
	tracks := map[int64]template.HTML{}
	for _, j := range o.Jobs {
		if j.trackCenti > 0 {
			geo, _, err := s.TrackOf(r.Context(), j.ID)
			if err != nil {
				return err
			}
			tracks[j.ID] = trackSVG(geo)
		}
	}
	data["Tracks"] = tracks
	if data["CanAccept"].(bool) && staff {
		provs, _, err := s.ListProviders(r.Context(), p, ProviderFilter{PerPage: 200})
		if err != nil {
			return err
		}
		data["Providers"] = provs
	}
	if formErr != nil {
		formError(data, formErr)
	}
	return web.Render(w, r, status, "service/order.html", data)
}

func (s *Service) orderActionPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p, f := web.Principal(r), r.PostForm
	ctx := r.Context()
	var msg string
	switch r.PathValue("action") {
	case "accept":
		sub, perr := parseYuan(f.Get("subsidy"))
		if perr != nil {
			return s.renderOrder(w, r, http.StatusUnprocessableEntity, apperr.FieldErrors(map[string]string{"subsidy_fen_mu": perr.Error()}))
		}
		msg = "订单已受理"
		_, err = s.AcceptOrder(ctx, p, id, formInt(f.Get("provider_id")), sub)
	case "cancel":
		msg = "订单已取消"
		_, err = s.CancelOrder(ctx, p, id, f.Get("reason"))
	case "confirm":
		msg = "已确认验收"
		_, err = s.CheckOrder(ctx, p, id, Acceptance{Confirm: true})
	case "dispute", "resolve":
		areas := map[int64]float64{}
		for k, v := range f {
			if jid, ok := strings.CutPrefix(k, "area_"); ok && strings.TrimSpace(v[0]) != "" {
				areas[formInt(jid)] = formFloat(v[0])
			}
		}
		a := Acceptance{Areas: areas, Reason: f.Get("reason")}
		if r.PathValue("action") == "dispute" {
			msg = "已提出争议，等待处理"
			_, err = s.CheckOrder(ctx, p, id, a)
		} else {
			msg = "争议已处理"
			_, err = s.ResolveDispute(ctx, p, id, a)
		}
	case "settle":
		msg = "已结算"
		_, err = s.SettleOrder(ctx, p, id)
	default:
		return apperr.New(apperr.NotFound, "没有这个操作")
	}
	if err != nil {
		if isForm(err) {
			return s.renderOrder(w, r, http.StatusUnprocessableEntity, err)
		}
		return err
	}
	web.Flash(w, msg)
	web.Redirect(w, r, fmt.Sprintf("/service/orders/%d", id))
	return nil
}

func (s *Service) reportPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	f := r.PostForm
	in := WorkReport{AreaMu: formFloat(f.Get("area_mu")), Note: f.Get("note"), Started: f.Get("started") != "", Track: f.Get("track")}
	if r.MultipartForm != nil {
		if fh := r.MultipartForm.File["track_file"]; len(fh) > 0 {
			file, err := fh[0].Open()
			if err != nil {
				return apperr.New(apperr.Invalid, "轨迹文件无法读取")
			}
			b, err := io.ReadAll(io.LimitReader(file, track.MaxBytes+1))
			file.Close()
			if err != nil {
				return apperr.New(apperr.Invalid, "轨迹文件无法读取")
			}
			in.Track = string(b)
		}
	}
	j, err := s.ReportWork(r.Context(), web.Principal(r), id, in)
	if err != nil {
		if isForm(err) || apperr.CodeOf(err) == apperr.Conflict {
			js, _ := s.jobsOf(r.Context(), s.db, "j.id = ?", []any{id})
			if len(js) == 1 {
				r.SetPathValue("id", strconv.FormatInt(js[0].OrderID, 10))
				return s.renderOrder(w, r, http.StatusUnprocessableEntity, err)
			}
		}
		return err
	}
	msg := j.PlotName + " " + j.ServiceName + " 已报工"
	if j.TrackFlag {
		msg += fmt.Sprintf("；轨迹面积 %.2f 亩与报工面积相差超过 15%%，已标记", j.TrackMu)
	}
	web.Flash(w, msg)
	web.Redirect(w, r, fmt.Sprintf("/service/orders/%d", j.OrderID))
	return nil
}

func parseHHMM(v string) int {
	h, m, _ := strings.Cut(strings.TrimSpace(v), ":")
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	return hh*60 + mm
}

func (s *Service) assignPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	f := r.PostForm
	j, err := s.AssignJob(r.Context(), web.Principal(r), id, formInt(f.Get("machine_id")), f.Get("day"), parseHHMM(f.Get("start")))
	if err != nil {
		if isForm(err) || apperr.CodeOf(err) == apperr.Conflict {
			web.Flash(w, "调整失败："+apperr.MessageOf(err)+fieldText(err))
			web.Redirect(w, r, "/service/dispatch?"+r.URL.RawQuery)
			return nil
		}
		return err
	}
	if j.Locked {
		web.Flash(w, fmt.Sprintf("%s %s 已锁定到 %s %s", j.PlotName, j.ServiceName, j.MachineName, j.PlanDay))
	} else {
		web.Flash(w, j.PlotName+" "+j.ServiceName+" 已解除锁定")
	}
	web.Redirect(w, r, "/service/dispatch?"+r.URL.RawQuery)
	return nil
}

func fieldText(err error) string {
	var parts []string
	for _, v := range apperr.FieldsOf(err) {
		parts = append(parts, v)
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return ""
	}
	return "（" + strings.Join(parts, "；") + "）"
}

// ---------------------------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) figuresPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	if !isReader(p) && !p.Is(auth.Provider) {
		return apperr.New(apperr.Forbidden, "您的角色不能查看服务统计")
	}
	q := r.URL.Query()
	by := q.Get("by")
	if !slices.Contains(FigureDims, by) {
		by = "region"
	}
	year, _ := strconv.Atoi(q.Get("year"))
	now := s.now().In(web.Shanghai)
	if year < 2000 || year > 2100 {
		year = now.Year()
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, web.Shanghai)
	to := from.AddDate(1, 0, 0)
	rows, total, err := s.Figures(r.Context(), p, by, from, to)
	if err != nil {
		return err
	}
	if q.Get("format") == "xlsx" {
		head := []string{DimLabel(by), "作业数", "服务面积（亩次）", "标准亩"}
		var body [][]string
		for _, x := range append(rows, total) {
			body = append(body, []string{x.Label, strconv.Itoa(x.Jobs), strconv.FormatFloat(x.MuTimes, 'f', 2, 64), strconv.FormatFloat(x.StandardMu, 'f', 2, 64)})
		}
		name := fmt.Sprintf("社会化服务统计-%d-按%s.xlsx", year, DimLabel(by))
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="figures.xlsx"; filename*=UTF-8''%s`, url.PathEscape(name)))
		return tabular.WriteXLSX(w, tabular.Sheet{Name: "服务统计", Header: head, Rows: body})
	}
	var dims []option
	for _, d := range FigureDims {
		dims = append(dims, option{d, DimLabel(d)})
	}
	maxMu := 0.0
	for _, x := range rows {
		maxMu = math.Max(maxMu, x.MuTimes)
	}
	bars := map[string]int{}
	for _, x := range rows {
		if maxMu > 0 {
			bars[x.Key] = int(math.Round(x.MuTimes / maxMu * 100))
		}
	}
	data := map[string]any{"Rows": rows, "Total": total, "By": by, "Dims": dims, "Year": year, "Years": []int{now.Year() - 1, now.Year()}, "Bars": bars,
		"DimLabel": DimLabel(by)}
	if isReader(p) {
		trained, years, err := s.TrainedByYear(r.Context(), p)
		if err != nil {
			return err
		}
		sum := 0
		for _, t := range trained {
			sum += t.Cumulative
		}
		data["Trained"], data["TrainedYears"], data["TrainedSum"], data["TrainedTarget"] = trained, years, sum, TrainedTarget
	}
	return web.Render(w, r, http.StatusOK, "service/figures.html", data)
}

// ---------------------------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) trainingPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderTraining(w, r, http.StatusOK, nil, url.Values{})
}

func (s *Service) renderTraining(w http.ResponseWriter, r *http.Request, status int, formErr error, in url.Values) error {
	p := web.Principal(r)
	if !isReader(p) {
		return apperr.New(apperr.Forbidden, "您的角色不能查看培训")
	}
	pg := web.ParsePage(r, 30, 200)
	items, total, err := s.ListSessions(r.Context(), p, pg.Page, pg.PerPage)
	if err != nil {
		return err
	}
	trained, years, err := s.TrainedByYear(r.Context(), p)
	if err != nil {
		return err
	}
	sum := 0
	for _, t := range trained {
		sum += t.Cumulative
	}
	data := map[string]any{"Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total), "CanCreate": isStaff(p), "In": in,
		"Fields": map[string]string{}, "Towns": s.townshipOptions(p), "Trained": trained, "Years": years, "Sum": sum, "Target": TrainedTarget}
	if formErr != nil {
		formError(data, formErr)
	}
	return web.Render(w, r, status, "service/training.html", data)
}

func (s *Service) sessionPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	hours, _ := strconv.Atoi(strings.TrimSpace(f.Get("hours")))
	x, err := s.CreateSession(r.Context(), web.Principal(r), SessionInput{RegionCode: f.Get("region_code"), Course: f.Get("course"), Topic: f.Get("topic"),
		Trainer: f.Get("trainer"), Place: f.Get("place"), DateFrom: f.Get("date_from"), DateTo: f.Get("date_to"), Hours: hours})
	if err != nil {
		if isForm(err) {
			return s.renderTraining(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, x.Course+" 已开班")
	web.Redirect(w, r, fmt.Sprintf("/service/training/%d", x.ID))
	return nil
}

func (s *Service) sessionPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSession(w, r, http.StatusOK, nil)
}

func (s *Service) renderSession(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	x, err := s.GetSession(r.Context(), p, id)
	if err != nil {
		return err
	}
	data := map[string]any{"S": x, "CanEdit": isStaff(p), "Fields": map[string]string{}}
	if formErr != nil {
		formError(data, formErr)
	}
	return web.Render(w, r, status, "service/session.html", data)
}

func (s *Service) sessionActionPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p, f := web.Principal(r), r.PostForm
	switch r.PathValue("action") {
	case "enrol":
		var ids []int64
		for _, v := range strings.FieldsFunc(f.Get("subject_ids"), func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\n' }) {
			ids = append(ids, formInt(v))
		}
		_, err = s.Enrol(r.Context(), p, id, ids, f.Get("name"))
	case "attend":
		_, err = s.Attend(r.Context(), p, id, formInt(f.Get("enrolment_id")), f.Get("attended") == "1")
	default:
		return apperr.New(apperr.NotFound, "没有这个操作")
	}
	if err != nil {
		if isForm(err) {
			return s.renderSession(w, r, http.StatusUnprocessableEntity, err)
		}
		return err
	}
	web.Flash(w, "已保存")
	web.Redirect(w, r, fmt.Sprintf("/service/training/%d", id))
	return nil
}

func estimateJobs(jobs []Job) []Job {
	out := make([]Job, len(jobs))
	for i, j := range jobs {
		if j.acceptedCenti == 0 && j.Status == JobDone {
			j.acceptedCenti = j.reportedCenti
		}
		out[i] = j
	}
	return out
}
