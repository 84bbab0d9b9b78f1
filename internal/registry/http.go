package registry

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
)

//go:embed templates/*.html
var templatesFS embed.FS

var staffRoles = []auth.Role{auth.CountyAdmin, auth.TownshipOperator, auth.Department, auth.Taskforce, auth.Viewer, auth.Sysadmin}

// Routes registers the register's pages and API.
func (s *Service) Routes(srv *web.Server) {
	srv.Pages.AddFS("registry", templatesFS, "templates/*.html")
	srv.AddMenu(
		web.MenuItem{Group: "主体名录", Label: "主体名录", Path: "/subjects", Order: 10, Roles: staffRoles},
		web.MenuItem{Group: "主体名录", Label: "登记主体", Path: "/subjects/new", Order: 11, Roles: []auth.Role{auth.CountyAdmin, auth.TownshipOperator}},
		web.MenuItem{Group: "主体名录", Label: "批量导入", Path: "/import/subjects", Order: 12, Roles: []auth.Role{auth.CountyAdmin, auth.TownshipOperator}},
		web.MenuItem{Group: "主体名录", Label: "地块", Path: "/plots", Order: 13, Roles: staffRoles},
		web.MenuItem{Group: "主体名录", Label: "我的主体信息", Path: "/subjects/mine", Order: 10, Roles: []auth.Role{auth.Member, auth.Provider, auth.Bank}},
		web.MenuItem{Group: "基础数据", Label: "主导产业", Path: "/industries", Order: 91, Roles: []auth.Role{auth.CountyAdmin, auth.Sysadmin}},
	)
	srv.AddStats(s.homeStats)
	srv.Page("GET /subjects", s.listPage)
	srv.Page("GET /subjects/mine", func(w http.ResponseWriter, r *http.Request) error {
		http.Redirect(w, r, fmt.Sprintf("/subjects/%d", web.Principal(r).SubjectID), http.StatusSeeOther)
		return nil
	})
	srv.Page("GET /subjects/new", s.newPage)
	srv.Page("POST /subjects/new", s.createPost)
	srv.Page("GET /subjects/export", s.exportDownload)
	srv.Page("GET /subjects/{id}", s.detailPage)
	srv.Page("GET /subjects/{id}/edit", s.editPage)
	srv.Page("POST /subjects/{id}/edit", s.editPost)
	srv.Page("POST /subjects/{id}/deactivate", s.deactivatePost)
	srv.Page("POST /subjects/{id}/reactivate", s.reactivatePost)
	srv.Page("POST /subjects/{id}/reveal", s.revealPost)
	srv.Page("POST /subjects/{id}/members", s.memberPost)
	srv.Page("POST /subjects/{id}/members/{mid}/delete", s.memberDeletePost)
	srv.Page("POST /subjects/{id}/plots", s.plotPost)
	srv.Page("GET /plots", s.plotsPage)
	srv.Page("GET /plots/export", s.exportPlots)
	srv.Page("GET /industries", s.industriesPage)
	srv.Page("POST /industries", s.industriesPost)
	s.apiRoutes(srv)
}

func (s *Service) homeStats(ctx context.Context, p *auth.Principal) ([]web.Stat, error) {
	if p.Is(auth.Member, auth.Provider, auth.Bank) {
		if p.SubjectID == 0 {
			return nil, nil
		}
		own, err := s.Lookup(ctx, []int64{p.SubjectID})
		if err != nil || own[p.SubjectID] == nil {
			return nil, err
		}
		x := own[p.SubjectID]
		c, err := s.Count(ctx, p)
		if err != nil {
			return nil, err
		}
		return []web.Stat{
			{Label: "我的主体", Value: x.KindLabel, Hint: x.Name, Link: "/subjects/mine", Order: 1},
			{Label: "我的地块", Value: web.FormatInt(c.Plots), Hint: "共 " + web.FormatMu(c.PlotCenti), Link: "/subjects/mine", Order: 2},
		}, nil
	}
	c, err := s.Count(ctx, p)
	if err != nil {
		return nil, err
	}
	newType := c.ByKind["family_farm"] + c.ByKind["cooperative"] + c.ByKind["enterprise"]
	return []web.Stat{
		{Label: "登记主体", Value: web.FormatInt(c.Total), Hint: "一数一源主体名录", Link: "/subjects", Order: 1},
		{Label: "农户", Value: web.FormatInt(c.ByKind["household"]), Link: "/subjects?kind=household", Order: 2},
		{Label: "新型农业经营主体", Value: web.FormatInt(newType), Hint: fmt.Sprintf("合作社 %s · 家庭农场 %s · 企业 %s", web.FormatInt(c.ByKind["cooperative"]), web.FormatInt(c.ByKind["family_farm"]), web.FormatInt(c.ByKind["enterprise"])), Link: "/subjects?new_type=1", Order: 3},
		{Label: "登记地块", Value: web.FormatInt(c.Plots), Hint: "共 " + web.FormatMu(c.PlotCenti), Link: "/plots", Order: 4},
	}, nil
}

// filterFrom reads list filters from a query string.
func filterFrom(q url.Values) Filter {
	page, _ := strconv.Atoi(q.Get("page"))
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 || per > 500 {
		per = 20
	}
	return Filter{Q: q.Get("q"), Kind: q.Get("kind"), RegionCode: firstNonEmpty(q.Get("village"), q.Get("township"), q.Get("region_code")), Industry: q.Get("industry"),
		Status: q.Get("status"), NewType: q.Get("new_type") == "1" || q.Get("new_type") == "true", Page: page, PerPage: per, Sort: q.Get("sort")}
}

func firstNonEmpty(v ...string) string {
	for _, x := range v {
		if x != "" {
			return x
		}
	}
	return ""
}

func (s *Service) formOptions(r *http.Request) (map[string]any, error) {
	inds, err := s.Industries(r.Context())
	if err != nil {
		return nil, err
	}
	p := web.Principal(r)
	var towns []any
	for _, t := range s.regions.Townships() {
		if p.InRegion(t.Code) {
			towns = append(towns, t)
		}
	}
	return map[string]any{"Kinds": Kinds, "Industries": inds, "Townships": towns}, nil
}

func (s *Service) listPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	if p.Is(auth.Member, auth.Provider, auth.Bank) {
		http.Redirect(w, r, "/subjects/mine", http.StatusSeeOther)
		return nil
	}
	f := filterFrom(r.URL.Query())
	items, total, err := s.List(r.Context(), p, f)
	if err != nil && apperr.CodeOf(err) != apperr.Invalid {
		return err
	}
	opts, err2 := s.formOptions(r)
	if err2 != nil {
		return err2
	}
	q := r.URL.Query()
	var villages any
	if t := q.Get("township"); t != "" {
		villages = s.regions.Children(t)
	}
	pages := (total + f.PerPage - 1) / f.PerPage
	if f.Page == 0 {
		f.Page = 1
	}
	opts["Items"] = items
	opts["Total"] = total
	opts["Page"] = f.Page
	opts["Pages"] = pages
	opts["F"] = f
	opts["Villages"] = villages
	opts["Capped"] = total > CountCap
	opts["CanEdit"] = p.Is(auth.CountyAdmin, auth.TownshipOperator)
	if err != nil {
		opts["Error"] = apperr.MessageOf(err)
	}
	return web.Render(w, r, http.StatusOK, "registry/list.html", opts)
}

func (s *Service) detailPage(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p := web.Principal(r)
	x, err := s.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	var members []Member
	if x.Kind == "household" {
		if members, err = s.Members(r.Context(), p, id); err != nil {
			return err
		}
	}
	plots, _, err := s.Plots(r.Context(), p, PlotFilter{SubjectID: id, PerPage: 200})
	if err != nil {
		return err
	}
	var villages any
	if x.RegionCode != "" {
		villages = s.regions.Children(x.RegionCode[:9] + "000")
	}
	return web.Render(w, r, http.StatusOK, "registry/detail.html", map[string]any{
		"S": x, "Members": members, "Plots": plots, "CanEdit": canEdit(p, x.RegionCode) == nil, "CanReveal": canSeeClear(p, x.RegionCode),
		"Villages": villages, "Revealed": map[string]string{}, "Fields": map[string]string{}, "Tab": r.URL.Query().Get("tab"),
		"CanAudit": p.Is(auth.CountyAdmin, auth.Sysadmin),
	})
}

func (s *Service) revealPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p := web.Principal(r)
	idn, phone, err := s.Reveal(r.Context(), p, id)
	if err != nil {
		return err
	}
	x, err := s.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	members, _ := s.Members(r.Context(), p, id)
	plots, _, _ := s.Plots(r.Context(), p, PlotFilter{SubjectID: id, PerPage: 200})
	return web.Render(w, r, http.StatusOK, "registry/detail.html", map[string]any{
		"S": x, "Members": members, "Plots": plots, "CanEdit": canEdit(p, x.RegionCode) == nil, "CanReveal": true,
		"Villages": s.regions.Children(x.RegionCode[:9] + "000"), "Revealed": map[string]string{"id": idn, "phone": phone}, "Fields": map[string]string{},
	})
}

// inputFromForm reads the subject form; empty numeric fields mean zero.
func inputFromForm(r *http.Request) (SubjectInput, map[string]string) {
	f := r.PostForm
	str := func(k string) *string { v := f.Get(k); return &v }
	in := SubjectInput{Kind: str("kind"), Name: str("name"), CreditCode: str("credit_code"), LegalRep: str("legal_rep"), Phone: str("phone"),
		RegionCode: str("region_code"), Address: str("address"), EstablishedOn: str("established_on"), RegisteredOn: str("registered_on"), Note: str("note")}
	if v := f.Get("village"); v != "" {
		in.RegionCode = &v
	} else if v := f.Get("township"); v != "" && f.Get("region_code") == "" {
		in.RegionCode = &v
	}
	if v := strings.TrimSpace(f.Get("id_number")); v != "" || f.Has("id_number_clear") {
		in.IDNumber = &v
	}
	inds := f["industries"]
	in.Industries = &inds
	bad := map[string]string{}
	num := func(k string, set func(float64)) {
		v := strings.TrimSpace(f.Get(k))
		if v == "" {
			set(0)
			return
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			bad[k] = "请填写数字"
			return
		}
		set(x)
	}
	num("scale_mu", func(x float64) { in.ScaleMu = &x })
	num("scale_head", func(x float64) { v := int64(x); in.ScaleHead = &v })
	num("households_led", func(x float64) { v := int(x); in.HouseholdsLed = &v })
	num("lng", func(x float64) { in.Lng = &x })
	num("lat", func(x float64) { in.Lat = &x })
	return in, bad
}

func (s *Service) renderForm(w http.ResponseWriter, r *http.Request, status int, x *Subject, fields map[string]string, msg string) error {
	opts, err := s.formOptions(r)
	if err != nil {
		return err
	}
	if x == nil {
		x = &Subject{Kind: r.URL.Query().Get("kind"), Industries: []string{}}
	}
	var villages any
	if len(x.RegionCode) == 12 {
		villages = s.regions.Children(x.RegionCode[:9] + "000")
	}
	opts["S"] = x
	opts["Fields"] = fields
	opts["Error"] = msg
	opts["Villages"] = villages
	return web.Render(w, r, status, "registry/form.html", opts)
}

func (s *Service) newPage(w http.ResponseWriter, r *http.Request) error {
	if err := canEditAny(web.Principal(r)); err != nil {
		return err
	}
	return s.renderForm(w, r, http.StatusOK, nil, map[string]string{}, "")
}

func canEditAny(p *auth.Principal) error {
	if !p.Is(auth.CountyAdmin, auth.TownshipOperator) {
		return apperr.New(apperr.Forbidden, "您的角色不能修改主体名录")
	}
	return nil
}

// formEcho rebuilds what the user typed, so a form with errors comes back filled in.
func formEcho(r *http.Request, base *Subject) *Subject {
	x := &Subject{}
	if base != nil {
		*x = *base
	}
	f := r.PostForm
	x.Kind, x.Name, x.CreditCode, x.LegalRep = f.Get("kind"), f.Get("name"), f.Get("credit_code"), f.Get("legal_rep")
	x.IDNumber, x.Phone, x.Address, x.Note = f.Get("id_number"), f.Get("phone"), f.Get("address"), f.Get("note")
	x.RegionCode = firstNonEmpty(f.Get("village"), f.Get("region_code"), f.Get("township"))
	x.Industries = f["industries"]
	x.EstablishedOn, x.RegisteredOn = f.Get("established_on"), f.Get("registered_on")
	x.ScaleMu, _ = strconv.ParseFloat(f.Get("scale_mu"), 64)
	x.ScaleHead, _ = strconv.ParseInt(f.Get("scale_head"), 10, 64)
	x.HouseholdsLed, _ = strconv.Atoi(f.Get("households_led"))
	x.Lng, _ = strconv.ParseFloat(f.Get("lng"), 64)
	x.Lat, _ = strconv.ParseFloat(f.Get("lat"), 64)
	return x
}

func (s *Service) createPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	p := web.Principal(r)
	if err := canEditAny(p); err != nil {
		return err
	}
	in, bad := inputFromForm(r)
	if len(bad) > 0 {
		return s.renderForm(w, r, http.StatusUnprocessableEntity, formEcho(r, nil), bad, "提交的内容有误，请检查标出的字段")
	}
	x, err := s.Create(r.Context(), p, in)
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderForm(w, r, web.Status(c), formEcho(r, nil), apperr.FieldsOf(err), apperr.MessageOf(err))
		}
		return err
	}
	web.Flash(w, "已登记："+x.Name)
	web.Redirect(w, r, fmt.Sprintf("/subjects/%d", x.ID))
	return nil
}

func (s *Service) editPage(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p := web.Principal(r)
	x, err := s.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	if err := canEdit(p, x.RegionCode); err != nil {
		return err
	}
	x.IDNumber = "" // left empty: typing a number replaces it; empty keeps the stored one
	return s.renderForm(w, r, http.StatusOK, x, map[string]string{}, "")
}

func (s *Service) editPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	p := web.Principal(r)
	cur, err := s.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	in, bad := inputFromForm(r)
	if len(bad) > 0 {
		return s.renderForm(w, r, http.StatusUnprocessableEntity, formEcho(r, cur), bad, "提交的内容有误，请检查标出的字段")
	}
	x, err := s.Update(r.Context(), p, id, in)
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderForm(w, r, web.Status(c), formEcho(r, cur), apperr.FieldsOf(err), apperr.MessageOf(err))
		}
		return err
	}
	web.Flash(w, "已保存："+x.Name)
	web.Redirect(w, r, fmt.Sprintf("/subjects/%d", x.ID))
	return nil
}

func (s *Service) deactivatePost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	if err := s.Deactivate(r.Context(), web.Principal(r), id, r.PostForm.Get("reason")); err != nil {
		if apperr.CodeOf(err) != apperr.Invalid {
			return err
		}
		web.Flash(w, "注销失败：请填写注销原因")
	} else {
		web.Flash(w, "已注销，记录保留可查")
	}
	web.Redirect(w, r, fmt.Sprintf("/subjects/%d", id))
	return nil
}

func (s *Service) reactivatePost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Reactivate(r.Context(), web.Principal(r), id); err != nil {
		return err
	}
	web.Flash(w, "已恢复为正常状态")
	web.Redirect(w, r, fmt.Sprintf("/subjects/%d", id))
	return nil
}

func (s *Service) memberPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	f := r.PostForm
	_, err = s.AddMember(r.Context(), web.Principal(r), id, MemberInput{Name: f.Get("name"), Relation: f.Get("relation"), IDNumber: f.Get("id_number"), Phone: f.Get("phone")})
	if err != nil {
		if c := apperr.CodeOf(err); c != apperr.Invalid && c != apperr.Conflict {
			return err
		}
		msg := apperr.MessageOf(err)
		for _, v := range apperr.FieldsOf(err) {
			msg = v
		}
		web.Flash(w, "家庭成员未保存："+msg)
	} else {
		web.Flash(w, "已添加家庭成员")
	}
	web.Redirect(w, r, fmt.Sprintf("/subjects/%d?tab=members", id))
	return nil
}

func (s *Service) memberDeletePost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	mid, err := web.PathID(r, "mid")
	if err != nil {
		return err
	}
	if err := s.RemoveMember(r.Context(), web.Principal(r), id, mid); err != nil {
		return err
	}
	web.Flash(w, "已移除家庭成员")
	web.Redirect(w, r, fmt.Sprintf("/subjects/%d?tab=members", id))
	return nil
}

func (s *Service) plotPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseMultipartForm(4 << 20); err != nil && err != http.ErrNotMultipart {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	f := r.Form
	in := PlotInput{SubjectID: id, RegionCode: f.Get("region_code"), Name: f.Get("name"), Crop: f.Get("crop"), Polygon: f.Get("polygon")}
	if file, _, err := r.FormFile("polygon_file"); err == nil {
		b := make([]byte, 2<<20)
		n, _ := file.Read(b)
		file.Close()
		in.Polygon = string(b[:n])
	}
	if v := strings.TrimSpace(f.Get("area_mu")); v != "" {
		a, err := strconv.ParseFloat(v, 64)
		if err != nil {
			web.Flash(w, "地块未保存：面积请填写数字")
			web.Redirect(w, r, fmt.Sprintf("/subjects/%d?tab=plots", id))
			return nil
		}
		in.AreaMu = &a
	}
	pl, _, err := s.SavePlot(r.Context(), web.Principal(r), in)
	if err != nil {
		if c := apperr.CodeOf(err); c != apperr.Invalid && c != apperr.Conflict {
			return err
		}
		msg := apperr.MessageOf(err)
		for _, v := range apperr.FieldsOf(err) {
			msg = v
		}
		web.Flash(w, "地块未保存："+msg)
	} else {
		web.Flash(w, fmt.Sprintf("已保存地块：%s（%.2f亩）", pl.Name, pl.AreaMu))
	}
	web.Redirect(w, r, fmt.Sprintf("/subjects/%d?tab=plots", id))
	return nil
}

func (s *Service) plotsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pg := web.ParsePage(r, 30, 200)
	f := PlotFilter{RegionCode: firstNonEmpty(q.Get("village"), q.Get("township")), Crop: q.Get("crop"), Page: pg.Page, PerPage: pg.PerPage}
	items, total, err := s.Plots(r.Context(), web.Principal(r), f)
	if err != nil {
		return err
	}
	opts, err := s.formOptions(r)
	if err != nil {
		return err
	}
	opts["Items"], opts["Total"], opts["Page"], opts["Pages"] = items, total, pg.Page, pg.Pages(total)
	return web.Render(w, r, http.StatusOK, "registry/plots.html", opts)
}

func (s *Service) industriesPage(w http.ResponseWriter, r *http.Request) error {
	inds, err := s.Industries(r.Context())
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "registry/industries.html", map[string]any{"Text": strings.Join(inds, "\n")})
}

func (s *Service) industriesPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	names := strings.FieldsFunc(r.PostForm.Get("industries"), func(c rune) bool { return c == '\n' || c == ',' || c == '，' || c == '、' })
	if err := s.SetIndustries(r.Context(), web.Principal(r), names); err != nil {
		return err
	}
	web.Flash(w, "主导产业目录已保存")
	web.Redirect(w, r, "/industries")
	return nil
}
