package indicator

import (
	"net/http"
	"net/url"
	"strconv"

	"nongfu/internal/platform/web"
)

const staffRoles = "county_admin, township_operator, taskforce, department, viewer, sysadmin"

// moreRoutes registers editing, targets and reported values.
func (s *Service) moreRoutes(srv *web.Server) {
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/indicators/{key}", Summary: "修改指标定义（汇总方式、数据源、筛选、单位、格式）", Tag: "indicators",
		Request: Indicator{}, Response: Indicator{}, Roles: "county_admin, taskforce"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in Indicator
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			x, err := s.UpdateIndicator(r.Context(), web.Principal(r), r.PathValue("key"), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, x)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/indicators/{key}/targets", Summary: "指标的目标值（区划×年度）", Tag: "indicators",
		Response: web.List[TargetRow]{}, Roles: staffRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			p := web.Principal(r)
			if _, err := s.GetIndicator(r.Context(), r.PathValue("key")); err != nil {
				return err
			}
			ts, err := s.ListTargets(r.Context(), p, r.PathValue("key"))
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.List[TargetRow]{Items: orNone(ts), Total: len(ts), Page: 1, PerPage: len(ts)})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/indicator-reports", Summary: "指标填报值（责任单位填报、工作专班审核）", Tag: "indicators",
		Query: []string{"indicator", "status", "page", "per_page"}, Response: web.List[Report]{}, Roles: staffRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			f := reportFilter(r.URL.Query())
			items, total, err := s.ListReports(r.Context(), web.Principal(r), f)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.List[Report]{Items: orNone(items), Total: total, Page: max(f.Page, 1), PerPage: f.PerPage})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/indicator-reports", Summary: "填报指标数据（附佐证材料，待工作专班审核）", Tag: "indicators",
		Request: ReportInput{}, Response: Report{}, Status: 201, Roles: "department, township_operator, taskforce, county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in ReportInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			rep, err := s.SubmitReport(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, rep)
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/indicator-reports/{id}/review", Summary: "审核填报（通过或退回）", Tag: "indicators",
		Request: ReportReview{}, Response: Report{}, Roles: "taskforce, county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in ReportReview
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			rep, err := s.ReviewReport(r.Context(), web.Principal(r), id, in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, rep)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/indicator-reports/{id}/evidence", Summary: "下载填报的佐证材料", Tag: "indicators", Roles: staffRoles},
		s.evidenceDownload)
	srv.Page("GET /indicators/reports/{id}/evidence", s.evidenceDownload)
}

func (s *Service) evidenceDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	name, ct, data, err := s.Evidence(r.Context(), web.Principal(r), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(data)
	return err
}

func reportFilter(q url.Values) ReportFilter {
	f := ReportFilter{Indicator: q.Get("indicator"), Status: q.Get("status")}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	f.PerPage, _ = strconv.Atoi(q.Get("per_page"))
	if f.PerPage <= 0 || f.PerPage > 500 {
		f.PerPage = 50
	}
	return f
}

func orNone[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
