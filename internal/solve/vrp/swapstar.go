package vrp

import "math"

// insPos is an insertion of a customer after position after of a route, at distance cost cost.
type insPos struct {
	cost  float64
	after int32
}

func (ls *localSearch) loadPen(load int64) float64 {
	if load > ls.in.cap {
		return ls.pen.load * float64(load-ls.in.cap)
	}
	return 0
}

// top3 fills best with the three cheapest insertions of c into r (distance only).
func (ls *localSearch) top3(c int32, r *route, best *[3]insPos) {
	*best = [3]insPos{{math.Inf(1), -1}, {math.Inf(1), -1}, {math.Inf(1), -1}}
	for p := 0; p < r.last(); p++ {
		a, b := r.nodes[p], r.nodes[p+1]
		cost := ls.dd(a, c) + ls.dd(c, b) - ls.dd(a, b)
		switch {
		case cost < best[0].cost:
			best[2], best[1], best[0] = best[1], best[0], insPos{cost, int32(p)}
		case cost < best[1].cost:
			best[2], best[1] = best[1], insPos{cost, int32(p)}
		case cost < best[2].cost:
			best[2] = insPos{cost, int32(p)}
		}
	}
}

// cheapestWithRemoval is the cheapest insertion of c into r when the customer at position pv is removed at the
// same time: in its place, or at one of c's three best positions not adjacent to it.
func (ls *localSearch) cheapestWithRemoval(c int32, r *route, pv int, best *[3]insPos) insPos {
	a, b := r.nodes[pv-1], r.nodes[pv+1]
	res := insPos{ls.dd(a, c) + ls.dd(c, b) - ls.dd(a, b), int32(pv - 1)}
	for _, e := range best {
		if e.after < 0 {
			break
		}
		if int(e.after) != pv && int(e.after) != pv-1 && e.cost < res.cost {
			res = e
			break
		}
	}
	return res
}

// swapStarMove tries the best exchange of a customer of a with a customer of b, each inserted at its best place
// in the other route (Vidal 2022). Candidates are ranked by distance and load; the best is checked exactly.
func (ls *localSearch) swapStarMove(a, b *route) bool {
	in := ls.in
	for i := 1; i < a.last(); i++ {
		ls.top3(a.nodes[i], b, &ls.swapBest[a.nodes[i]])
	}
	for j := 1; j < b.last(); j++ {
		ls.top3(b.nodes[j], a, &ls.swapBestV[b.nodes[j]])
	}
	loadA, loadB := a.pre[a.last()].del, b.pre[b.last()].del
	penA, penB := ls.loadPen(loadA), ls.loadPen(loadB)
	bestCost := 0.0
	bu, bv := -1, -1
	var insU, insV insPos
	for i := 1; i < a.last(); i++ {
		u := a.nodes[i]
		remU := ls.dd(a.nodes[i-1], a.nodes[i+1]) - ls.dd(a.nodes[i-1], u) - ls.dd(u, a.nodes[i+1])
		for j := 1; j < b.last(); j++ {
			v := b.nodes[j]
			remV := ls.dd(b.nodes[j-1], b.nodes[j+1]) - ls.dd(b.nodes[j-1], v) - ls.dd(v, b.nodes[j+1])
			dpA := ls.loadPen(loadA+in.demand[v]-in.demand[u]) - penA
			dpB := ls.loadPen(loadB+in.demand[u]-in.demand[v]) - penB
			if dpA+dpB+remU+remV >= bestCost-improveEps {
				continue
			}
			iv := ls.cheapestWithRemoval(v, a, i, &ls.swapBestV[v])
			iu := ls.cheapestWithRemoval(u, b, j, &ls.swapBest[u])
			c := dpA + dpB + remU + remV + iv.cost + iu.cost
			if c < bestCost-improveEps {
				bestCost, bu, bv, insU, insV = c, i, j, iu, iv
			}
		}
	}
	if bu < 0 {
		return false
	}
	u, v := a.nodes[bu], b.nodes[bv]
	na := ls.tmpA[:0]
	for k, c := range a.nodes {
		if k != bu {
			na = append(na, c)
		}
		if k == int(insV.after) {
			na = append(na, v)
		}
	}
	nb := ls.tmpB[:0]
	for k, c := range b.nodes {
		if k != bv {
			nb = append(nb, c)
		}
		if k == int(insU.after) {
			nb = append(nb, u)
		}
	}
	ls.tmpA, ls.tmpB = na, nb
	exact := in.cost(in.routeSeg(na[1:len(na)-1]), ls.pen) + in.cost(in.routeSeg(nb[1:len(nb)-1]), ls.pen) - a.cost - b.cost
	if exact >= -improveEps {
		return false
	}
	a.nodes = append(a.nodes[:0], na...)
	b.nodes = append(b.nodes[:0], nb...)
	ls.applied(exact, a, b)
	return true
}
