package vrp

import "math"

// split cuts a giant tour into routes optimally for the penalised cost (Prins 2004; Vidal 2016): a shortest path
// over the tour's cut points. With a limited fleet and too many routes, a layered version bounds the route count.
func (in *inst) split(tour []int32, pen penalties) [][]int32 {
	n := len(tour)
	pot := make([]float64, n+1)
	pred := make([]int, n+1)
	for i := 1; i <= n; i++ {
		pot[i] = math.Inf(1)
	}
	limit := in.cap + in.cap/2
	for i := 0; i < n; i++ {
		if math.IsInf(pot[i], 1) {
			continue
		}
		s := in.node[0]
		for j := i; j < n; j++ {
			s = in.merge(s, in.node[tour[j]])
			c := pot[i] + in.cost(in.merge(s, in.node[0]), pen)
			if c < pot[j+1] {
				pot[j+1], pred[j+1] = c, i
			}
			if s.maxLoad > limit {
				break
			}
		}
	}
	count := 0
	for j := n; j > 0; j = pred[j] {
		count++
	}
	if in.limited && count > in.maxVeh {
		if r := in.splitLimited(tour, pen, in.maxVeh); r != nil {
			return r
		}
	}
	routes := make([][]int32, count)
	for j, k := n, count-1; j > 0; j, k = pred[j], k-1 {
		routes[k] = append([]int32(nil), tour[pred[j]:j]...)
	}
	return routes
}

// splitLimited is Split with at most K routes (Bellman over route counts).
func (in *inst) splitLimited(tour []int32, pen penalties, K int) [][]int32 {
	n := len(tour)
	inf := math.Inf(1)
	pot := make([][]float64, K+1)
	pred := make([][]int, K+1)
	for k := range pot {
		pot[k] = make([]float64, n+1)
		pred[k] = make([]int, n+1)
		for i := range pot[k] {
			pot[k][i] = inf
		}
	}
	pot[0][0] = 0
	for k := 0; k < K; k++ {
		for i := 0; i < n; i++ {
			if math.IsInf(pot[k][i], 1) {
				continue
			}
			s := in.node[0]
			for j := i; j < n; j++ {
				s = in.merge(s, in.node[tour[j]])
				c := pot[k][i] + in.cost(in.merge(s, in.node[0]), pen)
				if c < pot[k+1][j+1] {
					pot[k+1][j+1], pred[k+1][j+1] = c, i
				}
			}
		}
	}
	best, bk := inf, -1
	for k := 1; k <= K; k++ {
		if pot[k][n] < best {
			best, bk = pot[k][n], k
		}
	}
	if bk < 0 {
		return nil
	}
	routes := make([][]int32, bk)
	for j, k := n, bk; k > 0; k-- {
		i := pred[k][j]
		routes[k-1] = append([]int32(nil), tour[i:j]...)
		j = i
	}
	return routes
}
