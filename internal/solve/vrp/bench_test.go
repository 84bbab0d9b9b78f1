package vrp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var benchInstances = []struct{ dir, name, ext string }{
	{"cvrp", "A-n32-k5", ".vrp"}, {"cvrp", "A-n80-k10", ".vrp"}, {"cvrp", "P-n101-k4", ".vrp"},
	{"cvrp", "X-n101-k25", ".vrp"}, {"cvrp", "X-n106-k14", ".vrp"},
	{"vrptw", "C101", ".txt"}, {"vrptw", "R101", ".txt"}, {"vrptw", "RC101", ".txt"},
}

// TestBenchmarkTable solves every shipped instance at 10 s (NONGFU_VRP_BENCH_TIME to change it) and prints cost,
// best known, gap, routes and iterations. Only with NONGFU_VRP_BENCH=1: it takes 80 s.
func TestBenchmarkTable(t *testing.T) {
	if os.Getenv("NONGFU_VRP_BENCH") != "1" {
		t.Skip("set NONGFU_VRP_BENCH=1 to solve every benchmark instance at 10 s")
	}
	dir := needBench(t)
	limit := 10 * time.Second
	if v := os.Getenv("NONGFU_VRP_BENCH_TIME"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		limit = d
	}
	var tb strings.Builder
	fmt.Fprintf(&tb, "\n%-12s %12s %10s %7s %6s %8s\n", "instance", "cost", "BKS", "gap", "routes", "iters")
	sums := map[string][2]float64{}
	for _, bi := range benchInstances {
		p := readInstance(t, filepath.Join(dir, bi.dir, bi.name+bi.ext))
		bks := readBKS(t, filepath.Join(dir, bi.dir, "BKS.md"))[bi.name]
		sol, err := Solve(context.Background(), *p, Options{TimeLimit: limit, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		checkSolution(t, p, sol)
		gap := 100 * (sol.Cost - bks) / bks
		s := sums[bi.dir]
		sums[bi.dir] = [2]float64{s[0] + gap, s[1] + 1}
		fmt.Fprintf(&tb, "%-12s %12.2f %10.1f %6.2f%% %6d %8d\n", bi.name, sol.Cost, bks, gap, len(sol.Routes), sol.Iterations)
	}
	for _, k := range []string{"cvrp", "vrptw"} {
		fmt.Fprintf(&tb, "%s average gap %.2f%% at %v\n", strings.ToUpper(k), sums[k][0]/sums[k][1], limit)
	}
	t.Log(tb.String())
}

// BenchmarkCVRP measures the search speed: 200 offspring on X-n101-k25 per operation.
func BenchmarkCVRP(b *testing.B) {
	dir := needBench(b)
	p := readInstance(b, filepath.Join(dir, "cvrp", "X-n101-k25.vrp"))
	for b.Loop() {
		if _, err := Solve(context.Background(), *p, Options{TimeLimit: time.Minute, MaxIterations: 200, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVRPTW measures the search speed with time windows: 200 offspring on R101 per operation.
func BenchmarkVRPTW(b *testing.B) {
	dir := needBench(b)
	p := readInstance(b, filepath.Join(dir, "vrptw", "R101.txt"))
	for b.Loop() {
		if _, err := Solve(context.Background(), *p, Options{TimeLimit: time.Minute, MaxIterations: 200, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
