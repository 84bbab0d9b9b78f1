package dispatch

import (
	"math"
	"sort"
)

// candMachines is how many compatible machines (nearest base first) a task considers; the rest are tried only when
// none of these has room. neighbours is the length of each task's spatial neighbour list (used by the ruin step).
const (
	candMachines = 40
	neighbours   = 30
)

const earthRadiusKm = 6371.0088

// task is a job or one day part of a split job: the unit the search places.
type task struct {
	job         int32
	part, parts int
	area        float64
	typ         int32
	pt          int32 // point index
	earliest    int   // first allowed day (inside the horizon)
	latest      int   // last day without lateness
	locked      bool
	lockRoute   int32
	lockStart   float64
	lockEnd     float64
	cand        []int32 // compatible machines, nearest base first (at most candMachines)
	allCand     bool    // cand holds every compatible machine
	neigh       []int32 // nearest other tasks
}

// model is the instance in the solver's terms: points, machines, tasks and machine-days (routes).
type model struct {
	inst      *Instance
	days      int
	dayStart  float64
	dayEnd    float64
	dayLen    float64
	minPerKm  float64
	latePen   float64
	matrix    [][]float64
	factor    float64
	lat, lon  []float64 // radians
	cosLat    []float64
	mIdx      []int // matrix index of each point
	nm        int
	mBase     []int32
	mRate     []float64 // mu per minute
	mCap      []float64 // field-work minutes per day
	avail     []bool    // by route id m*days+d
	typeMach  [][]int32 // compatible machines by type id
	typeIDs   map[string]int32
	tasks     []task
	jobParts  [][]int32 // tasks of each job
	noMachine []bool    // by job: no compatible machine at all
}

func (md *model) route(m, d int) int { return m*md.days + d }

// dist is the road distance in km between two points.
func (md *model) dist(a, b int32) float64 {
	if md.matrix != nil {
		return md.matrix[md.mIdx[a]][md.mIdx[b]]
	}
	if a == b {
		return 0
	}
	dl := md.lat[b] - md.lat[a]
	dn := md.lon[b] - md.lon[a]
	s1 := math.Sin(dl / 2)
	s2 := math.Sin(dn / 2)
	h := s1*s1 + md.cosLat[a]*md.cosLat[b]*s2*s2
	if h > 1 {
		h = 1
	}
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(h)) * md.factor
}

// dur is the field-work minutes of task t on machine m.
func (md *model) dur(t *task, m int32) float64 {
	if t.locked {
		return t.lockEnd - t.lockStart
	}
	return t.area / md.mRate[m]
}

// lateCost is the lateness penalty of task t done on day d.
func (md *model) lateCost(t *task, d int) float64 {
	if d > t.latest {
		return md.latePen * float64(d-t.latest)
	}
	return 0
}

// newModel builds the solver's view of a validated instance.
func newModel(inst *Instance) *model {
	md := &model{
		inst:     inst,
		days:     inst.Days,
		dayStart: float64(inst.DayStart),
		dayEnd:   float64(inst.DayEnd),
		dayLen:   float64(inst.DayEnd - inst.DayStart),
		minPerKm: 60 / inst.SpeedKmh,
		latePen:  inst.LatenessPenaltyKm,
		factor:   inst.RoadFactor,
		nm:       len(inst.Machines),
		typeIDs:  map[string]int32{},
	}
	if len(inst.Matrix) > 0 {
		md.matrix = inst.Matrix
	}
	addPoint := func(l Location) int32 {
		md.lat = append(md.lat, l.Lat*math.Pi/180)
		md.lon = append(md.lon, l.Lon*math.Pi/180)
		md.cosLat = append(md.cosLat, math.Cos(l.Lat*math.Pi/180))
		md.mIdx = append(md.mIdx, l.Index)
		return int32(len(md.lat) - 1)
	}
	typeID := func(s string) int32 {
		if id, ok := md.typeIDs[s]; ok {
			return id
		}
		id := int32(len(md.typeIDs))
		md.typeIDs[s] = id
		md.typeMach = append(md.typeMach, nil)
		return id
	}
	md.avail = make([]bool, md.nm*md.days)
	for i, m := range inst.Machines {
		md.mBase = append(md.mBase, addPoint(m.Base))
		md.mRate = append(md.mRate, m.RateMuPerHour/60)
		c := md.dayLen
		if m.HoursPerDay > 0 {
			c = math.Min(c, m.HoursPerDay*60)
		}
		md.mCap = append(md.mCap, c)
		for d := 0; d < md.days; d++ {
			md.avail[md.route(i, d)] = true
		}
		for _, d := range m.Unavailable {
			md.avail[md.route(i, d)] = false
		}
		seen := map[int32]bool{}
		for _, t := range m.Types {
			id := typeID(t)
			if !seen[id] {
				seen[id] = true
				md.typeMach[id] = append(md.typeMach[id], int32(i))
			}
		}
	}
	machineAt := make(map[string]int, md.nm)
	for i, m := range inst.Machines {
		machineAt[m.ID] = i
	}
	md.jobParts = make([][]int32, len(inst.Jobs))
	md.noMachine = make([]bool, len(inst.Jobs))
	for j := range inst.Jobs {
		job := &inst.Jobs[j]
		pt := addPoint(job.Loc)
		typ := typeID(job.Type)
		base := task{job: int32(j), area: job.AreaMu, typ: typ, pt: pt, earliest: job.EarliestDay, latest: job.LatestDay}
		if l := job.Lock; l != nil {
			base.locked = true
			base.lockRoute = int32(md.route(machineAt[l.Machine], l.Day))
			base.lockStart, base.lockEnd = float64(l.Start), float64(l.End)
			md.addTask(j, base)
			continue
		}
		if len(md.typeMach[typ]) == 0 {
			md.noMachine[j] = true
			md.addTask(j, base)
			continue
		}
		parts := md.splitParts(&base)
		for p := 1; p <= parts; p++ {
			t := base
			if parts > 1 {
				t.part, t.parts, t.area = p, parts, job.AreaMu/float64(parts)
			}
			md.addTask(j, t)
		}
	}
	md.candidates()
	return md
}

func (md *model) addTask(j int, t task) {
	md.jobParts[j] = append(md.jobParts[j], int32(len(md.tasks)))
	md.tasks = append(md.tasks, t)
}

// dayArea is the most area machine m can work on t's field in one otherwise empty day.
func (md *model) dayArea(t *task, m int32) float64 {
	rt := 2 * md.dist(md.mBase[m], t.pt) * md.minPerKm
	return math.Max(0, math.Min(md.mCap[m], md.dayLen-rt)) * md.mRate[m]
}

// splitParts decides how many equal day parts a job needs. A job that fits some compatible machine-day stays whole;
// a larger one is cut into parts the size of a typical (median) compatible machine's day, so that more than just
// the largest machine can take them, but never larger than the largest machine's day.
func (md *model) splitParts(t *task) int {
	var caps []float64
	for _, m := range md.typeMach[t.typ] {
		if a := md.dayArea(t, m); a > 0 {
			caps = append(caps, a)
		}
	}
	if len(caps) == 0 {
		return 1
	}
	sort.Float64s(caps)
	best := caps[len(caps)-1]
	if t.area <= best {
		return 1
	}
	target := caps[len(caps)/2]
	parts := int(math.Ceil(t.area / target))
	if parts > 1000 {
		parts = int(math.Ceil(t.area / best))
	}
	return max(parts, 2)
}

// candidates fills each task's candidate machines and spatial neighbours.
func (md *model) candidates() {
	type md2 struct {
		m int32
		d float64
	}
	var buf []md2
	for i := range md.tasks {
		t := &md.tasks[i]
		if t.locked {
			continue
		}
		buf = buf[:0]
		for _, m := range md.typeMach[t.typ] {
			buf = append(buf, md2{m, md.dist(md.mBase[m], t.pt)})
		}
		sort.Slice(buf, func(a, b int) bool { return buf[a].d < buf[b].d })
		n := min(len(buf), candMachines)
		t.cand = make([]int32, n)
		for k := 0; k < n; k++ {
			t.cand[k] = buf[k].m
		}
		t.allCand = n == len(buf)
	}
	md.neighbourLists()
}

// neighbourLists finds each task's nearest tasks through a grid on a local plane (good enough to choose
// neighbours; distances used for costs are exact).
func (md *model) neighbourLists() {
	n := len(md.tasks)
	if n <= 1 {
		return
	}
	if md.matrix != nil || n <= 400 {
		md.neighboursBrute()
		return
	}
	xs := make([]float64, n)
	ys := make([]float64, n)
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := range md.tasks {
		p := md.tasks[i].pt
		xs[i] = md.lon[p] * md.cosLat[p] * earthRadiusKm
		ys[i] = md.lat[p] * earthRadiusKm
		minX, maxX = math.Min(minX, xs[i]), math.Max(maxX, xs[i])
		minY, maxY = math.Min(minY, ys[i]), math.Max(maxY, ys[i])
	}
	g := int(math.Max(1, math.Sqrt(float64(n)/4)))
	cw := math.Max((maxX-minX)/float64(g), 1e-9)
	ch := math.Max((maxY-minY)/float64(g), 1e-9)
	cell := func(x, y float64) (int, int) {
		cx := min(int((x-minX)/cw), g-1)
		cy := min(int((y-minY)/ch), g-1)
		return cx, cy
	}
	grid := make([][]int32, g*g)
	for i := range md.tasks {
		cx, cy := cell(xs[i], ys[i])
		grid[cy*g+cx] = append(grid[cy*g+cx], int32(i))
	}
	type cand struct {
		t int32
		d float64
	}
	var buf []cand
	k := min(neighbours, n-1)
	for i := range md.tasks {
		cx, cy := cell(xs[i], ys[i])
		buf = buf[:0]
		for r := 0; ; r++ {
			for y := cy - r; y <= cy+r; y++ {
				for x := cx - r; x <= cx+r; x++ {
					if x < 0 || y < 0 || x >= g || y >= g || (max(abs(x-cx), abs(y-cy)) != r) {
						continue
					}
					for _, o := range grid[y*g+x] {
						if int(o) != i {
							dx, dy := xs[o]-xs[i], ys[o]-ys[i]
							buf = append(buf, cand{o, dx*dx + dy*dy})
						}
					}
				}
			}
			// every point outside the rings searched is at least r·min(cw,ch) away
			if len(buf) >= k {
				sort.Slice(buf, func(a, b int) bool { return buf[a].d < buf[b].d })
				reach := float64(r) * math.Min(cw, ch)
				if buf[k-1].d <= reach*reach || r > g {
					break
				}
			}
			if r > g {
				break
			}
		}
		sort.Slice(buf, func(a, b int) bool { return buf[a].d < buf[b].d })
		nb := make([]int32, 0, k)
		for _, c := range buf[:min(k, len(buf))] {
			nb = append(nb, c.t)
		}
		md.tasks[i].neigh = nb
	}
}

func (md *model) neighboursBrute() {
	n := len(md.tasks)
	k := min(neighbours, n-1)
	type cand struct {
		t int32
		d float64
	}
	buf := make([]cand, 0, n)
	for i := range md.tasks {
		buf = buf[:0]
		for o := range md.tasks {
			if o != i {
				buf = append(buf, cand{int32(o), md.dist(md.tasks[i].pt, md.tasks[o].pt)})
			}
		}
		sort.Slice(buf, func(a, b int) bool { return buf[a].d < buf[b].d })
		nb := make([]int32, 0, k)
		for _, c := range buf[:k] {
			nb = append(nb, c.t)
		}
		md.tasks[i].neigh = nb
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
