package vrp

import (
	"math/rand/v2"
	"testing"
	"time"
)

// randomProblem is n customers scattered over a 1,000 × 1,000 square around a central depot, demands 1–30,
// capacity 200 (about 40 routes for 1,000 customers); with windows, every customer has a 240-unit window
// somewhere in a day of 1,440 and the depot's day is long enough to reach anyone.
func randomProblem(n int, windows bool, seed uint64) Problem {
	rng := rand.New(rand.NewPCG(seed, 1000))
	p := Problem{Name: "random", Capacity: 200, Nodes: []Node{{X: 500, Y: 500}}}
	if windows {
		p.Nodes[0].Due = 4000
	}
	for i := 1; i <= n; i++ {
		nd := Node{ID: i, X: rng.Float64() * 1000, Y: rng.Float64() * 1000, Demand: int64(1 + rng.IntN(30)), Service: 10}
		if windows {
			nd.Ready = float64(rng.IntN(1200))
			nd.Due = nd.Ready + 240 + 800
		}
		p.Nodes = append(p.Nodes, nd)
	}
	return p
}

// firstFeasible is the construction phase alone: the solution Solve starts from.
func firstFeasible(p *Problem) Solution {
	in := newInst(p, granularity)
	return finish(p, in, in.construct(func() bool { return false }), 0)
}

// BenchmarkFirstFeasible1000 measures the time to the first feasible solution for 1,000 stops (goal: < 1 s).
func BenchmarkFirstFeasible1000(b *testing.B) {
	for _, tw := range []bool{false, true} {
		name := "capacity"
		if tw {
			name = "time-windows"
		}
		b.Run(name, func(b *testing.B) {
			p := randomProblem(1000, tw, 1)
			for b.Loop() {
				if sol := firstFeasible(&p); !sol.Feasible {
					b.Fatal("construction infeasible")
				}
			}
		})
	}
}

// TestFirstFeasible1000 checks that construction yields a verified feasible solution for 1,000 stops and logs
// how long it took (the goal of < 1 s is measured by BenchmarkFirstFeasible1000, not asserted here).
func TestFirstFeasible1000(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 stops")
	}
	for _, tw := range []bool{false, true} {
		p := randomProblem(1000, tw, 2)
		start := time.Now()
		sol := firstFeasible(&p)
		took := time.Since(start)
		if !sol.Feasible {
			t.Fatalf("windows %v: first solution infeasible", tw)
		}
		if _, err := Verify(&p, sol.Routes); err != nil {
			t.Fatal(err)
		}
		t.Logf("windows %v: %d routes, cost %.0f, first feasible in %v", tw, len(sol.Routes), sol.Cost, took)
	}
}
