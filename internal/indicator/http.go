package indicator

import (
	"net/http"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

// SourceInfo is a registered data source as the API shows it.
type SourceInfo struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// IndicatorView is an indicator with whether a registered source computes it.
type IndicatorView struct {
	Indicator
	Computed bool `json:"computed" doc:"数据源已注册（由平台实时计算）；否则为填报"`
}

var readRoles = []auth.Role{auth.CountyAdmin, auth.TownshipOperator, auth.Taskforce, auth.Department, auth.Viewer, auth.Sysadmin}

// CanRead reports whether p may read indicators, targets and the plan's KPIs.
func CanRead(p *auth.Principal) error {
	if !p.Is(readRoles...) {
		return apperr.New(apperr.Forbidden, "您的角色不能查看改革督办指标")
	}
	return nil
}

// Routes registers the indicator API and pages.
func (s *Service) Routes(srv *web.Server) {
	s.moreRoutes(srv)
	s.pageRoutes(srv)
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/indicators", Summary: "指标列表（含是否由平台计算）", Tag: "indicators",
		Response: web.List[IndicatorView]{}, Roles: "county_admin, township_operator, taskforce, department, viewer, sysadmin"},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := CanRead(web.Principal(r)); err != nil {
				return err
			}
			xs, err := s.ListIndicators(r.Context())
			if err != nil {
				return err
			}
			out := make([]IndicatorView, 0, len(xs))
			for _, x := range xs {
				out = append(out, IndicatorView{Indicator: x, Computed: s.Sources.Computable(s.Effective(x))})
			}
			web.WriteJSON(w, http.StatusOK, web.List[IndicatorView]{Items: out, Total: len(out), Page: 1, PerPage: len(out)})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/indicators", Summary: "新建指标（基于已注册的数据源）", Tag: "indicators",
		Request: Indicator{}, Response: Indicator{}, Status: 201, Roles: "county_admin, taskforce"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in Indicator
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			x, err := s.CreateIndicator(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, x)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/indicator-sources", Summary: "已注册的数据源", Tag: "indicators",
		Response: web.List[SourceInfo]{}, Roles: "county_admin, township_operator, taskforce, department, viewer, sysadmin"},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := CanRead(web.Principal(r)); err != nil {
				return err
			}
			var out []SourceInfo
			for _, x := range s.Sources.List() {
				out = append(out, SourceInfo{Key: x.Key(), Name: x.Name()})
			}
			web.WriteJSON(w, http.StatusOK, web.List[SourceInfo]{Items: out, Total: len(out), Page: 1, PerPage: len(out)})
			return nil
		})
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/indicator-targets", Summary: "设定指标目标值（指标×区划×年度）", Tag: "indicators",
		Request: Target{}, Response: Target{}, Roles: "county_admin, taskforce"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in Target
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			t, err := s.SetTarget(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, t)
			return nil
		})
}
