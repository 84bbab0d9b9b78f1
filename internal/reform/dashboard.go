package reform

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
)

// The 驾驶舱 (decision dashboard): the plan's KPIs for a region with targets and progress, a monthly trend of each,
// the child regions (townships of a county, villages of a township) as a table and a map coloured by any KPI, and
// the drill-down to the subjects behind a number.

// TrendMonths is how many month-ends the trend shows.
const TrendMonths = 12

// Dashboard is everything the 驾驶舱 shows for one region.
type Dashboard struct {
	Board
	Level    string       `json:"level" doc:"county / township / village"`
	Parent   string       `json:"parent,omitempty" doc:"上级区划（可返回时）"`
	Selected string       `json:"selected" doc:"地图着色和月度图所选指标"`
	Months   []string     `json:"months" doc:"月份 YYYY-MM（各月末累计值）"`
	Trend    [][]float64  `json:"trend" doc:"trend[指标][月]，与 items 顺序一致"`
	Children []ChildRow   `json:"children" doc:"下级区划×指标"`
	Map      []MapCell    `json:"map" doc:"下级区划的示意轮廓（由驻地坐标生成的泰森多边形）"`
	Took     float64      `json:"took_ms"`
	Status   []TaskStatus `json:"task_status,omitempty" doc:"工作任务状态（督办模块接入后显示）"`
}

// ChildRow is one child region with every KPI's value.
type ChildRow struct {
	Code   string    `json:"code"`
	Name   string    `json:"name"`
	Values []float64 `json:"values"`
	Texts  []string  `json:"texts"`
}

// MapCell is a child region's outline in SVG coordinates (0–W × 0–H) with the selected KPI's value.
type MapCell struct {
	Code   string     `json:"code"`
	Name   string     `json:"name"`
	Points [][2]int   `json:"points"`
	Seat   [2]int     `json:"seat"`
	Value  float64    `json:"value"`
	Text   string     `json:"text"`
	Class  int        `json:"class" doc:"着色分级 0–4"`
	Box    [2]float64 `json:"-"`
}

// TaskStatus is a count of the plan's work items by status, from the supervision room.
type TaskStatus struct {
	Status string `json:"status"`
	Label  string `json:"label"`
	Count  int    `json:"count"`
}

// TaskStatusSource tells the plan's work items by status for a region (the supervision room, wired by the app;
// the reform room does not import it).
type TaskStatusSource interface {
	TaskStatusCounts(ctx context.Context, p *auth.Principal, regionCode string) ([]TaskStatus, error)
}

// monthEnds are the starts of the months following each of the last n months (the To of "as of month end").
func monthEnds(now time.Time, n int) ([]string, []indicator.Period) {
	now = now.In(web.Shanghai)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, web.Shanghai)
	labels := make([]string, n)
	ps := make([]indicator.Period, n)
	for i := 0; i < n; i++ {
		m := first.AddDate(0, i-n+1, 0)
		labels[i] = m.Format("2006-01")
		ps[i] = indicator.Period{To: m.AddDate(0, 1, 0)}
	}
	return labels, ps
}

// Dashboard computes the 驾驶舱 for a region the caller may see.
func (s *Service) Dashboard(ctx context.Context, p *auth.Principal, regionCode, selected string) (Dashboard, error) {
	start := time.Now()
	b, err := s.KPIs(ctx, p, regionCode)
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{Board: b}
	reg, _ := s.regions.Get(b.Region)
	d.Level = reg.Level
	if reg.Level != region.LevelCounty && reg.Level != "province" && reg.Level != "city" && (len(p.Scopes) == 0 || p.InRegion(reg.ParentCode)) {
		d.Parent = reg.ParentCode
	}
	keys := make([]string, len(b.Items))
	for i, k := range b.Items {
		keys[i] = k.Indicator
		if k.Key == selected {
			d.Selected = k.Key
		}
	}
	if d.Selected == "" && len(b.Items) > 0 {
		d.Selected = b.Items[0].Key
	}
	// trend: the value as of each month's end
	var periods []indicator.Period
	d.Months, periods = monthEnds(s.now(), TrendMonths)
	d.Trend = make([][]float64, len(keys))
	for i := range d.Trend {
		d.Trend[i] = make([]float64, len(periods))
	}
	// the months are independent evaluations: run a few at once (the sources wait on the database)
	errs := make([]error, len(periods))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for m, per := range periods {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cells, err := s.Indicators.EvaluateMany(ctx, keys, []string{b.Region}, per)
			if err != nil {
				errs[m] = err
				return
			}
			for i := range keys {
				d.Trend[i][m] = cells[i][0].Value
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return d, err
	}
	// children × KPIs
	children := s.regions.Children(b.Region)
	codes := make([]string, 0, len(children))
	for _, c := range children {
		codes = append(codes, c.Code)
	}
	if len(codes) > 0 {
		cells, err := s.Indicators.EvaluateMany(ctx, keys, codes, indicator.Period{})
		if err != nil {
			return d, err
		}
		for j, c := range children {
			row := ChildRow{Code: c.Code, Name: c.Name, Values: make([]float64, len(keys)), Texts: make([]string, len(keys))}
			for i, k := range b.Items {
				cell := cells[i][j]
				if cell.Err != nil {
					row.Texts[i] = "—"
					continue
				}
				row.Values[i] = cell.Value
				row.Texts[i] = indicator.FormatValue(cell.Value, k.Format, k.Unit)
			}
			d.Children = append(d.Children, row)
		}
		d.Map = s.mapCells(children, d)
	}
	if s.Tasks != nil {
		st, err := s.Tasks.TaskStatusCounts(ctx, p, b.Region)
		if err != nil {
			return d, fmt.Errorf("task status: %w", err)
		}
		d.Status = st
	}
	d.Took = float64(time.Since(start).Microseconds()) / 1000
	return d, nil
}

// SelectedIndex is the selected KPI's position in Items.
func (d Dashboard) SelectedIndex() int {
	for i, k := range d.Items {
		if k.Key == d.Selected {
			return i
		}
	}
	return 0
}

// mapW is the map's SVG width.
const mapW = 640

// outline is the schematic outline of a region's children: their cells and the SVG frame.
type outline struct {
	children []*region.Region
	seats    []pt
	cells    [][]pt
	f        frame
	lat0     float64
}

func (s *Service) outline(parent string) (outline, bool) {
	o := outline{children: s.regions.Children(parent)}
	if len(o.children) == 0 {
		return o, false
	}
	for _, c := range o.children {
		o.lat0 += c.Lat / float64(len(o.children))
	}
	var all []pt
	for _, c := range o.children {
		o.seats = append(o.seats, project(c.Lng, c.Lat, o.lat0))
		// the hull spans the children's own children too (the villages of a township reach beyond its seat)
		all = append(all, project(c.Lng, c.Lat, o.lat0))
		for _, g := range s.regions.Children(c.Code) {
			if g.Lng != 0 || g.Lat != 0 {
				all = append(all, project(g.Lng, g.Lat, o.lat0))
			}
		}
	}
	h := hull(all)
	if len(h) < 3 {
		return o, false
	}
	var span float64
	for _, p := range h {
		span = math.Max(span, math.Hypot(p.X-h[0].X, p.Y-h[0].Y))
	}
	bound := grow(h, span*0.04)
	o.cells = voronoi(o.seats, bound)
	o.f = newFrame(bound, mapW, 8)
	return o, true
}

// mapCells makes the children's outlines coloured by the selected KPI (classes 1–4 by quartile of the non-zero
// values; class 0 is zero).
func (s *Service) mapCells(children []*region.Region, d Dashboard) []MapCell {
	sel := d.SelectedIndex()
	o, ok := s.outline(d.Region)
	if !ok {
		return nil
	}
	var nz []float64
	for _, r := range d.Children {
		if r.Values[sel] > 0 {
			nz = append(nz, r.Values[sel])
		}
	}
	sort.Float64s(nz)
	class := func(v float64) int {
		if v <= 0 || len(nz) == 0 {
			return 0
		}
		i := sort.SearchFloat64s(nz, v)
		return 1 + min(3, i*4/len(nz))
	}
	out := o.mapCells()
	for j := range out {
		if j < len(d.Children) {
			out[j].Value, out[j].Text = d.Children[j].Values[sel], d.Children[j].Texts[sel]
		}
		out[j].Class = class(out[j].Value)
	}
	return out
}

func (o outline) mapCells() []MapCell {
	out := make([]MapCell, 0, len(o.children))
	for j, c := range o.children {
		mc := MapCell{Code: c.Code, Name: c.Name, Box: [2]float64{o.f.W, o.f.H}}
		for _, p := range o.cells[j] {
			q := o.f.at(p)
			mc.Points = append(mc.Points, [2]int{int(math.Round(q.X)), int(math.Round(q.Y))})
		}
		sp := o.f.at(o.seats[j])
		mc.Seat = [2]int{int(math.Round(sp.X)), int(math.Round(sp.Y))}
		out = append(out, mc)
	}
	return out
}

// xy places a coordinate on the outline's SVG.
func (o outline) xy(lng, lat float64) (int, int) {
	q := o.f.at(project(lng, lat, o.lat0))
	return int(math.Round(q.X)), int(math.Round(q.Y))
}

// pct formats a progress percentage.
func pct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }

var errNoKPI = apperr.New(apperr.NotFound, "指标不存在")
