package vrp

import (
	"fmt"
	"math"
	"slices"
)

// route is one vehicle's route in the local search: nodes[0] and nodes[len-1] are the depot.
type route struct {
	idx     int
	nodes   []int32
	pre     []seg // pre[i] summarises nodes[0..i]
	suf     []seg // suf[i] summarises nodes[i..len-1]
	cost    float64
	lastMod int
	// polar sector of the customers (SWAP* overlap test)
	secStart, secEnd float64
}

func (r *route) empty() bool { return len(r.nodes) <= 2 }
func (r *route) last() int   { return len(r.nodes) - 1 }

// penalty is the part of the route's penalised cost that is not distance.
func (r *route) penalty() float64 { return r.cost - r.pre[len(r.pre)-1].dist }

// debugChecks makes every applied move verify its predicted cost change (tests only).
var debugChecks = false

// totalCost is the penalised cost of all routes, recomputed from scratch (route costs are refreshed too).
func (ls *localSearch) totalCost() float64 {
	t := 0.0
	for i := range ls.routes {
		r := &ls.routes[i]
		c := ls.in.cost(ls.in.routeSeg(r.nodes[1:r.last()]), ls.pen)
		t += c
	}
	return t
}

// improveEps is the smallest improvement a move must bring (floating-point noise guard).
const improveEps = 1e-7

// localSearch improves a set of routes with granular neighbourhoods (Vidal 2012/2022): relocate of one or two
// customers (also reversed), swaps of one or two customers, 2-opt, 2-opt*, and SWAP*.
type localSearch struct {
	in      *inst
	pen     penalties
	routes  []route
	routeOf []int32
	posOf   []int32
	order   []int32
	lastTst []int
	lastSw  []int
	nbMoves int
	rng     *rng
	stop    func() bool
	tmpA    []int32
	tmpB    []int32
	angles  []float64
	// per-move locals
	ru, rv         *route
	u, x, v, y     int32
	pu, pv         int
	swapStar       bool
	swapBest       [][3]insPos // SWAP*: per customer of the other route, the 3 best insertion positions
	swapBestV      [][3]insPos
	swapOrder      []int32
	searchComplete bool
}

func newLocalSearch(in *inst, r *rng) *localSearch {
	ls := &localSearch{in: in, rng: r}
	N := in.n + 1
	ls.routes = make([]route, in.maxVeh)
	for i := range ls.routes {
		ls.routes[i].idx = i
		ls.routes[i].nodes = []int32{0, 0}
	}
	ls.routeOf = make([]int32, N)
	ls.posOf = make([]int32, N)
	ls.lastTst = make([]int, N)
	ls.lastSw = make([]int, in.maxVeh)
	ls.order = make([]int32, 0, in.n)
	for c := 1; c < N; c++ {
		ls.order = append(ls.order, int32(c))
	}
	ls.swapBest = make([][3]insPos, N)
	ls.swapBestV = make([][3]insPos, N)
	ls.swapStar = true
	return ls
}

// load installs routes (customer lists, internal indices).
func (ls *localSearch) load(routes [][]int32) {
	for i := range ls.routes {
		r := &ls.routes[i]
		r.nodes = append(r.nodes[:0], 0)
		if i < len(routes) {
			r.nodes = append(r.nodes, routes[i]...)
		}
		if i == len(ls.routes)-1 {
			// more routes than vehicles: the last vehicle takes the rest (penalised as overload / lateness)
			for j := i + 1; j < len(routes); j++ {
				r.nodes = append(r.nodes, routes[j]...)
			}
		}
		r.nodes = append(r.nodes, 0)
		ls.rebuild(r)
		r.lastMod = 0
	}
	for i := range ls.lastTst {
		ls.lastTst[i] = -1
	}
	for i := range ls.lastSw {
		ls.lastSw[i] = -1
	}
	ls.nbMoves = 0
}

// export returns the non-empty routes.
func (ls *localSearch) export() [][]int32 {
	var out [][]int32
	for i := range ls.routes {
		r := &ls.routes[i]
		if !r.empty() {
			out = append(out, slices.Clone(r.nodes[1:r.last()]))
		}
	}
	return out
}

func (ls *localSearch) rebuild(r *route) {
	in := ls.in
	m := len(r.nodes)
	r.pre = slices.Grow(r.pre[:0], m)[:m]
	r.suf = slices.Grow(r.suf[:0], m)[:m]
	r.pre[0] = in.node[0]
	for i := 1; i < m; i++ {
		r.pre[i] = in.merge(r.pre[i-1], in.node[r.nodes[i]])
	}
	r.suf[m-1] = in.node[0]
	for i := m - 2; i >= 0; i-- {
		r.suf[i] = in.merge(in.node[r.nodes[i]], r.suf[i+1])
	}
	r.cost = in.cost(r.pre[m-1], ls.pen)
	r.secStart, r.secEnd = 0, 0
	for i := 1; i < m-1; i++ {
		c := r.nodes[i]
		ls.routeOf[c] = int32(r.idx)
		ls.posOf[c] = int32(i)
	}
	if m > 2 {
		ls.sector(r)
	}
}

// sector computes the smallest circular sector (angles around the depot) holding the route's customers.
func (ls *localSearch) sector(r *route) {
	m := len(r.nodes)
	angs := ls.tmpAngles(m - 2)
	for i := 1; i < m-1; i++ {
		angs[i-1] = ls.in.angle[r.nodes[i]]
	}
	slices.Sort(angs)
	// the sector is the complement of the largest gap between consecutive angles
	bestGap, at := angs[0]+2*math.Pi-angs[len(angs)-1], 0
	for i := 1; i < len(angs); i++ {
		if g := angs[i] - angs[i-1]; g > bestGap {
			bestGap, at = g, i
		}
	}
	start := angs[at]
	end := angs[(at+len(angs)-1)%len(angs)]
	if end < start {
		end += 2 * math.Pi
	}
	r.secStart, r.secEnd = start, end
}

func (ls *localSearch) tmpAngles(k int) []float64 {
	if cap(ls.angles) < k {
		ls.angles = make([]float64, k)
	}
	return ls.angles[:k]
}

// overlap reports whether two routes' polar sectors intersect (SWAP* filter).
func overlap(a, b *route) bool {
	if a.secEnd-a.secStart >= 2*math.Pi-1e-9 || b.secEnd-b.secStart >= 2*math.Pi-1e-9 {
		return true
	}
	for _, k := range []float64{-2 * math.Pi, 0, 2 * math.Pi} {
		s, e := b.secStart+k, b.secEnd+k
		if s <= a.secEnd && a.secStart <= e {
			return true
		}
	}
	return false
}

// btw summarises r.nodes[i..j], i <= j.
func (ls *localSearch) btw(r *route, i, j int) seg {
	if i == 0 {
		return r.pre[j]
	}
	if j == r.last() {
		return r.suf[i]
	}
	in := ls.in
	if !in.hasTW && !in.hasPick {
		a, b := r.pre[j], r.pre[i-1]
		s := seg{first: r.nodes[i], last: r.nodes[j], dist: a.dist - r.pre[i].dist, del: a.del - b.del, vol: a.vol - b.vol}
		s.maxLoad = s.del
		return s
	}
	s := in.node[r.nodes[i]]
	for k := i + 1; k <= j; k++ {
		s = in.merge(s, in.node[r.nodes[k]])
	}
	return s
}

// rev summarises r.nodes[j], r.nodes[j-1], …, r.nodes[i] (i <= j).
func (ls *localSearch) rev(r *route, i, j int) seg {
	in := ls.in
	if in.sym {
		s := ls.btw(r, i, j)
		s.first, s.last = s.last, s.first
		return s
	}
	s := in.node[r.nodes[j]]
	for k := j - 1; k >= i; k-- {
		s = in.merge(s, in.node[r.nodes[k]])
	}
	return s
}

func (ls *localSearch) c2(a, b seg) float64 { return ls.in.cost(ls.in.merge(a, b), ls.pen) }
func (ls *localSearch) c3(a, b, c seg) float64 {
	in := ls.in
	return in.cost(in.merge(in.merge(a, b), c), ls.pen)
}
func (ls *localSearch) c4(a, b, c, d seg) float64 {
	in := ls.in
	return in.cost(in.merge(in.merge(in.merge(a, b), c), d), ls.pen)
}
func (ls *localSearch) c5(a, b, c, d, e seg) float64 {
	in := ls.in
	return in.cost(in.merge(in.merge(in.merge(in.merge(a, b), c), d), e), ls.pen)
}
func (ls *localSearch) c6(a, b, c, d, e, f seg) float64 {
	in := ls.in
	return in.cost(in.merge(in.merge(in.merge(in.merge(in.merge(a, b), c), d), e), f), ls.pen)
}

// run improves the loaded routes until no move improves them (or stop says so).
func (ls *localSearch) run(pen penalties) {
	ls.pen = pen
	for i := range ls.routes {
		r := &ls.routes[i]
		r.cost = ls.in.cost(r.pre[r.last()], pen)
	}
	ls.rng.shuffle32(ls.order)
	in := ls.in
	ls.searchComplete = false
	for loop := 0; !ls.searchComplete; loop++ {
		if loop > 1 {
			ls.searchComplete = true
		}
		for k, u := range ls.order {
			if k&31 == 0 && ls.stop != nil && ls.stop() {
				return
			}
			lastTest := ls.lastTst[u]
			ls.lastTst[u] = ls.nbMoves
			for _, v := range in.neigh[u] {
				ru := &ls.routes[ls.routeOf[u]]
				rv := &ls.routes[ls.routeOf[v]]
				if loop > 0 && max(ru.lastMod, rv.lastMod) <= lastTest {
					continue
				}
				ls.setU(u)
				ls.setV(rv, int(ls.posOf[v]))
				if ls.tryAll(false) {
					continue
				}
				if ls.pv == 1 {
					ls.setV(rv, 0)
					if ls.tryAll(true) {
						continue
					}
				}
			}
			if loop > 0 {
				if e := ls.emptyRoute(); e != nil {
					ls.setU(u)
					ls.setV(e, 0)
					if ls.move1() || ls.move2() || ls.move3() || ls.move9() {
						continue
					}
				}
			}
		}
		if ls.swapStar {
			for a := range ls.routes {
				ra := &ls.routes[a]
				if ra.empty() {
					continue
				}
				if ls.stop != nil && ls.stop() {
					return
				}
				lastTest := ls.lastSw[a]
				ls.lastSw[a] = ls.nbMoves
				for b := a + 1; b < len(ls.routes); b++ {
					rb := &ls.routes[b]
					if rb.empty() || (loop > 0 && max(ra.lastMod, rb.lastMod) <= lastTest) || !overlap(ra, rb) {
						continue
					}
					ls.swapStarMove(ra, rb)
				}
			}
		}
	}
}

func (ls *localSearch) emptyRoute() *route {
	for i := range ls.routes {
		if ls.routes[i].empty() {
			return &ls.routes[i]
		}
	}
	return nil
}

func (ls *localSearch) setU(u int32) {
	ls.u = u
	ls.ru = &ls.routes[ls.routeOf[u]]
	ls.pu = int(ls.posOf[u])
	ls.x = ls.ru.nodes[ls.pu+1]
}

func (ls *localSearch) setV(rv *route, pv int) {
	ls.rv, ls.pv = rv, pv
	ls.v = rv.nodes[pv]
	ls.y = rv.nodes[pv+1]
}

// tryAll tries the moves of the pair (u, v); depotV says v is the start depot of its route.
func (ls *localSearch) tryAll(depotV bool) bool {
	if ls.move1() || ls.move2() || ls.move3() {
		return true
	}
	intra := ls.ru == ls.rv
	if !depotV {
		if ls.u <= ls.v && ls.move4() {
			return true
		}
		if ls.move5() {
			return true
		}
		if ls.u <= ls.v && ls.move6() {
			return true
		}
		if intra && ls.move7() {
			return true
		}
	}
	if !intra && (ls.move8() || ls.move9()) {
		return true
	}
	return false
}

func (ls *localSearch) applied(delta float64, routes ...*route) {
	ls.nbMoves++
	var before float64
	if debugChecks {
		for i := range ls.routes {
			before += ls.routes[i].cost
		}
	}
	for _, r := range routes {
		ls.rebuild(r)
		r.lastMod = ls.nbMoves
	}
	if debugChecks {
		if after := ls.totalCost(); math.Abs(after-(before+delta)) > 1e-6*(1+math.Abs(after)) {
			panic(fmt.Sprintf("vrp: move %d predicted %.6f, got %.6f", ls.nbMoves, delta, after-before))
		}
	}
	ls.searchComplete = false
}

// prune reports whether a move of distance change dd between two routes cannot improve even if it removed every
// current penalty of both routes.
func (ls *localSearch) prune(dd float64) bool {
	return dd-ls.ru.penalty()-ls.rv.penalty() >= -improveEps
}

func (ls *localSearch) dd(a, b int32) float64 { return ls.in.d(a, b) }

// move1 relocates u after v.
func (ls *localSearch) move1() bool {
	ru, rv, pu, pv := ls.ru, ls.rv, ls.pu, ls.pv
	u, x, v, y := ls.u, ls.x, ls.v, ls.y
	if u == y && ru == rv {
		return false
	}
	in := ls.in
	var delta float64
	if ru != rv {
		pred := ru.nodes[pu-1]
		if ls.prune(ls.dd(pred, x) - ls.dd(pred, u) - ls.dd(u, x) + ls.dd(v, u) + ls.dd(u, y) - ls.dd(v, y)) {
			return false
		}
		delta = ls.c2(ru.pre[pu-1], ru.suf[pu+1]) + ls.c3(rv.pre[pv], in.node[u], rv.suf[pv+1]) - ru.cost - rv.cost
	} else {
		if pv == pu-1 {
			return false
		}
		if pu < pv {
			delta = ls.c4(ru.pre[pu-1], ls.btw(ru, pu+1, pv), in.node[u], ru.suf[pv+1]) - ru.cost
		} else {
			delta = ls.c4(ru.pre[pv], in.node[u], ls.btw(ru, pv+1, pu-1), ru.suf[pu+1]) - ru.cost
		}
	}
	if delta >= -improveEps {
		return false
	}
	ru.nodes = slices.Delete(ru.nodes, pu, pu+1)
	at := slices.Index(rv.nodes, v) + 1
	rv.nodes = slices.Insert(rv.nodes, at, u)
	ls.applied(delta, ru, rv)
	return true
}

// move2 relocates the pair (u, x) after v.
func (ls *localSearch) move2() bool { return ls.movePair(false) }

// move3 relocates the pair (u, x) reversed, as (x, u), after v.
func (ls *localSearch) move3() bool { return ls.movePair(true) }

func (ls *localSearch) movePair(reversed bool) bool {
	ru, rv, pu, pv := ls.ru, ls.rv, ls.pu, ls.pv
	u, x, v, y := ls.u, ls.x, ls.v, ls.y
	if x == 0 || v == x {
		return false
	}
	in := ls.in
	a, b := in.node[u], in.node[x]
	if reversed {
		a, b = b, a
	}
	var delta float64
	if ru != rv {
		pred, next := ru.nodes[pu-1], ru.nodes[pu+2]
		dd := ls.dd(pred, next) - ls.dd(pred, u) - ls.dd(x, next) + ls.dd(v, a.first) + ls.dd(b.first, y) - ls.dd(v, y)
		if ls.prune(dd + ls.dd(a.first, b.first) - ls.dd(u, x)) {
			return false
		}
		delta = ls.c2(ru.pre[pu-1], ru.suf[pu+2]) + ls.c4(rv.pre[pv], a, b, rv.suf[pv+1]) - ru.cost - rv.cost
	} else {
		switch {
		case pv == pu-1:
			if !reversed {
				return false
			}
			delta = ls.c4(ru.pre[pv], a, b, ru.suf[pu+2]) - ru.cost
		case pu < pv:
			delta = ls.c5(ru.pre[pu-1], ls.btw(ru, pu+2, pv), a, b, ru.suf[pv+1]) - ru.cost
		default:
			delta = ls.c5(ru.pre[pv], a, b, ls.btw(ru, pv+1, pu-1), ru.suf[pu+2]) - ru.cost
		}
	}
	if delta >= -improveEps {
		return false
	}
	ru.nodes = slices.Delete(ru.nodes, pu, pu+2)
	at := slices.Index(rv.nodes, v) + 1
	rv.nodes = slices.Insert(rv.nodes, at, a.first, b.first)
	ls.applied(delta, ru, rv)
	return true
}

// move4 swaps u and v.
func (ls *localSearch) move4() bool {
	ru, rv, pu, pv := ls.ru, ls.rv, ls.pu, ls.pv
	u, x, v, y := ls.u, ls.x, ls.v, ls.y
	if u == v || v == 0 {
		return false
	}
	in := ls.in
	var delta float64
	if ru != rv {
		pu0, pv0 := ru.nodes[pu-1], rv.nodes[pv-1]
		dd := ls.dd(pu0, v) + ls.dd(v, x) - ls.dd(pu0, u) - ls.dd(u, x) + ls.dd(pv0, u) + ls.dd(u, y) - ls.dd(pv0, v) - ls.dd(v, y)
		if ls.prune(dd) {
			return false
		}
		delta = ls.c3(ru.pre[pu-1], in.node[v], ru.suf[pu+1]) + ls.c3(rv.pre[pv-1], in.node[u], rv.suf[pv+1]) - ru.cost - rv.cost
	} else {
		a, b := min(pu, pv), max(pu, pv)
		na, nb := in.node[ru.nodes[a]], in.node[ru.nodes[b]]
		if b == a+1 {
			delta = ls.c4(ru.pre[a-1], nb, na, ru.suf[b+1]) - ru.cost
		} else {
			delta = ls.c5(ru.pre[a-1], nb, ls.btw(ru, a+1, b-1), na, ru.suf[b+1]) - ru.cost
		}
	}
	if delta >= -improveEps {
		return false
	}
	ru.nodes[pu], rv.nodes[pv] = v, u
	if ru == rv {
		ls.applied(delta, ru)
	} else {
		ls.applied(delta, ru, rv)
	}
	return true
}

// move5 swaps the pair (u, x) with v.
func (ls *localSearch) move5() bool {
	ru, rv, pu, pv := ls.ru, ls.rv, ls.pu, ls.pv
	u, x, v, y := ls.u, ls.x, ls.v, ls.y
	if x == 0 || v == 0 || v == x || v == u {
		return false
	}
	in := ls.in
	var delta float64
	if ru != rv {
		pu0, nu := ru.nodes[pu-1], ru.nodes[pu+2]
		pv0 := rv.nodes[pv-1]
		dd := ls.dd(pu0, v) + ls.dd(v, nu) - ls.dd(pu0, u) - ls.dd(x, nu) + ls.dd(pv0, u) + ls.dd(x, y) - ls.dd(pv0, v) - ls.dd(v, y)
		if ls.prune(dd) {
			return false
		}
		delta = ls.c3(ru.pre[pu-1], in.node[v], ru.suf[pu+2]) + ls.c4(rv.pre[pv-1], in.node[u], in.node[x], rv.suf[pv+1]) - ru.cost - rv.cost
	} else {
		nu, nx, nv := in.node[u], in.node[x], in.node[v]
		switch {
		case pv == pu-1:
			delta = ls.c5(ru.pre[pv-1], nu, nx, nv, ru.suf[pu+2]) - ru.cost
		case pv < pu:
			delta = ls.c6(ru.pre[pv-1], nu, nx, ls.btw(ru, pv+1, pu-1), nv, ru.suf[pu+2]) - ru.cost
		case pv == pu+2:
			delta = ls.c5(ru.pre[pu-1], nv, nu, nx, ru.suf[pv+1]) - ru.cost
		default:
			delta = ls.c6(ru.pre[pu-1], nv, ls.btw(ru, pu+2, pv-1), nu, nx, ru.suf[pv+1]) - ru.cost
		}
	}
	if delta >= -improveEps {
		return false
	}
	ru.nodes[pu], rv.nodes[pv] = v, u
	ru.nodes = slices.Delete(ru.nodes, pu+1, pu+2)
	at := slices.Index(rv.nodes, u) + 1
	rv.nodes = slices.Insert(rv.nodes, at, x)
	if ru == rv {
		ls.applied(delta, ru)
	} else {
		ls.applied(delta, ru, rv)
	}
	return true
}

// move6 swaps the pairs (u, x) and (v, y).
func (ls *localSearch) move6() bool {
	ru, rv, pu, pv := ls.ru, ls.rv, ls.pu, ls.pv
	u, x, v, y := ls.u, ls.x, ls.v, ls.y
	if x == 0 || y == 0 || v == 0 || v == x || u == y || u == v {
		return false
	}
	in := ls.in
	var delta float64
	if ru != rv {
		pu0, nu := ru.nodes[pu-1], ru.nodes[pu+2]
		pv0, nv := rv.nodes[pv-1], rv.nodes[pv+2]
		dd := ls.dd(pu0, v) + ls.dd(y, nu) - ls.dd(pu0, u) - ls.dd(x, nu) + ls.dd(pv0, u) + ls.dd(x, nv) - ls.dd(pv0, v) - ls.dd(y, nv)
		if ls.prune(dd) {
			return false
		}
		delta = ls.c4(ru.pre[pu-1], in.node[v], in.node[y], ru.suf[pu+2]) + ls.c4(rv.pre[pv-1], in.node[u], in.node[x], rv.suf[pv+2]) - ru.cost - rv.cost
	} else {
		a, b := min(pu, pv), max(pu, pv)
		if b < a+2 {
			return false
		}
		a1, a2, b1, b2 := in.node[ru.nodes[a]], in.node[ru.nodes[a+1]], in.node[ru.nodes[b]], in.node[ru.nodes[b+1]]
		if b == a+2 {
			delta = ls.c6(ru.pre[a-1], b1, b2, a1, a2, ru.suf[b+2]) - ru.cost
		} else {
			s := in.merge(in.merge(ru.pre[a-1], b1), b2)
			delta = ls.c5(s, ls.btw(ru, a+2, b-1), a1, a2, ru.suf[b+2]) - ru.cost
		}
	}
	if delta >= -improveEps {
		return false
	}
	ru.nodes[pu], rv.nodes[pv] = v, u
	ru.nodes[pu+1], rv.nodes[pv+1] = y, x
	if ru == rv {
		ls.applied(delta, ru)
	} else {
		ls.applied(delta, ru, rv)
	}
	return true
}

// move7 is the intra-route 2-opt: reverses x … v.
func (ls *localSearch) move7() bool {
	r, pu, pv := ls.ru, ls.pu, ls.pv
	if pv < pu+2 {
		return false
	}
	u, x, v, y := ls.u, ls.x, ls.v, ls.y
	if ls.in.sym {
		if ls.dd(u, v)+ls.dd(x, y)-ls.dd(u, x)-ls.dd(v, y)-r.penalty() >= -improveEps {
			return false
		}
	}
	delta := ls.c3(r.pre[pu], ls.rev(r, pu+1, pv), r.suf[pv+1]) - r.cost
	if delta >= -improveEps {
		return false
	}
	slices.Reverse(r.nodes[pu+1 : pv+1])
	ls.applied(delta, r)
	return true
}

// move8 is 2-opt* joining u to v and x to y, reversing the two crossed parts (symmetric problems only).
func (ls *localSearch) move8() bool {
	if !ls.in.sym {
		return false
	}
	ru, rv, pu, pv := ls.ru, ls.rv, ls.pu, ls.pv
	u, x, v, y := ls.u, ls.x, ls.v, ls.y
	if ls.prune(ls.dd(u, v) + ls.dd(x, y) - ls.dd(u, x) - ls.dd(v, y)) {
		return false
	}
	rp := rv.pre[pv]
	rp.first, rp.last = rp.last, rp.first
	rs := ru.suf[pu+1]
	rs.first, rs.last = rs.last, rs.first
	delta := ls.c2(ru.pre[pu], rp) + ls.c2(rs, rv.suf[pv+1]) - ru.cost - rv.cost
	if delta >= -improveEps {
		return false
	}
	a := append(ls.tmpA[:0], ru.nodes[:pu+1]...)
	for i := pv; i >= 1; i-- {
		a = append(a, rv.nodes[i])
	}
	a = append(a, 0)
	b := append(ls.tmpB[:0], 0)
	for i := ru.last() - 1; i >= pu+1; i-- {
		b = append(b, ru.nodes[i])
	}
	b = append(b, rv.nodes[pv+1:]...)
	ru.nodes = append(ru.nodes[:0], a...)
	rv.nodes = append(rv.nodes[:0], b...)
	ls.tmpA, ls.tmpB = a, b
	ls.applied(delta, ru, rv)
	return true
}

// move9 is 2-opt* joining u to y and v to x (tails exchanged).
func (ls *localSearch) move9() bool {
	ru, rv, pu, pv := ls.ru, ls.rv, ls.pu, ls.pv
	u, x, v, y := ls.u, ls.x, ls.v, ls.y
	if ls.prune(ls.dd(u, y) + ls.dd(v, x) - ls.dd(u, x) - ls.dd(v, y)) {
		return false
	}
	delta := ls.c2(ru.pre[pu], rv.suf[pv+1]) + ls.c2(rv.pre[pv], ru.suf[pu+1]) - ru.cost - rv.cost
	if delta >= -improveEps {
		return false
	}
	a := append(ls.tmpA[:0], ru.nodes[:pu+1]...)
	a = append(a, rv.nodes[pv+1:]...)
	b := append(ls.tmpB[:0], rv.nodes[:pv+1]...)
	b = append(b, ru.nodes[pu+1:]...)
	ru.nodes = append(ru.nodes[:0], a...)
	rv.nodes = append(rv.nodes[:0], b...)
	ls.tmpA, ls.tmpB = a, b
	ls.applied(delta, ru, rv)
	return true
}
