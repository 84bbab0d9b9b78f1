package federation

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
	staffRoles    = []auth.Role{auth.CountyAdmin, auth.TownshipOperator}
	applyRoles    = []auth.Role{auth.CountyAdmin, auth.TownshipOperator, auth.Member, auth.Provider, auth.Bank}
	readRolesNote = "所有已登录角色（按管辖范围）"
)

// Badge is the design-system badge class of the membership's status.
func (m Membership) Badge() string { return StatusBadge(m.Status) }

// Badge is the badge class of the event's new status.
func (e Event) Badge() string { return StatusBadge(e.To) }

// Routes registers the room's pages, API, menu items and home-page counts.
func (s *Service) Routes(srv *web.Server) {
	srv.Pages.AddFS("federation", templatesFS, "templates/*.html")
	srv.AddMenu(
		web.MenuItem{Group: "农合联", Label: "农合联", Path: "/federations", Order: 20},
		web.MenuItem{Group: "农合联", Label: "入会审核", Path: "/memberships/review", Order: 21, Roles: staffRoles},
		web.MenuItem{Group: "农合联", Label: "会员与入会记录", Path: "/memberships", Order: 22},
		web.MenuItem{Group: "农合联", Label: "申请入会", Path: "/memberships/apply", Order: 23, Roles: applyRoles},
	)
	srv.AddStats(s.homeStats)

	srv.Page("GET /federations", s.listPage)
	srv.Page("GET /federations/new", s.newPage)
	srv.Page("POST /federations/new", s.createPost)
	srv.Page("GET /federations/{id}", s.detailPage)
	srv.Page("GET /federations/{id}/edit", s.editPage)
	srv.Page("POST /federations/{id}/edit", s.editPost)
	srv.Page("POST /federations/{id}/bodies", s.governancePost("bodies"))
	srv.Page("POST /federations/{id}/posts", s.governancePost("posts"))
	srv.Page("POST /federations/{id}/meetings", s.governancePost("meetings"))
	srv.Page("POST /federations/{id}/charters", s.governancePost("charters"))
	srv.Page("GET /memberships", s.membershipsPage(false))
	srv.Page("GET /memberships/review", s.membershipsPage(true))
	srv.Page("GET /memberships/export", s.exportMemberships)
	srv.Page("GET /memberships/apply", s.applyPage)
	srv.Page("POST /memberships/apply", s.applyPost)
	srv.Page("GET /memberships/{id}", s.membershipPage)
	srv.Page("POST /memberships/{id}/{action}", s.transitionPost)
	s.apiRoutes(srv)
}

func (s *Service) homeStats(ctx context.Context, p *auth.Principal) ([]web.Stat, error) {
	o, err := s.Overview(ctx, p)
	if err != nil {
		return nil, err
	}
	stats := []web.Stat{
		{Label: "农合联数", Value: web.FormatInt(o.Feds), Link: "/federations", Order: 20,
			Hint: fmt.Sprintf("县级 %d · 乡镇 %d · 产业 %d", o.ByLevel[LevelCounty], o.ByLevel[LevelTownship], o.ByLevel[LevelIndustry])},
	}
	label := "农合联会员数"
	if selfService(p) {
		label = "我加入的农合联"
	}
	stats = append(stats, web.Stat{Label: label, Value: web.FormatInt(o.Members), Hint: fmt.Sprintf("会员主体 %s 个", web.FormatInt(o.Subjects)),
		Link: "/memberships?status=approved", Order: 21})
	if p.Is(auth.CountyAdmin, auth.TownshipOperator) {
		stats = append(stats, web.Stat{Label: "待审核入会申请", Value: web.FormatInt(o.Pending), Hint: "您可审核的农合联", Link: "/memberships/review", Order: 22})
	}
	return stats, nil
}

func queryInt(q url.Values, name string) (int64, error) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, apperr.FieldErrors(map[string]string{name: "应为数字编号"})
	}
	return n, nil
}

// ---------------------------------------------------------------------------------------------------------------
// JSON API
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) apiRoutes(srv *web.Server) {
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/federations", Summary: "农合联列表（含实时会员数）", Tag: "federations",
		Query: []string{"level", "q", "status", "page", "per_page"}, Response: web.List[Federation]{}, Roles: readRolesNote},
		func(w http.ResponseWriter, r *http.Request) error {
			q := r.URL.Query()
			pg := web.ParsePage(r, 50, 500)
			items, total, err := s.ListFederations(r.Context(), web.Principal(r), FedFilter{Level: q.Get("level"), Q: q.Get("q"), Status: q.Get("status"), Page: pg.Page, PerPage: pg.PerPage})
			if err != nil {
				return err
			}
			out := make([]Federation, 0, len(items))
			for _, f := range items {
				out = append(out, *f)
			}
			web.WriteJSON(w, http.StatusOK, web.List[Federation]{Items: out, Total: total, Page: pg.Page, PerPage: pg.PerPage})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/federations", Summary: "新建农合联", Tag: "federations", Request: FederationInput{}, Response: Federation{}, Status: 201, Roles: "county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in FederationInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			f, err := s.CreateFederation(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, f)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/federations/{id}", Summary: "农合联详情", Tag: "federations", Response: Federation{}, Roles: readRolesNote},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			f, err := s.GetFederation(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, f)
			return nil
		})
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/federations/{id}", Summary: "修改农合联（只改提交的字段）", Tag: "federations", Request: FederationInput{}, Response: Federation{}, Roles: "county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in FederationInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			f, err := s.UpdateFederation(r.Context(), web.Principal(r), id, in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, f)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/federations/{id}/stats", Summary: "会员实时统计：按状态、主体类型、乡镇", Tag: "federations", Response: Stats{}, Roles: readRolesNote},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			st, err := s.FederationStats(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, st)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/federations/{id}/bodies", Summary: "组织机构（会员代表大会、理事会、监事会）及其职务", Tag: "federations", Response: []Body{}, Roles: readRolesNote},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			out, err := s.Bodies(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, out)
			return nil
		})
	createOp := func(path, summary string, req, resp any, fn func(ctx context.Context, p *auth.Principal, id int64, r *http.Request) (any, error)) {
		srv.Handle(web.Op{Method: "POST", Path: path, Summary: summary, Tag: "federations", Request: req, Response: resp, Status: 201,
			Roles: "county_admin；township_operator（覆盖本人乡镇的农合联）"},
			func(w http.ResponseWriter, r *http.Request) error {
				id, err := web.PathID(r, "id")
				if err != nil {
					return err
				}
				out, err := fn(r.Context(), web.Principal(r), id, r)
				if err != nil {
					return err
				}
				web.WriteJSON(w, http.StatusCreated, out)
				return nil
			})
	}
	createOp("/api/v1/federations/{id}/bodies", "登记一届组织机构", BodyInput{}, Body{}, func(ctx context.Context, p *auth.Principal, id int64, r *http.Request) (any, error) {
		var in BodyInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return nil, err
		}
		return s.AddBody(ctx, p, id, in)
	})
	createOp("/api/v1/federations/{id}/posts", "登记职务任职（会长、理事、监事长 …）", PostInput{}, Post{}, func(ctx context.Context, p *auth.Principal, id int64, r *http.Request) (any, error) {
		var in PostInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return nil, err
		}
		return s.AddPost(ctx, p, id, in)
	})
	createOp("/api/v1/federations/{id}/meetings", "记录会议（出席、纪要）", MeetingInput{}, Meeting{}, func(ctx context.Context, p *auth.Principal, id int64, r *http.Request) (any, error) {
		var in MeetingInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return nil, err
		}
		return s.AddMeeting(ctx, p, id, in)
	})
	createOp("/api/v1/federations/{id}/charters", "通过新版章程（版本号自动递增）", CharterInput{}, Charter{}, func(ctx context.Context, p *auth.Principal, id int64, r *http.Request) (any, error) {
		var in CharterInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return nil, err
		}
		return s.AddCharter(ctx, p, id, in)
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/federations/{id}/meetings", Summary: "会议记录", Tag: "federations", Response: []Meeting{}, Roles: readRolesNote},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			out, err := s.Meetings(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, out)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/federations/{id}/charters", Summary: "章程各版本（最新为现行）", Tag: "federations", Response: []Charter{}, Roles: readRolesNote},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			out, err := s.Charters(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, out)
			return nil
		})

	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/memberships", Summary: "入会记录（会员只见本人）", Tag: "memberships",
		Query: []string{"federation_id", "subject_id", "status", "kind", "township", "page", "per_page"}, Response: web.List[Membership]{}, Roles: readRolesNote},
		func(w http.ResponseWriter, r *http.Request) error {
			f, pg, err := membershipFilter(r)
			if err != nil {
				return err
			}
			items, total, err := s.ListMemberships(r.Context(), web.Principal(r), f)
			if err != nil {
				return err
			}
			out := make([]Membership, 0, len(items))
			for _, m := range items {
				out = append(out, *m)
			}
			web.WriteJSON(w, http.StatusOK, web.List[Membership]{Items: out, Total: total, Page: pg.Page, PerPage: pg.PerPage})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/memberships", Summary: "申请入会（会员为本人申请；工作人员代办时 on_behalf=true）", Tag: "memberships",
		Request: ApplyInput{}, Response: MembershipDetail{}, Status: 201, Roles: "member, provider, bank（本人主体）；county_admin, township_operator（代办，限管辖范围）"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in ApplyInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			m, err := s.Apply(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, m)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/memberships/{id}", Summary: "入会记录及其全部状态变更", Tag: "memberships", Response: MembershipDetail{}, Roles: readRolesNote},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			m, err := s.GetMembership(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, m)
			return nil
		})
	type noteReq struct {
		Note string `json:"note"`
	}
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/memberships/{id}", Summary: "修改入会记录备注", Tag: "memberships", Request: noteReq{}, Response: MembershipDetail{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in noteReq
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			m, err := s.UpdateNote(r.Context(), web.Principal(r), id, in.Note)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, m)
			return nil
		})
	type approveReq struct {
		MemberNo string `json:"member_no" doc:"可选；缺省按 农合联编码-4位序号 分配"`
	}
	type reasonReq struct {
		Reason string `json:"reason"`
	}
	for _, a := range []struct {
		action, summary, roles string
		req                    any
	}{
		{ActApprove, "批准入会，分配会员编号", "county_admin；township_operator（覆盖本人乡镇的农合联）", approveReq{}},
		{ActReject, "驳回入会申请（须填原因）", "county_admin；township_operator（覆盖本人乡镇的农合联）", reasonReq{}},
		{ActWithdraw, "退会（会员本人或审核人员受理）", "member, provider, bank（本人）；county_admin, township_operator", reasonReq{}},
		{ActExpel, "除名（须填原因）", "county_admin；township_operator（覆盖本人乡镇的农合联）", reasonReq{}},
	} {
		action := a.action
		srv.Handle(web.Op{Method: "POST", Path: "/api/v1/memberships/{id}/" + action, Summary: a.summary, Tag: "memberships", Request: a.req, Response: MembershipDetail{}, Roles: a.roles},
			func(w http.ResponseWriter, r *http.Request) error {
				id, err := web.PathID(r, "id")
				if err != nil {
					return err
				}
				var in TransitionInput
				if r.ContentLength != 0 {
					if err := web.DecodeJSON(r, &in); err != nil {
						return err
					}
				}
				if action != ActApprove && in.MemberNo != "" {
					return apperr.FieldErrors(map[string]string{"member_no": "仅批准时可指定会员编号"})
				}
				m, err := s.Transition(r.Context(), web.Principal(r), id, action, in)
				if err != nil {
					return err
				}
				web.WriteJSON(w, http.StatusOK, m)
				return nil
			})
	}
}

func membershipFilter(r *http.Request) (MembershipFilter, web.PageReq, error) {
	q := r.URL.Query()
	pg := web.ParsePage(r, 20, 500)
	fed, err := queryInt(q, "federation_id")
	if err != nil {
		return MembershipFilter{}, pg, err
	}
	sub, err := queryInt(q, "subject_id")
	if err != nil {
		return MembershipFilter{}, pg, err
	}
	return MembershipFilter{FederationID: fed, SubjectID: sub, Status: q.Get("status"), Kind: q.Get("kind"), Township: q.Get("township"),
		Page: pg.Page, PerPage: pg.PerPage}, pg, nil
}

// ---------------------------------------------------------------------------------------------------------------
// UI pages
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) listPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	q := r.URL.Query()
	items, total, err := s.ListFederations(r.Context(), p, FedFilter{Level: q.Get("level"), Q: q.Get("q"), PerPage: 500})
	if err != nil && apperr.CodeOf(err) != apperr.Invalid {
		return err
	}
	o, err2 := s.Overview(r.Context(), p)
	if err2 != nil {
		return err2
	}
	data := map[string]any{"Items": items, "Total": total, "Overview": o, "Levels": levelOptions(), "CanCreate": p.Is(auth.CountyAdmin)}
	if err != nil {
		data["Error"] = apperr.MessageOf(err)
	}
	return web.Render(w, r, http.StatusOK, "federation/list.html", data)
}

type option struct{ Value, Label string }

func levelOptions() []option {
	var out []option
	for _, l := range Levels {
		out = append(out, option{l, LevelLabel(l)})
	}
	return out
}

func statusOptions() []option {
	var out []option
	for _, st := range Statuses {
		out = append(out, option{st, StatusLabel(st)})
	}
	return out
}

func bodyOptions() []option {
	var out []option
	for _, k := range BodyKinds {
		out = append(out, option{k, BodyLabel(k)})
	}
	return out
}

func (s *Service) townshipOptions(p *auth.Principal) []option {
	var out []option
	for _, t := range s.regions.Townships() {
		if p.InRegion(t.Code) {
			out = append(out, option{t.Code, t.Name})
		}
	}
	return out
}

func (s *Service) renderForm(w http.ResponseWriter, r *http.Request, status int, f *Federation, fields map[string]string, msg string) error {
	return web.Render(w, r, status, "federation/form.html", map[string]any{"F": f, "Fields": fields, "Error": msg,
		"Levels": levelOptions(), "Townships": s.townshipOptions(web.Principal(r)), "Industries": registry.DefaultIndustries})
}

func (s *Service) newPage(w http.ResponseWriter, r *http.Request) error {
	if p := web.Principal(r); !p.Is(auth.CountyAdmin) {
		return canAdminFed(p, "")
	}
	return s.renderForm(w, r, http.StatusOK, &Federation{Level: LevelTownship, Townships: []string{}}, map[string]string{}, "")
}

// formInput reads the federation form.
func formInput(r *http.Request) FederationInput {
	v := func(k string) *string { s := r.PostForm.Get(k); return &s }
	id := func(k string) *int64 {
		n, _ := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get(k)), 10, 64)
		return &n
	}
	towns := r.PostForm["townships"]
	in := FederationInput{Code: v("code"), Name: v("name"), Level: v("level"), Townships: &towns, Industry: v("industry"),
		SecretariatSubjectID: id("secretariat_subject_id"), SecretariatName: v("secretariat_name"), PresidentName: v("president_name"),
		PresidentSubjectID: id("president_subject_id"), EstablishedOn: v("established_on"), Address: v("address"), Phone: v("phone"), Note: v("note")}
	if st := r.PostForm.Get("status"); st != "" {
		in.Status = &st
	}
	return in
}

func formEcho(in FederationInput, base Federation) *Federation {
	f := base
	f.Code, f.Name, f.Level, f.Industry = *in.Code, *in.Name, *in.Level, *in.Industry
	f.Townships = *in.Townships
	f.SecretariatSubjectID, f.SecretariatName, f.PresidentName = *in.SecretariatSubjectID, *in.SecretariatName, *in.PresidentName
	f.PresidentSubjectID, f.EstablishedOn, f.Address, f.Phone, f.Note = *in.PresidentSubjectID, *in.EstablishedOn, *in.Address, *in.Phone, *in.Note
	return &f
}

func (s *Service) createPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	in := formInput(r)
	f, err := s.CreateFederation(r.Context(), web.Principal(r), in)
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderForm(w, r, web.Status(c), formEcho(in, Federation{}), apperr.FieldsOf(err), apperr.MessageOf(err))
		}
		return err
	}
	web.Flash(w, "已新建"+f.Name)
	web.Redirect(w, r, fmt.Sprintf("/federations/%d", f.ID))
	return nil
}

func (s *Service) editPage(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	f, err := s.GetFederation(r.Context(), web.Principal(r), id)
	if err != nil {
		return err
	}
	if err := canAdminFed(web.Principal(r), f.RegionCode); err != nil {
		return err
	}
	return s.renderForm(w, r, http.StatusOK, f, map[string]string{}, "")
}

func (s *Service) editPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	cur, err := s.GetFederation(r.Context(), web.Principal(r), id)
	if err != nil {
		return err
	}
	in := formInput(r)
	in.Level = nil
	if cur.Level != LevelTownship {
		in.Townships = nil
	}
	f, err := s.UpdateFederation(r.Context(), web.Principal(r), id, in)
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			lv := cur.Level
			in.Level = &lv
			if in.Townships == nil {
				in.Townships = &cur.Townships
			}
			return s.renderForm(w, r, web.Status(c), formEcho(in, *cur), apperr.FieldsOf(err), apperr.MessageOf(err))
		}
		return err
	}
	web.Flash(w, "已保存"+f.Name)
	web.Redirect(w, r, fmt.Sprintf("/federations/%d", f.ID))
	return nil
}

// detailPage shows one federation: overview, members or governance (tab).
func (s *Service) detailPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderDetail(w, r, http.StatusOK, "", nil, nil)
}

func (s *Service) renderDetail(w http.ResponseWriter, r *http.Request, status int, form string, fields map[string]string, values url.Values) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p := web.Principal(r)
	ctx := r.Context()
	f, err := s.GetFederation(ctx, p, id)
	if err != nil {
		return err
	}
	tab := r.URL.Query().Get("tab")
	if form != "" {
		tab = "governance"
	}
	if tab != "members" && tab != "governance" {
		tab = "overview"
	}
	data := map[string]any{"F": f, "Tab": tab, "CanGovern": canGovern(p, f) == nil, "CanAdmin": canAdminFed(p, f.RegionCode) == nil,
		"Form": form, "Fields": fields, "Values": values, "CanApply": p.Is(applyRoles...) && f.Status == FedActive}
	if fields == nil {
		data["Fields"] = map[string]string{}
	}
	if values == nil {
		data["Values"] = url.Values{}
	}
	switch tab {
	case "overview":
		st, err := s.FederationStats(ctx, p, id)
		if err != nil {
			return err
		}
		data["Stats"] = st
		cs, err := s.Charters(ctx, p, id)
		if err != nil {
			return err
		}
		if len(cs) > 0 {
			data["Charter"] = cs[0]
		}
	case "members":
		mf, pg, err := membershipFilter(r)
		if err != nil {
			return err
		}
		mf.FederationID = id
		if mf.Status == "" && !r.URL.Query().Has("status") {
			mf.Status = StatusApproved
		}
		items, total, err := s.ListMemberships(ctx, p, mf)
		if err != nil && apperr.CodeOf(err) != apperr.Invalid {
			return err
		}
		data["Members"], data["Total"], data["Page"], data["Pages"], data["Status"] = items, total, pg.Page, pg.Pages(total), mf.Status
		data["Statuses"] = statusOptions()
	case "governance":
		bodies, err := s.Bodies(ctx, p, id)
		if err != nil {
			return err
		}
		meetings, err := s.Meetings(ctx, p, id)
		if err != nil {
			return err
		}
		cs, err := s.Charters(ctx, p, id)
		if err != nil {
			return err
		}
		data["Bodies"], data["Meetings"], data["Charters"], data["BodyKinds"], data["PostTitles"] = bodies, meetings, cs, bodyOptions(), PostTitles
	}
	return web.Render(w, r, status, "federation/detail.html", data)
}

func formInt(r *http.Request, k string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(r.PostForm.Get(k)))
	return n
}

func formInt64(r *http.Request, k string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get(k)), 10, 64)
	return n
}

// governancePost handles the governance forms of the detail page.
func (s *Service) governancePost(form string) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return apperr.New(apperr.Invalid, "表单无法读取")
		}
		p, ctx, v := web.Principal(r), r.Context(), r.PostForm.Get
		var msg string
		switch form {
		case "bodies":
			var b Body
			b, err = s.AddBody(ctx, p, id, BodyInput{Kind: v("kind"), TermNo: formInt(r, "term_no"), TermStart: v("term_start"), TermEnd: v("term_end"), Note: v("note")})
			msg = "已登记" + b.KindLabel + b.TermLabel
		case "posts":
			var x Post
			x, err = s.AddPost(ctx, p, id, PostInput{BodyID: formInt64(r, "body_id"), Title: v("title"), HolderName: v("holder_name"),
				HolderSubjectID: formInt64(r, "holder_subject_id"), TermStart: v("term_start"), TermEnd: v("term_end"), Note: v("note")})
			msg = "已登记 " + x.HolderName + " 任 " + x.Title
		case "meetings":
			var m Meeting
			m, err = s.AddMeeting(ctx, p, id, MeetingInput{BodyID: formInt64(r, "body_id"), HeldOn: v("held_on"), Title: v("title"), Agenda: v("agenda"),
				Attendees: []string{v("attendees")}, Present: formInt(r, "present"), Expected: formInt(r, "expected"), Minutes: v("minutes")})
			msg = "已记录会议：" + m.Title
		case "charters":
			var c Charter
			c, err = s.AddCharter(ctx, p, id, CharterInput{AdoptedOn: v("adopted_on"), Text: v("text"), Note: v("note")})
			msg = fmt.Sprintf("已通过章程第%d版", c.Version)
		}
		if err != nil {
			if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
				fields := apperr.FieldsOf(err)
				if fields == nil {
					fields = map[string]string{}
				}
				fields["_form"] = apperr.MessageOf(err)
				return s.renderDetail(w, r, web.Status(c), form, fields, r.PostForm)
			}
			return err
		}
		web.Flash(w, msg)
		web.Redirect(w, r, fmt.Sprintf("/federations/%d?tab=governance", id))
		return nil
	}
}

func (s *Service) membershipsPage(review bool) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := web.Principal(r)
		if review && !p.Is(staffRoles...) {
			return apperr.New(apperr.Forbidden, "只有县级和乡镇工作人员可以审核入会申请")
		}
		mf, pg, err := membershipFilter(r)
		if err != nil {
			return err
		}
		if review {
			mf.Status, mf.Reviewable = StatusApplied, true
		}
		items, total, err := s.ListMemberships(r.Context(), p, mf)
		if err != nil && apperr.CodeOf(err) != apperr.Invalid {
			return err
		}
		feds, ferr := s.allFederations(r.Context(), p)
		if ferr != nil {
			return ferr
		}
		data := map[string]any{"Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total), "Review": review, "Feds": feds,
			"Statuses": statusOptions(), "F": mf, "Self": selfService(p)}
		if err != nil {
			data["Error"] = apperr.MessageOf(err)
		}
		return web.Render(w, r, http.StatusOK, "federation/memberships.html", data)
	}
}

func (s *Service) membershipPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderMembership(w, r, http.StatusOK, "", nil)
}

func (s *Service) renderMembership(w http.ResponseWriter, r *http.Request, status int, action string, fields map[string]string) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p := web.Principal(r)
	m, err := s.GetMembership(r.Context(), p, id)
	if err != nil {
		return err
	}
	f, err := s.getFed(r.Context(), s.db, m.FederationID)
	if err != nil {
		return err
	}
	gov := canGovern(p, f) == nil
	own := selfService(p) && p.SubjectID == m.SubjectID
	if fields == nil {
		fields = map[string]string{}
	}
	return web.Render(w, r, status, "federation/membership.html", map[string]any{"M": m, "F": f, "Action": action, "Fields": fields,
		"CanReview": gov && m.Status == StatusApplied, "CanExpel": gov && m.Status == StatusApproved,
		"CanWithdraw": (gov || own) && (m.Status == StatusApproved || m.Status == StatusApplied)})
}

func (s *Service) transitionPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	action := r.PathValue("action")
	if _, ok := transitions[action]; !ok {
		return apperr.New(apperr.NotFound, "没有该操作")
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	m, err := s.Transition(r.Context(), web.Principal(r), id, action, TransitionInput{Reason: r.PostForm.Get("reason"), MemberNo: r.PostForm.Get("member_no")})
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			fields := apperr.FieldsOf(err)
			if fields == nil {
				fields = map[string]string{}
			}
			fields["_form"] = apperr.MessageOf(err)
			return s.renderMembership(w, r, web.Status(c), action, fields)
		}
		return err
	}
	web.Flash(w, fmt.Sprintf("%s：%s（%s）", transitions[action].label, m.SubjectName, m.StatusLabel))
	back := r.PostForm.Get("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = fmt.Sprintf("/memberships/%d", id)
	}
	web.Redirect(w, r, back)
	return nil
}

func (s *Service) applyPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderApply(w, r, http.StatusOK, ApplyInput{FederationID: mustInt(r.URL.Query().Get("federation_id"))}, r.URL.Query().Get("q"), nil, "")
}

func mustInt(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n
}

func (s *Service) renderApply(w http.ResponseWriter, r *http.Request, status int, in ApplyInput, q string, fields map[string]string, msg string) error {
	p := web.Principal(r)
	if !p.Is(applyRoles...) {
		return apperr.New(apperr.Forbidden, "您的角色不能提交入会申请")
	}
	feds, err := s.allFederations(r.Context(), p)
	if err != nil {
		return err
	}
	var active []*Federation
	for _, f := range feds {
		if f.Status == FedActive {
			active = append(active, f)
		}
	}
	data := map[string]any{"Feds": active, "In": in, "Q": q, "Fields": fields, "Error": msg, "Self": selfService(p), "ConsentWays": ConsentWays}
	if fields == nil {
		data["Fields"] = map[string]string{}
	}
	if selfService(p) {
		if subs, err := s.subjects.Lookup(r.Context(), []int64{p.SubjectID}); err == nil && subs[p.SubjectID] != nil {
			data["Own"] = subs[p.SubjectID]
		}
	} else if q = strings.TrimSpace(q); q != "" {
		var found []*registry.Subject
		if n, err := strconv.ParseInt(q, 10, 64); err == nil && n > 1e9 {
			found, _, err = s.subjects.List(r.Context(), p, registry.Filter{IDs: []int64{n}, PerPage: 20})
			if err != nil {
				return err
			}
		} else {
			found, _, err = s.subjects.List(r.Context(), p, registry.Filter{Q: q, PerPage: 20, Sort: "name"})
			if err != nil && apperr.CodeOf(err) != apperr.Invalid {
				return err
			}
		}
		data["Found"] = found
	}
	return web.Render(w, r, status, "federation/apply.html", data)
}

func (s *Service) applyPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	in := ApplyInput{FederationID: mustInt(r.PostForm.Get("federation_id")), SubjectID: mustInt(r.PostForm.Get("subject_id")), Note: r.PostForm.Get("note"), Consent: r.PostForm.Get("consent")}
	m, err := s.Apply(r.Context(), web.Principal(r), in)
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderApply(w, r, web.Status(c), in, r.PostForm.Get("q"), apperr.FieldsOf(err), apperr.MessageOf(err))
		}
		return err
	}
	web.Flash(w, fmt.Sprintf("已提交 %s 加入%s的申请，等待审核", m.SubjectName, m.FederationName))
	web.Redirect(w, r, fmt.Sprintf("/memberships/%d", m.ID))
	return nil
}
