package vrp

import "math"

// inst is the solver's internal view of a Problem: node 0 is the depot, 1..n the customers, flat matrices.
type inst struct {
	p       *Problem
	n       int   // customers
	ext     []int // internal index → index in Problem.Nodes
	dist    []float64
	tt      []float64 // travel times (aliases dist when equal)
	stride  int
	node    []seg // single-node segments (depot at 0)
	demand  []int64
	cap     int64
	vcap    int64
	hasTW   bool
	hasPick bool
	hasVol  bool
	sym     bool // symmetric distances and no time windows / pickups: reversal keeps a segment's data
	maxVeh  int  // route slots in the local search
	limited bool // the fleet is limited (maxVeh is a hard bound)
	neigh   [][]int32
	angle   []float64 // polar angle of each customer around the depot (SWAP* sectors)
	maxDist float64
	maxDem  int64
	totDem  int64
}

func newInst(p *Problem, granular int) *inst {
	N := len(p.Nodes)
	in := &inst{p: p, n: N - 1, stride: N, cap: p.Capacity, vcap: p.VolumeCapacity}
	in.ext = make([]int, 0, N)
	in.ext = append(in.ext, p.Depot)
	for i := range p.Nodes {
		if i != p.Depot {
			in.ext = append(in.ext, i)
		}
	}
	in.dist = make([]float64, N*N)
	sameTime := p.Time == nil
	if sameTime {
		in.tt = in.dist
	} else {
		in.tt = make([]float64, N*N)
	}
	in.sym = true
	for a := 0; a < N; a++ {
		for b := 0; b < N; b++ {
			d := p.Distance(in.ext[a], in.ext[b])
			in.dist[a*N+b] = d
			if !sameTime {
				in.tt[a*N+b] = p.TravelTime(in.ext[a], in.ext[b])
			}
			if d > in.maxDist {
				in.maxDist = d
			}
		}
	}
	for a := 0; a < N && in.sym; a++ {
		for b := 0; b < a; b++ {
			if in.dist[a*N+b] != in.dist[b*N+a] {
				in.sym = false
				break
			}
		}
	}
	in.hasTW = p.HasTimeWindows()
	in.hasVol = p.VolumeCapacity > 0
	in.node = make([]seg, N)
	in.demand = make([]int64, N)
	for a := 0; a < N; a++ {
		nd := p.Nodes[in.ext[a]]
		if nd.Pickup > 0 && a > 0 {
			in.hasPick = true
		}
		s := seg{first: int32(a), last: int32(a), early: nd.Ready, late: nd.due()}
		if a > 0 {
			s.del, s.pick, s.maxLoad = nd.Demand, nd.Pickup, max(nd.Demand, nd.Pickup)
			s.vol = nd.Volume
			s.dur = nd.Service
			in.demand[a] = nd.Demand
			in.totDem += nd.Demand
			in.maxDem = max(in.maxDem, nd.Demand, nd.Pickup)
		}
		if !in.hasTW {
			s.early, s.late = 0, math.Inf(1)
		}
		in.node[a] = s
	}
	if in.hasTW || in.hasPick {
		in.sym = false
	}
	if p.Vehicles > 0 {
		in.maxVeh, in.limited = min(p.Vehicles, in.n), true
	} else {
		in.maxVeh = in.n
	}
	dep := p.Nodes[p.Depot]
	in.angle = make([]float64, N)
	for a := 1; a < N; a++ {
		nd := p.Nodes[in.ext[a]]
		in.angle[a] = math.Atan2(nd.Y-dep.Y, nd.X-dep.X)
	}
	in.buildNeighbours(granular)
	return in
}

func (in *inst) d(a, b int32) float64 { return in.dist[int(a)*in.stride+int(b)] }

// buildNeighbours keeps, for each customer, the granular closest customers. With time windows, closeness adds the
// minimum waiting and time warp between the two (Vidal 2013 / PyVRP), symmetrised.
func (in *inst) buildNeighbours(k int) {
	N := in.n + 1
	k = min(k, in.n-1)
	in.neigh = make([][]int32, N)
	prox := func(i, j int) float64 {
		v := in.dist[i*N+j]
		if in.hasTW {
			a, b := in.node[i], in.node[j]
			t := in.tt[i*N+j]
			wait := math.Max(0, b.early-t-a.dur-a.late)
			warp := math.Max(0, a.early+a.dur+t-b.late)
			v += 0.2*wait + warp
		}
		return v
	}
	type cand struct {
		v float64
		j int32
	}
	best := make([]cand, 0, k+1)
	for i := 1; i < N; i++ {
		best = best[:0]
		for j := 1; j < N; j++ {
			if j == i {
				continue
			}
			v := prox(i, j)
			if in.hasTW {
				v = math.Min(v, prox(j, i))
			}
			if len(best) == k && v >= best[k-1].v {
				continue
			}
			// insertion into the sorted list of the k best (ties keep the lower index first)
			at := len(best)
			for at > 0 && best[at-1].v > v {
				at--
			}
			if len(best) < k {
				best = append(best, cand{})
			}
			copy(best[at+1:], best[at:len(best)-1])
			best[at] = cand{v, int32(j)}
		}
		in.neigh[i] = make([]int32, len(best))
		for x, c := range best {
			in.neigh[i][x] = c.j
		}
	}
}

// seg summarises a sequence of nodes for O(1) concatenation: distance, load profile and time-window data
// (duration, time warp, earliest and latest start; Vidal et al. 2013).
type seg struct {
	first, last int32
	dist        float64
	dur, tw     float64
	early, late float64
	del, pick   int64
	maxLoad     int64
	vol         int64
}

// merge concatenates a and b.
func (in *inst) merge(a, b seg) seg {
	r := seg{first: a.first, last: b.last}
	ij := int(a.last)*in.stride + int(b.first)
	r.dist = a.dist + in.dist[ij] + b.dist
	r.del = a.del + b.del
	r.pick = a.pick + b.pick
	r.maxLoad = max(a.maxLoad+b.del, a.pick+b.maxLoad)
	r.vol = a.vol + b.vol
	if in.hasTW {
		t := in.tt[ij]
		delta := a.dur - a.tw + t
		deltaWait := math.Max(b.early-delta-a.late, 0)
		deltaTW := math.Max(a.early+delta-b.late, 0)
		r.dur = a.dur + b.dur + t + deltaWait
		r.tw = a.tw + b.tw + deltaTW
		r.early = math.Max(b.early-delta, a.early) - deltaWait
		r.late = math.Min(b.late-delta, a.late) + deltaTW
	}
	return r
}

// penalties are the weights of constraint violations in the penalised cost.
type penalties struct {
	load, vol, tw float64
}

// cost is the penalised cost of a complete route (depot to depot).
func (in *inst) cost(s seg, pen penalties) float64 {
	c := s.dist
	if s.maxLoad > in.cap {
		c += pen.load * float64(s.maxLoad-in.cap)
	}
	if in.hasVol && s.vol > in.vcap {
		c += pen.vol * float64(s.vol-in.vcap)
	}
	if in.hasTW {
		c += pen.tw * s.tw
	}
	return c
}

// twEps is the time warp below which a route counts as on time (floating-point noise).
const twEps = 1e-7

// routeSeg summarises a complete route given as its customers (internal indices).
func (in *inst) routeSeg(r []int32) seg {
	s := in.node[0]
	for _, c := range r {
		s = in.merge(s, in.node[c])
	}
	return in.merge(s, in.node[0])
}
