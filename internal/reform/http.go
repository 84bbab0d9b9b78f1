package reform

import (
	"embed"
	"math"
	"net/http"
	"strconv"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

var pageRoles = []auth.Role{auth.CountyAdmin, auth.Taskforce, auth.Department, auth.Viewer, auth.Sysadmin}

// readTownship: township operators read their townships' numbers too.
var readTownship = []auth.Role{auth.TownshipOperator}

const readRolesDoc = "county_admin, township_operator, taskforce, department, viewer, sysadmin"

// Routes registers the plan's pages and API, and the indicator API.
func (s *Service) Routes(srv *web.Server) {
	srv.Pages.AddFS("reform", templatesFS, "templates/*.html")
	srv.AddMenu(web.MenuItem{Group: "改革督办", Label: "改革目标与进度", Path: "/plan", Order: 71, Roles: pageRoles})
	s.Indicators.Routes(srv)
	s.dashRoutes(srv)
	s.mapRoutes(srv)
	s.exchangeRoutes(srv)

	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/plan/kpis", Summary: "工作方案量化指标：实际值、2024/2027 目标与完成率", Tag: "plan",
		Query: []string{"region"}, Response: Board{}, Roles: "county_admin, township_operator, taskforce, department, viewer, sysadmin"},
		func(w http.ResponseWriter, r *http.Request) error {
			b, err := s.KPIs(r.Context(), web.Principal(r), r.URL.Query().Get("region"))
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, b)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/plan/kpis/breakdown", Summary: "平台计算的指标按下级区划（乡镇或村）分解", Tag: "plan",
		Query: []string{"region"}, Response: Table{}, Roles: "county_admin, township_operator, taskforce, department, viewer, sysadmin"},
		func(w http.ResponseWriter, r *http.Request) error {
			b, err := s.KPIs(r.Context(), web.Principal(r), r.URL.Query().Get("region"))
			if err != nil {
				return err
			}
			t, err := s.Breakdown(r.Context(), b)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, t)
			return nil
		})
	srv.Page("GET /plan", s.planPage)
}

// card is a KPI as the page shows it.
type card struct {
	KPI
	Years []yearTarget
}

type yearTarget struct {
	Year     string
	Target   string
	Alt      string
	Progress string
	Width    int
	Done     bool
}

func (s *Service) planPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	if !p.Is(append(pageRoles, auth.TownshipOperator)...) {
		return web.Render(w, r, http.StatusForbidden, "reform/plan.html", map[string]any{"Error": "您的角色不能查看改革督办指标"})
	}
	b, err := s.KPIs(r.Context(), p, r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	t, err := s.Breakdown(r.Context(), b)
	if err != nil {
		return err
	}
	var cards []card
	computed := 0
	for _, k := range b.Items {
		if k.Source == SourceComputed {
			computed++
		}
		c := card{KPI: k}
		for _, y := range []string{"2024", "2027"} {
			yt := yearTarget{Year: y, Target: "—", Progress: "—"}
			if v, ok := k.Targets[y]; ok {
				yt.Target = compact(v, k)
				pr := k.Progress[y]
				yt.Progress = strconv.FormatFloat(pr, 'f', 1, 64) + "%"
				yt.Width = int(math.Min(100, math.Max(0, math.Round(pr))))
				yt.Done = (k.Comparator == ">" && k.Actual > v) || (k.Comparator != ">" && k.Actual >= v)
			}
			if v, ok := k.AltTargets[y]; ok {
				yt.Alt = compact(v, k)
			}
			c.Years = append(c.Years, yt)
		}
		cards = append(cards, c)
	}
	var up string
	if reg, ok := s.regions.Get(b.Region); ok && reg.Level != "county" && len(p.Scopes) > 0 && p.InRegion(reg.ParentCode) {
		up = reg.ParentCode
	}
	return web.Render(w, r, http.StatusOK, "reform/plan.html", map[string]any{
		"Board": b, "Cards": cards, "Table": t, "Computed": computed, "Reported": len(b.Items) - computed, "Up": up,
	})
}

// compact shows a target in the KPI's format.
func compact(v float64, k KPI) string {
	return formatValue(v, k)
}
