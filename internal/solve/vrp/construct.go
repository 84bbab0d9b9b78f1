package vrp

import "math"

// construct builds a solution by cheapest feasible insertion, one route at a time (a sequential insertion
// heuristic in the spirit of Solomon's I1): each route is seeded with the unrouted customer farthest from the depot
// (or, with time windows, the one due first), then filled by the cheapest insertion that keeps the route within
// capacity and on time. It only opens more routes than the fleet allows when nothing else fits.
func (in *inst) construct(stop func() bool) [][]int32 {
	unrouted := make([]bool, in.n+1)
	left := in.n
	for c := 1; c <= in.n; c++ {
		unrouted[c] = true
	}
	var routes [][]int32
	pre := []seg{}
	suf := []seg{}
	for left > 0 {
		if stop() {
			// out of time: every customer left gets its own route
			for c := 1; c <= in.n; c++ {
				if unrouted[c] {
					routes = append(routes, []int32{int32(c)})
				}
			}
			break
		}
		seed, key := int32(-1), math.Inf(-1)
		for c := 1; c <= in.n; c++ {
			if !unrouted[c] {
				continue
			}
			k := in.d(0, int32(c))
			if in.hasTW {
				k = -in.node[c].late
			}
			// seed < 0: customers without a deadline have key −Inf when others have windows; one must still seed
			if seed < 0 || k > key {
				seed, key = int32(c), k
			}
		}
		r := []int32{0, seed, 0}
		unrouted[seed] = false
		left--
		for {
			m := len(r)
			pre, suf = pre[:0], suf[:0]
			s := in.node[0]
			pre = append(pre, s)
			for i := 1; i < m; i++ {
				s = in.merge(s, in.node[r[i]])
				pre = append(pre, s)
			}
			suf = append(suf, make([]seg, m)...)
			suf[m-1] = in.node[0]
			for i := m - 2; i >= 0; i-- {
				suf[i] = in.merge(in.node[r[i]], suf[i+1])
			}
			base := pre[m-1].dist
			best, bc, bp := math.Inf(1), int32(-1), -1
			for c := 1; c <= in.n; c++ {
				if !unrouted[c] {
					continue
				}
				nc := in.node[c]
				if pre[m-1].maxLoad+nc.del > in.cap || (in.hasVol && pre[m-1].vol+nc.vol > in.vcap) {
					continue
				}
				for p := 0; p < m-1; p++ {
					t := in.merge(in.merge(pre[p], nc), suf[p+1])
					if t.maxLoad > in.cap || t.tw > twEps {
						continue
					}
					if d := t.dist - base; d < best {
						best, bc, bp = d, int32(c), p
					}
				}
			}
			if bc < 0 {
				break
			}
			r = append(r[:bp+1], append([]int32{bc}, r[bp+1:]...)...)
			unrouted[bc] = false
			left--
		}
		routes = append(routes, append([]int32(nil), r[1:len(r)-1]...))
	}
	return routes
}
