package vrp

import (
	"context"
	"testing"
	"time"
)

// TestMixedTimeWindows: when some customers have a deadline and none of the others has, construction must still
// seed routes with the deadline-free customers (a regression: every such customer had key −Inf and none was
// chosen, which indexed node −1).
func TestMixedTimeWindows(t *testing.T) {
	p := Problem{Capacity: 100, Nodes: []Node{{Ready: 0, Due: 600}}}
	for i := 1; i <= 12; i++ {
		nd := Node{ID: i, X: float64(i % 4 * 10), Y: float64(i / 4 * 10), Demand: 20, Service: 5}
		if i%5 == 0 {
			nd.Ready, nd.Due = 0, 200
		}
		p.Nodes = append(p.Nodes, nd)
	}
	sol, err := Solve(context.Background(), p, Options{Seed: 1, MaxIterations: 300, TimeLimit: 5 * time.Second})
	if err != nil || !sol.Feasible {
		t.Fatalf("mixed windows: %v %+v", err, sol)
	}
	if _, err := Verify(&p, sol.Routes); err != nil {
		t.Error(err)
	}
	// every customer without a window
	for i := range p.Nodes {
		if i > 0 {
			p.Nodes[i].Ready, p.Nodes[i].Due = 0, 0
		}
	}
	if sol, err := Solve(context.Background(), p, Options{Seed: 1, MaxIterations: 300}); err != nil || !sol.Feasible {
		t.Fatalf("depot window only: %v %+v", err, sol)
	}
}
