package reform

import (
	"html/template"
	"math"
	"net/http"
	"net/url"

	"nongfu/internal/indicator"
	"nongfu/internal/platform/web"
)

// dashRoutes registers the 驾驶舱 and its drill-down.
func (s *Service) dashRoutes(srv *web.Server) {
	srv.AddMenu(web.MenuItem{Group: "改革督办", Label: "驾驶舱", Path: "/dashboard", Order: 70, Roles: append(pageRoles, readTownship...)})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/dashboard", Summary: "驾驶舱：指标卡（实际值、目标、完成率、月度趋势）、下级区划表和着色地图", Tag: "plan",
		Query: []string{"region", "kpi"}, Response: Dashboard{}, Roles: readRolesDoc},
		func(w http.ResponseWriter, r *http.Request) error {
			d, err := s.Dashboard(r.Context(), web.Principal(r), r.URL.Query().Get("region"), r.URL.Query().Get("kpi"))
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, d)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/dashboard/drill", Summary: "数字背后的明细（按原模块权限）", Tag: "plan",
		Query: []string{"kpi", "region", "page"}, Response: Drill{}, Roles: readRolesDoc}, s.drillAPI)
	srv.Page("GET /dashboard", s.dashboardPage)
	srv.Page("GET /dashboard/drill", s.drillPage)
}

// dashCard is a KPI card of the page.
type dashCard struct {
	KPI
	Years  []yearTarget
	Spark  template.HTML
	Change string
	Index  int
}

func (s *Service) dashboardPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	if err := indicator.CanRead(p); err != nil {
		return err
	}
	q := r.URL.Query()
	d, err := s.Dashboard(r.Context(), p, q.Get("region"), q.Get("kpi"))
	if err != nil {
		return err
	}
	var cards []dashCard
	for i, k := range d.Items {
		c := dashCard{KPI: k, Spark: sparkline(d.Trend[i]), Index: i}
		for _, y := range []string{"2024", "2027"} {
			yt := yearTarget{Year: y, Target: "—", Progress: "—"}
			if v, ok := k.Targets[y]; ok {
				yt.Target = compact(v, k)
				pr := k.Progress[y]
				yt.Progress = pct(pr)
				yt.Width = int(math.Min(100, math.Max(0, math.Round(pr))))
				yt.Done = (k.Comparator == ">" && k.Actual > v) || (k.Comparator != ">" && k.Actual >= v)
			}
			c.Years = append(c.Years, yt)
		}
		if n := len(d.Trend[i]); n >= 2 {
			delta := d.Trend[i][n-1] - d.Trend[i][0]
			switch {
			case delta > 0:
				c.Change = "近12个月 ↑ " + indicator.FormatValue(delta, k.Format, k.Unit)
			case delta < 0:
				c.Change = "近12个月 ↓ " + indicator.FormatValue(-delta, k.Format, k.Unit)
			default:
				c.Change = "近12个月持平"
			}
		}
		cards = append(cards, c)
	}
	sel := d.SelectedIndex()
	var chart template.HTML
	if len(d.Items) > 0 {
		chart = monthChart(d.Items[sel], d.Months, d.Trend[sel])
	}
	selKey := d.Selected
	link := func(c MapCell) string {
		return "/dashboard?" + url.Values{"region": {c.Code}, "kpi": {selKey}}.Encode()
	}
	if d.Level == "township" {
		// villages have no children: the map and the table go to the list behind the number
		link = func(c MapCell) string {
			return "/dashboard/drill?" + url.Values{"region": {c.Code}, "kpi": {selKey}}.Encode()
		}
	}
	var legend []legendItem
	for i, c := range mapColours {
		legend = append(legend, legendItem{Colour: c, Label: []string{"无", "较低", "中下", "中上", "较高"}[i]})
	}
	return web.Render(w, r, http.StatusOK, "reform/dashboard.html", map[string]any{
		"D": d, "Cards": cards, "Chart": chart, "Map": mapSVG(d.Map, link), "Sel": d.Items[sel], "SelIndex": sel, "Legend": legend,
		"ChildLevel": childLevel(d.Level), "Crumbs": s.crumbs(p, d.Region), "ToDrill": d.Level == "township",
	})
}

type legendItem struct{ Colour, Label string }

func childLevel(l string) string {
	switch l {
	case "county":
		return "乡镇（街道）"
	case "township":
		return "村（社区）"
	}
	return "下级区划"
}
