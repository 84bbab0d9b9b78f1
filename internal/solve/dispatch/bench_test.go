package dispatch

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// benchGate skips a benchmark-style test unless NONGFU_DISPATCH_BENCH=1: they print figures and take minutes.
func benchGate(t *testing.T) {
	t.Helper()
	if os.Getenv("NONGFU_DISPATCH_BENCH") != "1" {
		t.Skip("set NONGFU_DISPATCH_BENCH=1 to run the dispatch benchmarks")
	}
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return d
	}
	return def
}

// TestBenchCounty: 5,000 jobs × 300 machines × 7 days. Prints the time to the first feasible plan (the
// construction) and the cost after each checkpoint of a fixed budget (NONGFU_DISPATCH_BUDGET, default 25 s).
func TestBenchCounty(t *testing.T) {
	benchGate(t)
	budget := envDuration(t, "NONGFU_DISPATCH_BUDGET", 25*time.Second)
	inst := genCounty(1, 5000, 300, 7)
	checkpoints := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 20 * time.Second, budget}
	var b strings.Builder
	next := 0
	var first time.Duration
	var firstCost float64
	firstUnpl := 0
	var last struct {
		cost     float64
		unplaced int
		iters    int
	}
	tr := func(el time.Duration, iters int, cost float64, unplaced int) {
		if iters == 0 {
			first, firstCost, firstUnpl = el, cost, unplaced
		}
		for next < len(checkpoints) && el > checkpoints[next] {
			fmt.Fprintf(&b, "  at %-6v cost %10.1f km  unplaced %d  iterations %d\n", checkpoints[next], last.cost, last.unplaced, last.iters)
			next++
		}
		last.cost, last.unplaced, last.iters = cost, unplaced, iters
	}
	p, err := solveTraced(context.Background(), inst, Options{TimeLimit: budget, Seed: 1}, tr)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(inst, &p); err != nil {
		t.Fatal(err)
	}
	area := 0.0
	for _, j := range inst.Jobs {
		area += j.AreaMu
	}
	t.Logf("\ncounty: %d jobs (%.0f 亩) × %d machines × %d days\nfirst feasible plan in %v: cost %.1f km, unplaced %d\n%sfinal after %v (%d iterations): travel %.1f km, lateness %d days, cost %.1f, unplaced %d (%.2f%% better than the first plan)",
		len(inst.Jobs), area, len(inst.Machines), inst.Days, first.Round(time.Millisecond), firstCost, firstUnpl, b.String(),
		time.Duration(p.ElapsedMs)*time.Millisecond, p.Iterations, p.TravelKm, p.LatenessDays, p.Cost, len(p.Unplaced),
		100*(firstCost-p.Cost)/firstCost)
}

// TestBenchExact compares Solve with the exact optimum on generated instances of 8–12 jobs and prints the average
// and worst gap (NONGFU_DISPATCH_EXACT_N instances, default 30; Solve gets NONGFU_DISPATCH_EXACT_TIME, default 1 s).
func TestBenchExact(t *testing.T) {
	benchGate(t)
	limit := envDuration(t, "NONGFU_DISPATCH_EXACT_TIME", time.Second)
	count := 30
	if v := os.Getenv("NONGFU_DISPATCH_EXACT_N"); v != "" {
		fmt.Sscan(v, &count)
	}
	sum, worst := 0.0, 0.0
	hits, unplacedWorse, withLate, withUnplaced := 0, 0, 0, 0
	var exactTime time.Duration
	for k := 0; k < count; k++ {
		n := 8 + k%5
		inst := genSmall(uint64(1000+k), n, k%2 == 1)
		p, err := Solve(context.Background(), inst, Options{TimeLimit: limit, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(inst, &p); err != nil {
			t.Fatal(err)
		}
		if p.LatenessDays > 0 {
			withLate++
		}
		if len(p.Unplaced) > 0 {
			withUnplaced++
		}
		t0 := time.Now()
		u, opt := exact(inst)
		exactTime += time.Since(t0)
		if len(p.Unplaced) > u {
			unplacedWorse++
			t.Logf("instance %d: Solve leaves %d unplaced, optimum %d", k, len(p.Unplaced), u)
			continue
		}
		if len(p.Unplaced) < u || p.Cost < opt-2e-3 {
			t.Fatalf("instance %d: Solve (%d, %.3f) beats the exact optimum (%d, %.3f)", k, len(p.Unplaced), p.Cost, u, opt)
		}
		gap := 0.0
		if opt > 0 {
			gap = 100 * (p.Cost - opt) / opt
		}
		if gap < 1e-3 {
			hits++
		}
		sum += gap
		worst = max(worst, gap)
	}
	t.Logf("\nexact comparison: %d instances of 8–12 jobs, Solve at %v: average gap %.3f%%, worst %.3f%%, optimum hit %d/%d, more unplaced than optimum %d; plans with lateness %d, with unplaced jobs %d (exact DP %v in all)",
		count, limit, sum/float64(count-unplacedWorse), worst, hits, count, unplacedWorse, withLate, withUnplaced, exactTime.Round(time.Millisecond))
}
