package vrp

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// MaxNodes bounds the problem size Solve accepts (its distance matrix is dense).
const MaxNodes = 5000

// Solve searches for a cheapest set of routes until the time limit, the iteration limit or ctx ends it, and
// returns the best feasible solution found (Feasible false when none was: then the least infeasible one). The
// error is non-nil only for an invalid problem (errors.Is(err, ErrInvalid)).
func Solve(ctx context.Context, p Problem, opt Options) (Solution, error) {
	if err := p.Validate(); err != nil {
		return Solution{}, err
	}
	if len(p.Nodes) > MaxNodes {
		return Solution{}, invalid("%d nodes, at most %d supported", len(p.Nodes), MaxNodes)
	}
	start := time.Now()
	if opt.TimeLimit <= 0 {
		opt.TimeLimit = 10 * time.Second
	}
	deadline := start.Add(opt.TimeLimit)
	in := newInst(&p, granularity)
	if in.n == 1 {
		return finish(&p, in, [][]int32{{1}}, 0), nil
	}
	var stopped atomic.Bool
	done := ctx.Done()
	stop := func() bool {
		if stopped.Load() {
			return true
		}
		select {
		case <-done:
			stopped.Store(true)
			return true
		default:
		}
		if time.Now().After(deadline) {
			stopped.Store(true)
			return true
		}
		return false
	}
	// the initial population may use at most a fifth of the time
	// (not when an iteration limit is set: the run must then not depend on the clock)
	initDeadline := start.Add(opt.TimeLimit / 5)
	stopInit := func() bool { return opt.MaxIterations == 0 && time.Now().After(initDeadline) }

	constructed := in.construct(func() bool { return stop() || stopInit() })
	workers := max(1, opt.Workers)
	results := make([]*hgs, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			h := newHGS(in, opt.Seed+uint64(w), stop)
			h.maxIter = opt.MaxIterations
			h.run([][][]int32{constructed}, stopInit)
			results[w] = h
		}(w)
	}
	wg.Wait()

	var best *indiv
	iters := 0
	for _, h := range results {
		iters += h.iter
		if h.best != nil && (best == nil || h.best.dist < best.dist) {
			best = h.best
		}
	}
	var routes [][]int32
	if best != nil {
		routes = best.routes
	} else {
		// nothing feasible found by the search: the constructive solution, or the least infeasible individual
		routes = constructed
		if c := in.newIndiv(constructed); !c.feasible {
			var least *indiv
			for _, h := range results {
				for _, ind := range h.infeas {
					if least == nil || ind.penCost(h.pen) < least.penCost(h.pen) {
						least = ind
					}
				}
			}
			if least != nil {
				routes = least.routes
			}
		}
	}
	return finish(&p, in, routes, iters), nil
}

func finish(p *Problem, in *inst, routes [][]int32, iters int) Solution {
	sol := Solution{Iterations: iters}
	for _, r := range routes {
		if len(r) == 0 {
			continue
		}
		out := make([]int, len(r))
		for i, c := range r {
			out[i] = in.ext[c]
		}
		sol.Routes = append(sol.Routes, out)
	}
	sol.Cost = RouteCost(p, sol.Routes)
	_, err := Verify(p, sol.Routes)
	sol.Feasible = err == nil
	return sol
}
