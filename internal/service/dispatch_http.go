package service

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"}

// Block is one job on a machine's timeline.
type Block struct {
	Job         Job
	Left, Width float64 // percent of the working day
	Color       string
}

// TimelineRow is one machine-day of the plan.
type TimelineRow struct {
	Machine *Machine
	Day     string
	Blocks  []Block
	Color   string
	Hours   float64
}

func (s *Service) dispatchRegion(r *http.Request, p *auth.Principal) string {
	if v := r.URL.Query().Get("region"); v != "" {
		return v
	}
	if len(p.Scopes) > 0 {
		return p.Scopes[0]
	}
	if p.Is(auth.Provider) {
		if subs, err := s.subjects.Lookup(r.Context(), []int64{p.SubjectID}); err == nil {
			if x, ok := subs[p.SubjectID]; ok {
				return region.County(x.RegionCode)
			}
		}
	}
	return ""
}

func (s *Service) dispatchPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	if !isReader(p) && !p.Is(auth.Provider) {
		return apperr.New(apperr.Forbidden, "您的角色不能查看农机调度")
	}
	q := r.URL.Query()
	reg := s.dispatchRegion(r, p)
	from := q.Get("from")
	if _, err := time.Parse(time.DateOnly, from); err != nil {
		from = s.today()
	}
	days, _ := strconv.Atoi(q.Get("days"))
	if days < 1 || days > 31 {
		days = 7
	}
	to := dayAt(from, days-1)
	jobs, err := s.ListJobs(r.Context(), p, JobFilter{Region: reg, From: from, To: to, Limit: 3000})
	if err != nil {
		return err
	}
	jobs = expandParts(jobs) // one block per day part of a split job
	// machines: those of the providers with jobs here, plus (for providers) their own
	var provs []int64
	for _, j := range jobs {
		if j.ProviderID != 0 && !slices.Contains(provs, j.ProviderID) {
			provs = append(provs, j.ProviderID)
		}
	}
	if p.Is(auth.Provider) {
		own, err := s.providerIDsOf(r.Context(), s.db, p)
		if err != nil {
			return err
		}
		for _, id := range own {
			if !slices.Contains(provs, id) {
				provs = append(provs, id)
			}
		}
	}
	machines, err := s.machinesOf(r.Context(), s.db, provs)
	if err != nil {
		return err
	}
	color := map[int64]string{}
	byMachine := map[int64]*Machine{}
	for i, m := range machines {
		color[m.ID] = palette[i%len(palette)]
		byMachine[m.ID] = m
	}
	rows := map[string]*TimelineRow{}
	var order []string
	var pending, planned []Job
	for _, j := range jobs {
		if j.MachineID == 0 || j.PlanDay == "" {
			if j.Status == JobPending {
				pending = append(pending, j)
			}
			continue
		}
		if j.PlanDay < from || j.PlanDay > to {
			continue
		}
		planned = append(planned, j)
		key := fmt.Sprintf("%d|%s", j.MachineID, j.PlanDay)
		row := rows[key]
		if row == nil {
			row = &TimelineRow{Machine: byMachine[j.MachineID], Day: j.PlanDay, Color: color[j.MachineID]}
			if row.Machine == nil {
				row.Machine = &Machine{ID: j.MachineID, Name: j.MachineName}
			}
			rows[key] = row
			order = append(order, key)
		}
		span := float64(dayEnd - dayStart)
		row.Blocks = append(row.Blocks, Block{Job: j, Left: float64(j.PlanStart-dayStart) / span * 100, Width: math.Max(float64(j.PlanEnd-j.PlanStart)/span*100, 1.5),
			Color: color[j.MachineID]})
		row.Hours += float64(j.PlanEnd-j.PlanStart) / 60
	}
	slices.SortFunc(order, func(a, b string) int {
		ra, rb := rows[a], rows[b]
		if c := strings.Compare(ra.Machine.Name, rb.Machine.Name); c != 0 {
			return c
		}
		return strings.Compare(ra.Day, rb.Day)
	})
	timeline := make([]*TimelineRow, 0, len(order))
	for _, k := range order {
		timeline = append(timeline, rows[k])
	}
	run, err := s.LastRun(r.Context(), reg)
	if err != nil {
		return err
	}
	var regions []option
	if p.Is(auth.Provider) {
		if reg != "" {
			regions = append(regions, option{reg, s.regions.Name(reg)})
		}
	} else {
		for _, pre := range p.Scopes {
			if rg, ok := s.regions.Get(pre); ok {
				regions = append(regions, option{rg.Code, rg.FullName})
			}
		}
		regions = append(regions, s.townshipOptions(p)...)
	}
	// the legend names the machines at work in this view (and broken ones); the pending list shows the first 60
	var legend []*Machine
	inUse := map[int64]bool{}
	for _, j := range planned {
		inUse[j.MachineID] = true
	}
	for _, m := range machines {
		if inUse[m.ID] || m.Status == MachineBroken {
			legend = append(legend, m)
		}
	}
	more := 0
	if len(pending) > 60 {
		more = len(pending) - 60
	}
	roads, err := s.roadsOf(r.Context(), s.db, region.County(reg))
	if err != nil {
		return err
	}
	data := map[string]any{"RoadRows": len(roads), "Legend": legend, "PendingShown": pending[:len(pending)-more], "PendingMore": more, "Region": reg, "RegionName": s.regions.Name(reg), "From": from, "Days": days, "Timeline": timeline, "Pending": pending,
		"Planned": len(planned), "Machines": machines, "Colors": color, "Run": run, "Regions": regions, "CanPlan": isStaff(p) || p.Is(auth.Provider),
		"Map": planMap(machines, planned, pending, color), "Hours": hourMarks()}
	return web.Render(w, r, http.StatusOK, "service/dispatch.html", data)
}

// planMap draws the plan as inline SVG: machine bases (squares), planned plots (dots in the machine's colour, joined
// in work order per machine-day, from and back to the base) and pending plots (hollow grey). No online tiles.
func planMap(machines []*Machine, planned, pending []Job, color map[int64]string) template.HTML {
	const W, H, pad = 600.0, 420.0, 16.0
	located := func(js []Job) []Job {
		var out []Job
		for _, j := range js {
			if j.Lng != 0 || j.Lat != 0 {
				out = append(out, j)
			}
		}
		return out
	}
	planned, pending = located(planned), located(pending)
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	grow := func(x, y float64) {
		if x == 0 && y == 0 {
			return
		}
		minX, maxX, minY, maxY = math.Min(minX, x), math.Max(maxX, x), math.Min(minY, y), math.Max(maxY, y)
	}
	used := map[int64]bool{}
	for _, j := range append(append([]Job{}, planned...), pending...) {
		grow(j.Lng, j.Lat)
		used[j.MachineID] = true
	}
	for _, m := range machines {
		grow(m.BaseLng, m.BaseLat)
	}
	if math.IsInf(minX, 1) {
		return template.HTML(`<p class="muted">没有可显示的地块</p>`)
	}
	// equal scale on both axes at this latitude, so distances look right
	kx := math.Cos((minY + maxY) / 2 * math.Pi / 180)
	spanX, spanY := math.Max((maxX-minX)*kx, 1e-4), math.Max(maxY-minY, 1e-4)
	scale := math.Min((W-2*pad)/spanX, (H-2*pad)/spanY)
	xy := func(lng, lat float64) (float64, float64) {
		return pad + (lng-minX)*kx*scale, H - pad - (lat-minY)*scale
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="plan-map" viewBox="0 0 %.0f %.0f" role="img" aria-label="调度地图：农机机库与作业地块"><rect width="100%%" height="100%%" fill="#f6f8f4"/>`, W, H)
	// routes
	type md struct {
		m   int64
		day string
	}
	routes := map[md][]Job{}
	for _, j := range planned {
		routes[md{j.MachineID, j.PlanDay}] = append(routes[md{j.MachineID, j.PlanDay}], j)
	}
	base := map[int64]*Machine{}
	for _, m := range machines {
		base[m.ID] = m
	}
	keys := make([]md, 0, len(routes))
	for k := range routes {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b md) int {
		if a.m != b.m {
			return int(a.m - b.m)
		}
		return strings.Compare(a.day, b.day)
	})
	for _, k := range keys {
		js := routes[k]
		slices.SortFunc(js, func(a, b Job) int { return a.PlanStart - b.PlanStart })
		var pts []string
		if m := base[k.m]; m != nil {
			x, y := xy(m.BaseLng, m.BaseLat)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		for _, j := range js {
			x, y := xy(j.Lng, j.Lat)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		if len(pts) > 1 && base[k.m] != nil {
			pts = append(pts, pts[0])
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5" stroke-opacity="0.6"/>`, strings.Join(pts, " "), color[k.m])
	}
	for _, j := range pending {
		x, y := xy(j.Lng, j.Lat)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="5" fill="#fff" stroke="#888" stroke-width="1.5"><title>待派：%s %s %.1f 亩</title></circle>`, x, y,
			template.HTMLEscapeString(j.PlotName), template.HTMLEscapeString(j.ServiceName), j.AreaMu)
	}
	for _, j := range planned {
		x, y := xy(j.Lng, j.Lat)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="5" fill="%s"><title>%s %s %.1f 亩 · %s %s %s</title></circle>`, x, y, color[j.MachineID],
			template.HTMLEscapeString(j.PlotName), template.HTMLEscapeString(j.ServiceName), j.AreaMu, template.HTMLEscapeString(j.MachineName), j.PlanDay, hhmm(j.PlanStart))
	}
	for _, m := range machines {
		x, y := xy(m.BaseLng, m.BaseLat)
		stroke := "#222"
		if m.Status == MachineBroken {
			stroke = "#d00"
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s" stroke="%s" stroke-width="2"><title>机库：%s（%s）</title></rect>`, x-5, y-5,
			color[m.ID], stroke, template.HTMLEscapeString(m.Name), m.StatusLabel)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func (s *Service) dispatchPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	days, _ := strconv.Atoi(f.Get("days"))
	in := DispatchInput{Region: f.Get("region"), From: f.Get("from"), Days: days}
	run, err := s.Dispatch(r.Context(), web.Principal(r), in)
	back := fmt.Sprintf("/service/dispatch?region=%s&from=%s&days=%s", in.Region, f.Get("from"), f.Get("days"))
	if err != nil {
		if isForm(err) {
			web.Flash(w, "调度失败："+apperr.MessageOf(err)+fieldText(err))
			web.Redirect(w, r, back)
			return nil
		}
		return err
	}
	web.Flash(w, fmt.Sprintf("调度完成：排入 %d 项，未排 %d 项，空驶 %.1f 公里，用时 %d 毫秒", run.Placed, run.Unplaced, run.TravelKm, run.ElapsedMs))
	web.Redirect(w, r, back)
	return nil
}

type hourMark struct {
	H    int
	Left float64
}

func hourMarks() []hourMark {
	var out []hourMark
	for h := 8; h <= 18; h += 2 {
		out = append(out, hourMark{h, float64(h*60-dayStart) / float64(dayEnd-dayStart) * 100})
	}
	return out
}
