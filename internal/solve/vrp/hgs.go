package vrp

import (
	"math"
	"slices"
	"sort"
)

// HGS parameters (Vidal 2022 defaults).
const (
	popMu             = 25
	popLambda         = 40
	nbElite           = 4
	nbClose           = 5
	targetFeasible    = 0.2
	penaltyIncrease   = 1.2
	penaltyDecrease   = 0.85
	penaltyWindow     = 100
	granularity       = 20
	itersNoImprove    = 20000
	initialPopFactor  = 4
	repairProbability = 0.5
)

type proxEntry struct {
	d   float64
	ind *indiv
}

// indiv is a solution in the population: giant tour, routes and their evaluation.
type indiv struct {
	tour     []int32
	routes   [][]int32
	dist     float64
	excLoad  int64
	excVol   int64
	tw       float64
	feasible bool
	succ     []int32
	pred     []int32
	prox     []proxEntry
	fit      float64
}

func (in *inst) newIndiv(routes [][]int32) *indiv {
	ind := &indiv{routes: routes}
	in.evaluate(ind)
	return ind
}

// evaluate computes the individual's costs, its successor/predecessor arrays, and its giant tour (routes ordered
// by the polar angle of their barycentre, so that crossover keeps neighbouring routes together).
func (in *inst) evaluate(ind *indiv) {
	N := in.n + 1
	ind.dist, ind.excLoad, ind.excVol, ind.tw = 0, 0, 0, 0
	if ind.succ == nil {
		ind.succ = make([]int32, N)
		ind.pred = make([]int32, N)
	}
	type keyed struct {
		ang float64
		r   []int32
	}
	ks := make([]keyed, 0, len(ind.routes))
	for _, r := range ind.routes {
		if len(r) == 0 {
			continue
		}
		s := in.routeSeg(r)
		ind.dist += s.dist
		if s.maxLoad > in.cap {
			ind.excLoad += s.maxLoad - in.cap
		}
		if in.hasVol && s.vol > in.vcap {
			ind.excVol += s.vol - in.vcap
		}
		ind.tw += s.tw
		var sx, sy float64
		for i, c := range r {
			nd := in.p.Nodes[in.ext[c]]
			sx += nd.X
			sy += nd.Y
			if i == 0 {
				ind.pred[c] = 0
			} else {
				ind.pred[c] = r[i-1]
			}
			if i == len(r)-1 {
				ind.succ[c] = 0
			} else {
				ind.succ[c] = r[i+1]
			}
		}
		dep := in.p.Nodes[in.ext[0]]
		ks = append(ks, keyed{math.Atan2(sy/float64(len(r))-dep.Y, sx/float64(len(r))-dep.X), r})
	}
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].ang < ks[j].ang })
	ind.routes = ind.routes[:0]
	ind.tour = ind.tour[:0]
	for _, k := range ks {
		ind.routes = append(ind.routes, k.r)
		ind.tour = append(ind.tour, k.r...)
	}
	ind.feasible = ind.excLoad == 0 && ind.excVol == 0 && ind.tw <= twEps && (!in.limited || len(ind.routes) <= in.maxVeh)
}

func (ind *indiv) penCost(p penalties) float64 {
	return ind.dist + p.load*float64(ind.excLoad) + p.vol*float64(ind.excVol) + p.tw*ind.tw
}

// brokenPairs is the broken-pairs distance between two individuals (share of customers whose neighbours differ).
func brokenPairs(a, b *indiv, n int) float64 {
	diff := 0
	for j := 1; j <= n; j++ {
		if a.succ[j] != b.succ[j] && a.succ[j] != b.pred[j] {
			diff++
		}
		if a.pred[j] == 0 && b.pred[j] != 0 && b.succ[j] != 0 {
			diff++
		}
	}
	return float64(diff) / float64(n)
}

func (ind *indiv) avgClosest(k int) float64 {
	k = min(k, len(ind.prox))
	if k == 0 {
		return 0
	}
	s := 0.0
	for i := 0; i < k; i++ {
		s += ind.prox[i].d
	}
	return s / float64(k)
}

// hgs is one run of the hybrid genetic search.
type hgs struct {
	in        *inst
	rng       *rng
	ls        *localSearch
	pen       penalties
	feas      []*indiv
	infeas    []*indiv
	best      *indiv
	histLoad  []bool
	histTW    []bool
	iter      int
	lastImpr  int
	stop      func() bool
	maxIter   int
	initShare float64
}

func newHGS(in *inst, seed uint64, stop func() bool) *hgs {
	h := &hgs{in: in, rng: newRNG(seed), stop: stop}
	h.ls = newLocalSearch(in, h.rng)
	h.ls.stop = stop
	maxDem := max(in.maxDem, 1)
	h.pen.load = math.Max(0.1, math.Min(1000, in.maxDist/float64(maxDem)))
	h.pen.vol = h.pen.load
	if in.hasVol {
		h.pen.vol = math.Max(0.1, math.Min(1000, in.maxDist/float64(max(1, in.vcap/10))))
	}
	h.pen.tw = 1
	return h
}

// educate runs the local search on routes under penalties p.
func (h *hgs) educate(routes [][]int32, p penalties) *indiv {
	h.ls.load(routes)
	h.ls.run(p)
	return h.in.newIndiv(h.ls.export())
}

// offer educates an individual, records its feasibility for the penalty management, adds it, and repairs it
// with a probability when infeasible.
func (h *hgs) offer(routes [][]int32) {
	ind := h.educate(routes, h.pen)
	h.histLoad = append(h.histLoad, ind.excLoad == 0 && ind.excVol == 0)
	h.histTW = append(h.histTW, ind.tw <= twEps)
	h.add(ind)
	if !ind.feasible && h.rng.float() < repairProbability && !h.stop() {
		p := penalties{h.pen.load * 10, h.pen.vol * 10, h.pen.tw * 10}
		rep := h.educate(ind.routes, p)
		if rep.feasible {
			h.add(rep)
		}
	}
}

func (h *hgs) add(ind *indiv) {
	if ind.feasible && (h.best == nil || ind.dist < h.best.dist-1e-9) {
		h.best = ind
		h.lastImpr = h.iter
	}
	sub := &h.infeas
	if ind.feasible {
		sub = &h.feas
	}
	n := h.in.n
	for _, o := range *sub {
		d := brokenPairs(ind, o, n)
		o.prox = insertProx(o.prox, proxEntry{d, ind})
		ind.prox = insertProx(ind.prox, proxEntry{d, o})
	}
	c := ind.penCost(h.pen)
	at := sort.Search(len(*sub), func(i int) bool { return (*sub)[i].penCost(h.pen) > c })
	*sub = slices.Insert(*sub, at, ind)
	if len(*sub) >= popMu+popLambda {
		for len(*sub) > popMu {
			h.removeWorst(sub)
		}
	}
}

func insertProx(list []proxEntry, e proxEntry) []proxEntry {
	at := sort.Search(len(list), func(i int) bool { return list[i].d > e.d })
	return slices.Insert(list, at, e)
}

func (h *hgs) updateFitness(sub []*indiv) {
	m := len(sub)
	if m == 0 {
		return
	}
	if m == 1 {
		sub[0].fit = 0
		return
	}
	type rk struct {
		div float64
		i   int
	}
	ranks := make([]rk, m)
	for i, ind := range sub {
		ranks[i] = rk{-ind.avgClosest(nbClose), i}
	}
	sort.SliceStable(ranks, func(a, b int) bool { return ranks[a].div < ranks[b].div })
	for pos, r := range ranks {
		divRank := float64(pos) / float64(m-1)
		fitRank := float64(r.i) / float64(m-1)
		if m <= nbElite {
			sub[r.i].fit = fitRank
		} else {
			sub[r.i].fit = fitRank + (1-float64(nbElite)/float64(m))*divRank
		}
	}
}

func (h *hgs) removeWorst(sub *[]*indiv) {
	s := *sub
	h.updateFitness(s)
	worst, worstFit, worstClone := -1, math.Inf(-1), false
	for i := 1; i < len(s); i++ {
		clone := len(s[i].prox) > 0 && s[i].prox[0].d < 1e-9
		if (clone && !worstClone) || (clone == worstClone && s[i].fit > worstFit) {
			worst, worstFit, worstClone = i, s[i].fit, clone
		}
	}
	if worst < 0 {
		return
	}
	w := s[worst]
	for _, o := range s {
		for k := range o.prox {
			if o.prox[k].ind == w {
				o.prox = slices.Delete(o.prox, k, k+1)
				break
			}
		}
	}
	*sub = slices.Delete(s, worst, worst+1)
}

// tournament picks the better (by biased fitness) of two random individuals.
func (h *hgs) tournament() *indiv {
	h.updateFitness(h.feas)
	h.updateFitness(h.infeas)
	total := len(h.feas) + len(h.infeas)
	pick := func() *indiv {
		k := h.rng.intn(total)
		if k < len(h.feas) {
			return h.feas[k]
		}
		return h.infeas[k-len(h.feas)]
	}
	a, b := pick(), pick()
	if b.fit < a.fit {
		return b
	}
	return a
}

// crossoverOX is the ordered crossover of two giant tours.
func (h *hgs) crossoverOX(a, b *indiv, child []int32, used []bool) []int32 {
	n := len(a.tour)
	child = child[:n]
	for i := range used {
		used[i] = false
	}
	start := h.rng.intn(n)
	end := h.rng.intn(n)
	for end == start && n > 1 {
		end = h.rng.intn(n)
	}
	for k := start; k%n != (end+1)%n; k++ {
		child[k%n] = a.tour[k%n]
		used[a.tour[k%n]] = true
	}
	pos := (end + 1) % n
	for i := 1; i <= n; i++ {
		c := b.tour[(end+i)%n]
		if !used[c] {
			child[pos] = c
			pos = (pos + 1) % n
		}
	}
	return child
}

func (h *hgs) managePenalties() {
	// factor is the penalty multiplier that steers the share of feasible offspring towards targetFeasible
	factor := func(hist []bool) float64 {
		if len(hist) == 0 {
			return 1
		}
		f := 0
		for _, ok := range hist {
			if ok {
				f++
			}
		}
		frac := float64(f) / float64(len(hist))
		if frac < targetFeasible-0.05 {
			return penaltyIncrease
		} else if frac > targetFeasible+0.05 {
			return penaltyDecrease
		}
		return 1
	}
	clamp := func(p float64) float64 { return math.Min(math.Max(p, 0.1), 100000) }
	fl := factor(h.histLoad) // weight and volume together
	h.pen.load = clamp(h.pen.load * fl)
	h.pen.vol = clamp(h.pen.vol * fl)
	if h.in.hasTW {
		h.pen.tw = clamp(h.pen.tw * factor(h.histTW))
	}
	h.histLoad, h.histTW = h.histLoad[:0], h.histTW[:0]
	slices.SortStableFunc(h.infeas, func(a, b *indiv) int {
		ca, cb := a.penCost(h.pen), b.penCost(h.pen)
		switch {
		case ca < cb:
			return -1
		case ca > cb:
			return 1
		}
		return 0
	})
}

// initPopulation adds random individuals (and, first, the constructive solution) until the population holds
// initialPopFactor×μ of them or time runs out.
func (h *hgs) initPopulation(seeds [][][]int32, stopInit func() bool) {
	for _, s := range seeds {
		if h.stop() {
			return
		}
		h.offer(s)
	}
	tour := make([]int32, h.in.n)
	for i := range tour {
		tour[i] = int32(i + 1)
	}
	for k := 0; k < initialPopFactor*popMu; k++ {
		if h.stop() || stopInit() {
			return
		}
		h.rng.shuffle32(tour)
		h.offer(h.in.split(tour, h.pen))
	}
}

// run is the genetic loop.
func (h *hgs) run(seeds [][][]int32, stopInit func() bool) {
	h.initPopulation(seeds, stopInit)
	child := make([]int32, h.in.n)
	used := make([]bool, h.in.n+1)
	for !h.stop() && (h.maxIter == 0 || h.iter < h.maxIter) {
		if len(h.feas)+len(h.infeas) < 2 {
			h.initPopulation(nil, func() bool { return false })
			if len(h.feas)+len(h.infeas) < 2 {
				return
			}
		}
		h.iter++
		a, b := h.tournament(), h.tournament()
		for tries := 0; a == b && tries < 10; tries++ {
			b = h.tournament()
		}
		child = h.crossoverOX(a, b, child, used)
		h.offer(h.in.split(child, h.pen))
		if h.iter%penaltyWindow == 0 {
			h.managePenalties()
		}
		if h.iter-h.lastImpr > itersNoImprove {
			h.feas, h.infeas = nil, nil
			h.lastImpr = h.iter
			var keep [][][]int32
			if h.best != nil {
				keep = append(keep, h.best.routes)
			}
			h.initPopulation(keep, func() bool { return false })
		}
	}
}
