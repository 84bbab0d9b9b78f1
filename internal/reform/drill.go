package reform

import (
	"context"
	"net/http"
	"strconv"

	"nongfu/internal/apperr"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

// SubjectRow is one record behind a number (a subject, a federation, a center, an outlet …).
type SubjectRow struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	RegionName string `json:"region_name"`
	Detail     string `json:"detail"`
	Link       string `json:"link" doc:"记录详情页（按原模块权限）"`
}

// SubjectLister lists the records a source counts under a region, read with the caller's own principal (so the
// caller sees exactly what the owning room lets them see, masked as it masks). ok is false when the source has no
// list (sums of amounts, reported values).
type SubjectLister interface {
	ListSubjects(ctx context.Context, p *auth.Principal, source string, filter map[string]string, regionCode string, page, perPage int) (rows []SubjectRow, total int, ok bool, err error)
}

// Drill is the list behind one KPI's number in one region.
type Drill struct {
	KPI        KPI          `json:"kpi"`
	Region     string       `json:"region"`
	RegionName string       `json:"region_name"`
	Value      string       `json:"value"`
	Listed     bool         `json:"listed" doc:"数据源可列出明细"`
	Items      []SubjectRow `json:"items"`
	Total      int          `json:"total"`
	Page       int          `json:"page"`
	PerPage    int          `json:"per_page"`
}

// DrillDown lists the records behind a KPI's value in a region.
func (s *Service) DrillDown(ctx context.Context, p *auth.Principal, kpiKey, regionCode string, page int) (Drill, error) {
	b, err := s.KPIs(ctx, p, regionCode)
	if err != nil {
		return Drill{}, err
	}
	var k *KPI
	for i := range b.Items {
		if b.Items[i].Key == kpiKey {
			k = &b.Items[i]
		}
	}
	if k == nil {
		return Drill{}, errNoKPI
	}
	d := Drill{KPI: *k, Region: b.Region, RegionName: b.RegionName, Value: k.ActualText, Page: max(page, 1), PerPage: 50}
	if s.Subjects == nil || k.Source != SourceComputed {
		return d, nil
	}
	x, err := s.Indicators.GetIndicator(ctx, k.Indicator)
	if err != nil {
		return d, err
	}
	x = s.Indicators.Effective(x)
	rows, total, ok, err := s.Subjects.ListSubjects(ctx, p, x.Source, x.Filter, b.Region, d.Page, d.PerPage)
	if err != nil {
		return d, err
	}
	d.Listed, d.Items, d.Total = ok, rows, total
	return d, nil
}

func (s *Service) drillAPI(w http.ResponseWriter, r *http.Request) error {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	d, err := s.DrillDown(r.Context(), web.Principal(r), r.URL.Query().Get("kpi"), r.URL.Query().Get("region"), page)
	if err != nil {
		return err
	}
	if d.Items == nil {
		d.Items = []SubjectRow{}
	}
	web.WriteJSON(w, http.StatusOK, d)
	return nil
}

func (s *Service) drillPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	if err := indicator.CanRead(p); err != nil {
		return err
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	d, err := s.DrillDown(r.Context(), p, r.URL.Query().Get("kpi"), r.URL.Query().Get("region"), page)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Invalid {
			return apperr.New(apperr.NotFound, apperr.MessageOf(err))
		}
		return err
	}
	pages := (d.Total + d.PerPage - 1) / d.PerPage
	return web.Render(w, r, http.StatusOK, "reform/drill.html", map[string]any{"D": d, "Pages": pages, "Crumbs": s.crumbs(p, d.Region)})
}

// crumb is a step of the region path the caller may go back to.
type crumb struct{ Code, Name string }

func (s *Service) crumbs(p *auth.Principal, code string) []crumb {
	var out []crumb
	for _, a := range s.regions.Ancestors(code) {
		if len(p.Scopes) > 0 && !p.InRegion(a.Code) {
			continue
		}
		if a.Level == "province" || a.Level == "city" {
			continue
		}
		out = append(out, crumb{Code: a.Code, Name: a.Name})
	}
	return out
}
