package service

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
	"nongfu/internal/registry"
)

//go:embed templates/*.html
var templatesFS embed.FS

var (
	readers   = []auth.Role{auth.CountyAdmin, auth.TownshipOperator, auth.Department, auth.Taskforce, auth.Viewer}
	allRoles  = append(append([]auth.Role{}, readers...), auth.Member)
	menuGroup = "社会化服务"
)

// SignedTarget is the plan's target of signed subjects (签约服务 300).
const SignedTarget = 300

// Routes registers the room's pages, API, menu items and home-page counts.
func (s *Service) Routes(srv *web.Server) {
	srv.Pages.AddFS("service", templatesFS, "templates/*.html")
	srv.AddMenu(
		web.MenuItem{Group: menuGroup, Label: "服务载体", Path: "/service/centers", Order: 50, Roles: allRoles},
		web.MenuItem{Group: menuGroup, Label: "服务目录", Path: "/service/catalog", Order: 51, Roles: allRoles},
		web.MenuItem{Group: menuGroup, Label: "签约服务", Path: "/service/contracts", Order: 52, Roles: allRoles},
		web.MenuItem{Group: menuGroup, Label: "服务申请", Path: "/service/requests", Order: 53, Roles: allRoles},
	)
	srv.AddStats(s.homeStats)
	srv.Page("GET /service/centers", s.centersPage)
	srv.Page("POST /service/centers", s.centerPost)
	srv.Page("GET /service/centers/{id}", s.centerPage)
	srv.Page("GET /service/catalog", s.catalogPage)
	srv.Page("POST /service/catalog/{code}", s.catalogPost)
	srv.Page("GET /service/contracts", s.contractsPage)
	srv.Page("POST /service/contracts", s.contractPost)
	srv.Page("GET /service/requests", s.requestsPage)
	srv.Page("POST /service/requests", s.requestPost)
	srv.Page("GET /service/requests/{id}", s.requestPage)
	srv.Page("POST /service/requests/{id}/{action}", s.actionPost)
	s.apiRoutes(srv)
	s.trustRoutes(srv)
	s.trustAPI(srv)
}

func (s *Service) homeStats(ctx context.Context, p *auth.Principal) ([]web.Stat, error) {
	if !isReader(p) {
		return nil, nil
	}
	where, args := scopeSQL(p, "region_code", "")
	var centers, coops int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN level IN ('county', 'township') THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN level = 'coop' THEN 1 ELSE 0 END), 0) FROM service_centers WHERE status = 'operating' AND `+where, args...).Scan(&centers, &coops); err != nil {
		return nil, err
	}
	signed := 0
	for _, pre := range p.ScopePrefixes() {
		n, err := s.SignedSubjects(ctx, pre, s.now())
		if err != nil {
			return nil, err
		}
		signed += n
	}
	rw, rargs := scopeSQL(p, "center_region", "")
	var overdue int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_requests WHERE status IN ('filed', 'accepted', 'handled') AND due_at < ? AND `+rw,
		append([]any{s.nowUTC()}, rargs...)...).Scan(&overdue); err != nil {
		return nil, err
	}
	return []web.Stat{
		{Label: "为农服务中心（运营）", Value: web.FormatInt(centers), Hint: fmt.Sprintf("综合服务社 %s 个", web.FormatInt(coops)), Link: "/service/centers", Order: 50},
		{Label: "签约服务主体", Value: web.FormatInt(signed), Hint: fmt.Sprintf("目标 %d；超时未办结申请 %s 件", SignedTarget, web.FormatInt(overdue)), Link: "/service/contracts", Order: 51},
	}, nil
}

type option struct{ Value, Label string }

func formError(data map[string]any, err error) {
	data["Error"] = apperr.MessageOf(err)
	if f := apperr.FieldsOf(err); f != nil {
		data["Fields"] = f
	}
}

func isForm(err error) bool {
	c := apperr.CodeOf(err)
	return c == apperr.Invalid || c == apperr.Conflict
}

func formInt(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n
}

// ---------------------------------------------------------------------------------------------------------------
// Carriers
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) centersPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderCenters(w, r, http.StatusOK, nil, CenterInput{Level: LevelTownship, Status: OpenOperating})
}

func (s *Service) renderCenters(w http.ResponseWriter, r *http.Request, status int, formErr error, in CenterInput) error {
	p := web.Principal(r)
	if !canSee(p) {
		return apperr.New(apperr.Forbidden, "您的角色不能查看社会化服务")
	}
	pg := web.ParsePage(r, 50, 200)
	q := r.URL.Query()
	items, total, err := s.ListCenters(r.Context(), p, CenterFilter{Level: q.Get("level"), Status: q.Get("status"), Q: q.Get("q"), Page: pg.Page, PerPage: pg.PerPage})
	if err != nil {
		return err
	}
	counts, err := s.CenterCounts(r.Context(), p)
	if err != nil {
		return err
	}
	var levels, statuses []option
	for _, l := range Levels {
		levels = append(levels, option{l, LevelLabel(l)})
	}
	for _, st := range OpenStatuses {
		statuses = append(statuses, option{st, OpenLabel(st)})
	}
	data := map[string]any{"Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total), "Counts": counts, "Levels": levels,
		"Statuses": statuses, "CanCreate": isStaff(p), "In": in, "Fields": map[string]string{}}
	if formErr != nil {
		formError(data, formErr)
	}
	if isStaff(p) {
		var regions []option
		for _, pre := range p.Scopes {
			if rg, ok := s.regions.Get(pre); ok {
				regions = append(regions, option{rg.Code, rg.FullName})
				for _, t := range s.regions.Children(rg.Code) {
					regions = append(regions, option{t.Code, t.FullName})
					for _, v := range s.regions.Children(t.Code) {
						regions = append(regions, option{v.Code, v.FullName})
					}
				}
			}
		}
		data["Regions"] = regions
		hosts, err := s.subjectOptions(r.Context(), p, "supply_coop", "village_collective")
		if err != nil {
			return err
		}
		data["Hosts"] = hosts
		data["Catalog"] = defaultCatalog
	}
	return web.Render(w, r, status, "service/centers.html", data)
}

func (s *Service) subjectOptions(ctx context.Context, p *auth.Principal, kinds ...string) ([]option, error) {
	var out []option
	for _, k := range kinds {
		subs, _, err := s.subjects.List(ctx, p, registry.Filter{Kind: k, PerPage: 500, Sort: "region"})
		if err != nil {
			return nil, err
		}
		for _, x := range subs {
			out = append(out, option{strconv.FormatInt(x.ID, 10), x.Name + "（" + x.KindLabel + "）"})
		}
	}
	return out, nil
}

func (s *Service) centerPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	f := r.PostForm
	staff, _ := strconv.Atoi(strings.TrimSpace(f.Get("staff")))
	in := CenterInput{Level: f.Get("level"), Name: f.Get("name"), HostID: formInt(f.Get("host_id")), CollectiveID: formInt(f.Get("collective_id")),
		StrongVillage: f.Get("strong_village") != "", RegionCode: f.Get("region_code"), Staff: staff, Status: f.Get("status"), Services: f["services"],
		Phone: f.Get("phone"), Note: f.Get("note")}
	c, err := s.CreateCenter(r.Context(), web.Principal(r), in)
	if err != nil {
		if isForm(err) {
			return s.renderCenters(w, r, http.StatusUnprocessableEntity, err, in)
		}
		return err
	}
	web.Flash(w, c.Name+" 已登记")
	web.Redirect(w, r, fmt.Sprintf("/service/centers/%d", c.ID))
	return nil
}

func (s *Service) centerPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.GetCenter(r.Context(), p, id)
	if err != nil {
		return err
	}
	var names []string
	for _, code := range c.Services {
		names = append(names, ItemName(code))
	}
	data := map[string]any{"C": c, "Services": strings.Join(names, "、")}
	if isReader(p) {
		ks, kt, err := s.ListContracts(r.Context(), p, id, 1, 20)
		if err != nil {
			return err
		}
		rs, rt, err := s.ListRequests(r.Context(), p, RequestFilter{CenterID: id, Status: "open", PerPage: 20})
		if err != nil {
			return err
		}
		data["Contracts"], data["ContractTotal"], data["Requests"], data["RequestTotal"] = ks, kt, rs, rt
	}
	return web.Render(w, r, http.StatusOK, "service/center.html", data)
}

// ---------------------------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) catalogPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderCatalog(w, r, http.StatusOK, nil, "")
}

func (s *Service) renderCatalog(w http.ResponseWriter, r *http.Request, status int, formErr error, code string) error {
	p := web.Principal(r)
	items, err := s.CatalogFor(r.Context(), p)
	if err != nil {
		return err
	}
	data := map[string]any{"Items": items, "CanEdit": p.Is(auth.CountyAdmin), "ErrCode": code, "Fields": map[string]string{}}
	if formErr != nil {
		formError(data, formErr)
	}
	return web.Render(w, r, status, "service/catalog.html", data)
}

func (s *Service) catalogPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	code := r.PathValue("code")
	var in ItemPatch
	fields := map[string]string{}
	if v := strings.TrimSpace(r.PostForm.Get("price")); v != "" {
		fen, err := parseYuan(v)
		if err != nil {
			fields["price_fen"] = err.Error()
		}
		in.PriceFen = &fen
	}
	if v := strings.TrimSpace(r.PostForm.Get("weight")); v != "" {
		w, err := strconv.ParseFloat(v, 64)
		if err != nil {
			fields["weight"] = "标准亩系数应为小数，如 0.36"
		}
		in.Weight = &w
	}
	if v := strings.TrimSpace(r.PostForm.Get("due_hours")); v != "" {
		h, err := strconv.Atoi(v)
		if err != nil {
			fields["due_hours"] = "办结时限应为整数小时"
		}
		in.DueHours = &h
	}
	if len(fields) > 0 {
		return s.renderCatalog(w, r, http.StatusUnprocessableEntity, apperr.FieldErrors(fields), code)
	}
	it, err := s.UpdateItem(r.Context(), web.Principal(r), code, in)
	if err != nil {
		if isForm(err) {
			return s.renderCatalog(w, r, http.StatusUnprocessableEntity, err, code)
		}
		return err
	}
	web.Flash(w, it.Name+" 已更新")
	web.Redirect(w, r, "/service/catalog")
	return nil
}

// parseYuan reads 元 with up to two decimals into 分 without floating point.
func parseYuan(s string) (int64, error) {
	s = strings.NewReplacer(",", "", "，", "", "元", "", " ", "").Replace(s)
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" {
		ip = "0"
	}
	if len(fp) > 2 {
		return 0, fmt.Errorf("金额最多两位小数")
	}
	for len(fp) < 2 {
		fp += "0"
	}
	n, err := strconv.ParseInt(ip+fp, 10, 64)
	if err != nil || n < 0 || strings.ContainsAny(ip+fp, "+-") {
		return 0, fmt.Errorf("金额格式不正确")
	}
	return n, nil
}

// ---------------------------------------------------------------------------------------------------------------
// Contracts
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) contractsPage(w http.ResponseWriter, r *http.Request) error {
	t := s.now().In(web.Shanghai)
	return s.renderContracts(w, r, http.StatusOK, nil, url.Values{"from": {t.Format("2006-01-02")}, "to": {t.AddDate(1, 0, -1).Format("2006-01-02")}})
}

func (s *Service) renderContracts(w http.ResponseWriter, r *http.Request, status int, formErr error, in url.Values) error {
	p := web.Principal(r)
	pg := web.ParsePage(r, 50, 200)
	items, total, err := s.ListContracts(r.Context(), p, int64Param(r, "center_id"), pg.Page, pg.PerPage)
	if err != nil {
		return err
	}
	data := map[string]any{"Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total), "CanCreate": isStaff(p), "In": in,
		"Fields": map[string]string{}, "Target": SignedTarget}
	if isReader(p) {
		signed := 0
		for _, pre := range p.ScopePrefixes() {
			n, err := s.SignedSubjects(r.Context(), pre, s.now())
			if err != nil {
				return err
			}
			signed += n
		}
		data["Signed"] = signed
	}
	if formErr != nil {
		formError(data, formErr)
	}
	if isStaff(p) {
		cs, err := s.centerOptions(r.Context(), p)
		if err != nil {
			return err
		}
		data["Centers"], data["Catalog"] = cs, defaultCatalog
	}
	return web.Render(w, r, status, "service/contracts.html", data)
}

func (s *Service) centerOptions(ctx context.Context, p *auth.Principal) ([]option, error) {
	cs, _, err := s.ListCenters(ctx, p, CenterFilter{Status: OpenOperating, PerPage: 500})
	if err != nil {
		return nil, err
	}
	var out []option
	for _, c := range cs {
		out = append(out, option{strconv.FormatInt(c.ID, 10), c.Name + "（" + c.LevelLabel + "）"})
	}
	return out, nil
}

func (s *Service) contractPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	f := r.PostForm
	in := ContractInput{CenterID: formInt(f.Get("center_id")), SubjectID: formInt(f.Get("subject_id")), Scope: f["scope"], From: f.Get("from"), To: f.Get("to")}
	fee, err := parseYuan(f.Get("fee"))
	if err != nil {
		return s.renderContracts(w, r, http.StatusUnprocessableEntity, apperr.FieldErrors(map[string]string{"fee_fen": err.Error()}), f)
	}
	in.FeeFen = fee
	if _, err := s.CreateContract(r.Context(), web.Principal(r), in); err != nil {
		if isForm(err) {
			return s.renderContracts(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, "签约服务已登记")
	web.Redirect(w, r, "/service/contracts")
	return nil
}

// ---------------------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) requestsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderRequests(w, r, http.StatusOK, nil, url.Values{})
}

func (s *Service) renderRequests(w http.ResponseWriter, r *http.Request, status int, formErr error, in url.Values) error {
	p := web.Principal(r)
	pg := web.ParsePage(r, 50, 200)
	q := r.URL.Query()
	items, total, err := s.ListRequests(r.Context(), p, RequestFilter{Status: q.Get("status"), CenterID: int64Param(r, "center_id"), Overdue: q.Get("overdue") == "1",
		Page: pg.Page, PerPage: pg.PerPage})
	if err != nil {
		return err
	}
	var statuses []option
	for _, st := range []string{ReqFiled, ReqAccepted, ReqHandled, ReqFinished, ReqReturned} {
		statuses = append(statuses, option{st, RequestStatusLabel(st)})
	}
	canFile := isStaff(p) || (p.Is(auth.Member) && p.SubjectID != 0)
	data := map[string]any{"Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total), "Statuses": statuses, "CanFile": canFile,
		"Proxy": isStaff(p), "In": in, "Fields": map[string]string{}, "Types": RequestTypes()}
	if formErr != nil {
		formError(data, formErr)
	}
	if canFile {
		cs, err := s.centerOptions(r.Context(), p)
		if err != nil {
			return err
		}
		data["Centers"] = cs
	}
	return web.Render(w, r, status, "service/requests.html", data)
}

func (s *Service) requestPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	f := r.PostForm
	q, err := s.FileRequest(r.Context(), web.Principal(r), RequestInput{CenterID: formInt(f.Get("center_id")), SubjectID: formInt(f.Get("subject_id")),
		Type: f.Get("type"), Title: f.Get("title"), Detail: f.Get("detail")})
	if err != nil {
		if isForm(err) {
			return s.renderRequests(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, "申请已提交")
	web.Redirect(w, r, fmt.Sprintf("/service/requests/%d", q.ID))
	return nil
}

func (s *Service) requestPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderRequest(w, r, http.StatusOK, nil)
}

func (s *Service) renderRequest(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	q, err := s.GetRequest(r.Context(), p, id)
	if err != nil {
		return err
	}
	var actions []option
	if canHandle(p, q.centerReg) == nil {
		for _, a := range []option{{"accept", "受理"}, {"handle", "办理完毕"}, {"finish", "办结"}} {
			if transitions[a.Value].from[0] == q.Status {
				actions = append(actions, a)
			}
		}
	}
	data := map[string]any{"Q": q, "Actions": actions, "CanReturn": canHandle(p, q.centerReg) == nil && q.Open(), "Fields": map[string]string{}}
	if formErr != nil {
		formError(data, formErr)
	}
	return web.Render(w, r, status, "service/request.html", data)
}

func (s *Service) actionPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	action := r.PathValue("action")
	if _, ok := transitions[action]; !ok {
		return apperr.New(apperr.NotFound, "未知的操作")
	}
	q, err := s.Act(r.Context(), web.Principal(r), id, action, r.PostForm.Get("reason"))
	if err != nil {
		if isForm(err) {
			return s.renderRequest(w, r, http.StatusUnprocessableEntity, err)
		}
		return err
	}
	web.Flash(w, "申请"+q.StatusLabel)
	web.Redirect(w, r, fmt.Sprintf("/service/requests/%d", id))
	return nil
}
