package dispatch

import (
	"math"
	"math/bits"
)

// exact solves a small instance (≤ 16 jobs, no locks, no splitting) to optimality by dynamic programming,
// independently of the search code: for every machine-day the cheapest route over every subset of jobs (Held–Karp
// from the machine's base), feasible when its field work fits HoursPerDay and work + travel fits the day; then a
// subset DP over machine-days picks disjoint subsets. The objective is Solve's: most jobs placed, then
// travel km + lateness penalty. It returns the number of unplaced jobs and the optimal cost.
func exact(inst *Instance) (unplaced int, cost float64) {
	n := len(inst.Jobs)
	full := 1 << n
	dist := func(a, b Location) float64 { return greatCircleKm(a, b) * inst.RoadFactor }
	minPerKm := 60 / inst.SpeedKmh
	dayLen := float64(inst.DayEnd - inst.DayStart)
	inf := math.Inf(1)
	// f[S] = best cost of covering exactly S with the machine-days processed so far
	f := make([]float64, full)
	for i := range f {
		f[i] = inf
	}
	f[0] = 0
	g := make([]float64, full*n)
	route := make([]float64, full)
	work := make([]float64, full)
	for _, m := range inst.Machines {
		compat := 0
		for j, job := range inst.Jobs {
			for _, t := range m.Types {
				if t == job.Type {
					compat |= 1 << j
				}
			}
		}
		// Held–Karp: g[S][j] = shortest path base → S ending at j ∈ S
		for i := range g {
			g[i] = inf
		}
		for j := 0; j < n; j++ {
			g[(1<<j)*n+j] = dist(m.Base, inst.Jobs[j].Loc)
		}
		for S := 1; S < full; S++ {
			if S&^compat != 0 {
				continue
			}
			for j := 0; j < n; j++ {
				v := g[S*n+j]
				if S&(1<<j) == 0 || v == inf {
					continue
				}
				for k := 0; k < n; k++ {
					if S&(1<<k) != 0 || compat&(1<<k) == 0 {
						continue
					}
					w := v + dist(inst.Jobs[j].Loc, inst.Jobs[k].Loc)
					if T := (S | 1<<k) * n; w < g[T+k] {
						g[T+k] = w
					}
				}
			}
		}
		capMin := dayLen
		if m.HoursPerDay > 0 {
			capMin = math.Min(capMin, m.HoursPerDay*60)
		}
		for S := 1; S < full; S++ {
			route[S] = inf
			if S&^compat != 0 {
				continue
			}
			low := bits.TrailingZeros(uint(S))
			work[S] = work[S&^(1<<low)] + inst.Jobs[low].AreaMu/m.RateMuPerHour*60
			for j := 0; j < n; j++ {
				if S&(1<<j) != 0 {
					route[S] = math.Min(route[S], g[S*n+j]+dist(inst.Jobs[j].Loc, m.Base))
				}
			}
			if work[S] > capMin+1e-9 || work[S]+route[S]*minPerKm > dayLen+1e-9 {
				route[S] = inf
			}
		}
		for d := 0; d < inst.Days; d++ {
			off := false
			for _, u := range m.Unavailable {
				off = off || u == d
			}
			if off {
				continue
			}
			allowed := 0
			lateCost := make([]float64, n)
			for j, job := range inst.Jobs {
				if job.EarliestDay <= d {
					allowed |= 1 << j
				}
				lateCost[j] = inst.LatenessPenaltyKm * float64(max(0, d-job.LatestDay))
			}
			next := append([]float64(nil), f...)
			for S := 1; S < full; S++ {
				// T ⊆ S is the set this machine-day does
				for T := S; T > 0; T = (T - 1) & S {
					if T&^allowed != 0 || route[T] == inf || f[S^T] == inf {
						continue
					}
					c := f[S^T] + route[T]
					for x := T; x > 0; x &= x - 1 {
						c += lateCost[bits.TrailingZeros(uint(x))]
					}
					if c < next[S] {
						next[S] = c
					}
				}
			}
			f = next
		}
	}
	unplaced, cost = n+1, inf
	for S := 0; S < full; S++ {
		if f[S] == inf {
			continue
		}
		u := n - bits.OnesCount(uint(S))
		if u < unplaced || u == unplaced && f[S] < cost {
			unplaced, cost = u, f[S]
		}
	}
	return unplaced, cost
}
