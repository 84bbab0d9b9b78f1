package vrp

import (
	"bufio"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchDir is the shared folder of public benchmark instances (/work/shared/benchmarks seen from this package).
const benchDir = "../../../../shared/benchmarks"

// needBench returns the benchmark folder, skipping the test when it is absent (failing under CI=true).
func needBench(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(benchDir, "cvrp")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("benchmark instances missing at %s (CI=true): %v", benchDir, err)
		}
		t.Skipf("benchmark instances not found at %s; skipping", benchDir)
	}
	return benchDir
}

func readInstance(t testing.TB, path string) *Problem {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var p *Problem
	if strings.HasSuffix(path, ".vrp") {
		p, err = ReadTSPLIB(f)
	} else {
		p, err = ReadSolomon(f)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

// readBKS reads "| name | value |" rows of a BKS.md file.
func readBKS(t testing.TB, path string) map[string]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile(`^\|\s*([A-Za-z][\w-]*\d)\s*\|\s*([0-9.]+)\s*\|`)
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			out[m[1]] = v
		}
	}
	return out
}

// independentCost recomputes a solution's distance from the raw coordinates, as the benchmark checker does.
func independentCost(p *Problem, routes [][]int) float64 {
	d := func(a, b int) float64 {
		x := math.Hypot(p.Nodes[a].X-p.Nodes[b].X, p.Nodes[a].Y-p.Nodes[b].Y)
		if p.Rounding == RoundNearest {
			return math.Floor(x + 0.5)
		}
		return x
	}
	total := 0.0
	for _, r := range routes {
		prev := p.Depot
		for _, c := range r {
			total += d(prev, c)
			prev = c
		}
		total += d(prev, p.Depot)
	}
	return total
}

func checkSolution(t *testing.T, p *Problem, sol Solution) {
	t.Helper()
	if !sol.Feasible {
		t.Fatalf("%s: infeasible solution", p.Name)
	}
	c, err := Verify(p, sol.Routes)
	if err != nil {
		t.Fatalf("%s: %v", p.Name, err)
	}
	ind := independentCost(p, sol.Routes)
	if math.Abs(c-sol.Cost) > 1e-6 || math.Abs(ind-sol.Cost) > 1e-6 {
		t.Fatalf("%s: claimed cost %.4f, verifier %.4f, independent %.4f", p.Name, sol.Cost, c, ind)
	}
}

func TestReadShippedInstances(t *testing.T) {
	dir := needBench(t)
	want := map[string][3]int{ // nodes, capacity, vehicles
		"cvrp/A-n32-k5.vrp":   {32, 100, 0},
		"cvrp/A-n80-k10.vrp":  {80, 100, 0},
		"cvrp/P-n101-k4.vrp":  {101, 400, 0},
		"cvrp/X-n101-k25.vrp": {101, 206, 0},
		"cvrp/X-n106-k14.vrp": {106, 600, 0},
		"vrptw/C101.txt":      {101, 200, 25},
		"vrptw/R101.txt":      {101, 200, 25},
		"vrptw/RC101.txt":     {101, 200, 25},
	}
	for f, w := range want {
		p := readInstance(t, filepath.Join(dir, f))
		if len(p.Nodes) != w[0] || p.Capacity != int64(w[1]) || p.Vehicles != w[2] || p.Depot != 0 {
			t.Errorf("%s: %d nodes, capacity %d, vehicles %d, depot %d; want %v", f, len(p.Nodes), p.Capacity, p.Vehicles, p.Depot, w)
		}
		if strings.HasPrefix(f, "vrptw") != p.HasTimeWindows() {
			t.Errorf("%s: HasTimeWindows %v", f, p.HasTimeWindows())
		}
	}
	p := readInstance(t, filepath.Join(dir, "vrptw/C101.txt"))
	if n := p.Nodes[1]; n.ID != 1 || n.X != 45 || n.Y != 68 || n.Demand != 10 || n.Ready != 912 || n.Due != 967 || n.Service != 90 {
		t.Errorf("C101 customer 1: %+v", n)
	}
	if p.Nodes[0].Due != 1236 {
		t.Errorf("C101 depot due %v", p.Nodes[0].Due)
	}
	a := readInstance(t, filepath.Join(dir, "cvrp/A-n32-k5.vrp"))
	if n := a.Nodes[1]; n.ID != 2 || n.X != 96 || n.Y != 44 || n.Demand != 19 {
		t.Errorf("A-n32-k5 node 2: %+v", n)
	}
	if d := a.Distance(0, 1); d != 35 { // (82,76)–(96,44): hypot(14, 32) = 34.93, rounded to 35
		t.Errorf("rounded distance %v", d)
	}
}

// The best-known solutions shipped with the instances verify with the published costs.
func TestVerifyKnownSolutions(t *testing.T) {
	dir := needBench(t)
	for _, c := range []struct {
		inst, sol string
		cost      float64
	}{
		{"A-n32-k5.vrp", "A-n32-k5.784.tour", 784},
		{"X-n101-k25.vrp", "X-n101-k25.sol", 27591},
		{"X-n106-k14.vrp", "X-n106-k14.sol", 26362},
	} {
		p := readInstance(t, filepath.Join(dir, "cvrp", c.inst))
		routes := readKnownSolution(t, p, filepath.Join(dir, "cvrp", c.sol))
		got, err := Verify(p, routes)
		if err != nil || got != c.cost {
			t.Errorf("%s: cost %v, err %v; want %v", c.sol, got, err, c.cost)
		}
	}
}

// readKnownSolution reads a CVRPLIB .sol ("Route #k: …", customers numbered node id − 1) or a TSPLIB TOUR whose
// ids above the dimension are depot copies.
func readKnownSolution(t *testing.T, p *Problem, path string) [][]int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int]int{}
	for i, n := range p.Nodes {
		byID[n.ID] = i
	}
	var routes [][]int
	if strings.Contains(string(data), "TOUR_SECTION") {
		var cur []int
		in := false
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "TOUR_SECTION" {
				in = true
				continue
			}
			if !in || line == "" {
				continue
			}
			id, err := strconv.Atoi(line)
			if err != nil || id == -1 {
				break
			}
			if i, ok := byID[id]; ok && i != p.Depot {
				cur = append(cur, i)
			} else {
				if len(cur) > 0 {
					routes = append(routes, cur)
				}
				cur = nil
			}
		}
		if len(cur) > 0 {
			routes = append(routes, cur)
		}
		return routes
	}
	for _, line := range strings.Split(string(data), "\n") {
		_, rest, ok := strings.Cut(line, ":")
		if !strings.HasPrefix(line, "Route") || !ok {
			continue
		}
		var r []int
		for _, f := range strings.Fields(rest) {
			c, _ := strconv.Atoi(f)
			r = append(r, byID[c+1])
		}
		routes = append(routes, r)
	}
	return routes
}

func TestSolveSmallCVRPNearBKS(t *testing.T) {
	dir := needBench(t)
	p := readInstance(t, filepath.Join(dir, "cvrp/A-n32-k5.vrp"))
	start := time.Now()
	sol, err := Solve(context.Background(), *p, Options{TimeLimit: 2 * time.Second, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2500*time.Millisecond {
		t.Errorf("2 s limit took %v", el)
	}
	checkSolution(t, p, sol)
	if gap := (sol.Cost - 784) / 784; gap > 0.02 {
		t.Errorf("A-n32-k5: cost %v, gap %.2f%% over 2%%", sol.Cost, 100*gap)
	}
}

func TestSolveC101TimeWindows(t *testing.T) {
	dir := needBench(t)
	p := readInstance(t, filepath.Join(dir, "vrptw/C101.txt"))
	sol, err := Solve(context.Background(), *p, Options{TimeLimit: time.Second, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkSolution(t, p, sol)
	if len(sol.Routes) > p.Vehicles {
		t.Errorf("%d routes for %d vehicles", len(sol.Routes), p.Vehicles)
	}
	// an independent simulation of the time windows, as the checker does it (departure at 0, wait when early)
	for _, r := range sol.Routes {
		tm, prev := 0.0, p.Depot
		for _, c := range r {
			tm = math.Max(tm+p.Nodes[prev].Service+p.Distance(prev, c), p.Nodes[c].Ready)
			if tm > p.Nodes[c].Due+1e-6 {
				t.Fatalf("customer %d served at %v after %v", p.Nodes[c].ID, tm, p.Nodes[c].Due)
			}
			prev = c
		}
		if back := tm + p.Nodes[prev].Service + p.Distance(prev, p.Depot); back > p.Nodes[p.Depot].Due+1e-6 {
			t.Fatalf("back at the depot at %v", back)
		}
	}
	if gap := (sol.Cost - 827.3) / 827.3; gap > 0.03 {
		t.Errorf("C101: distance %.2f, gap %.2f%%", sol.Cost, 100*gap)
	}
}

// bruteForce is the optimum of a tiny problem: every assignment of customers to routes (set partitions) and every
// order within each route.
func bruteForce(p *Problem) float64 {
	var cust []int
	for i := range p.Nodes {
		if i != p.Depot {
			cust = append(cust, i)
		}
	}
	best := math.Inf(1)
	var groups [][]int
	var rec func(k int)
	rec = func(k int) {
		if k == len(cust) {
			if p.Vehicles > 0 && len(groups) > p.Vehicles {
				return
			}
			total := 0.0
			for _, g := range groups {
				c := bestOrder(p, g)
				if math.IsInf(c, 1) {
					return
				}
				total += c
			}
			best = math.Min(best, total)
			return
		}
		for i := range groups {
			groups[i] = append(groups[i], cust[k])
			rec(k + 1)
			groups[i] = groups[i][:len(groups[i])-1]
		}
		groups = append(groups, []int{cust[k]})
		rec(k + 1)
		groups = groups[:len(groups)-1]
	}
	rec(0)
	return best
}

func bestOrder(p *Problem, g []int) float64 {
	best := math.Inf(1)
	perm := append([]int(nil), g...)
	var rec func(k int)
	rec = func(k int) {
		if k == len(perm) {
			if routeFeasible(p, perm) {
				best = math.Min(best, RouteCost(p, [][]int{perm}))
			}
			return
		}
		for i := k; i < len(perm); i++ {
			perm[k], perm[i] = perm[i], perm[k]
			rec(k + 1)
			perm[k], perm[i] = perm[i], perm[k]
		}
	}
	rec(0)
	return best
}

// routeFeasible checks one route's capacity and time windows by simulation.
func routeFeasible(p *Problem, r []int) bool {
	var load int64
	tm, prev := 0.0, p.Depot
	for _, c := range r {
		load += p.Nodes[c].Demand
		tm = math.Max(tm+p.Nodes[prev].Service+p.TravelTime(prev, c), p.Nodes[c].Ready)
		if p.Nodes[c].Due > 0 && tm > p.Nodes[c].Due {
			return false
		}
		prev = c
	}
	if due := p.Nodes[p.Depot].Due; due > 0 && tm+p.Nodes[prev].Service+p.TravelTime(prev, p.Depot) > due {
		return false
	}
	return load <= p.Capacity
}

// tinyProblem is a random instance of n customers on a 100×100 grid.
func tinyProblem(seed uint64, n int, tw bool) *Problem {
	g := newRNG(seed)
	p := &Problem{Name: "tiny", Capacity: 10, Rounding: RoundNearest}
	p.Nodes = append(p.Nodes, Node{ID: 0, X: 50, Y: 50})
	for i := 1; i <= n; i++ {
		nd := Node{ID: i, X: float64(g.intn(101)), Y: float64(g.intn(101)), Demand: int64(1 + g.intn(5))}
		if tw {
			nd.Ready = float64(g.intn(200))
			nd.Due = nd.Ready + 60 + float64(g.intn(100))
			nd.Service = 5
		}
		p.Nodes = append(p.Nodes, nd)
	}
	if tw {
		p.Nodes[0].Due = 1000
		p.Rounding = RoundNone
	}
	return p
}

func TestTinyInstancesSolvedOptimally(t *testing.T) {
	// a hand-made one first: two clusters left and right of the depot, capacity for one cluster per vehicle
	hand := &Problem{Name: "clusters", Capacity: 3, Rounding: RoundNearest, Nodes: []Node{
		{ID: 0, X: 0, Y: 0},
		{ID: 1, X: 10, Y: 0, Demand: 1}, {ID: 2, X: 10, Y: 1, Demand: 1}, {ID: 3, X: 11, Y: 0, Demand: 1},
		{ID: 4, X: -10, Y: 0, Demand: 1}, {ID: 5, X: -10, Y: 1, Demand: 1}, {ID: 6, X: -11, Y: 0, Demand: 1},
	}}
	sol, err := Solve(context.Background(), *hand, Options{TimeLimit: 5 * time.Second, MaxIterations: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkSolution(t, hand, sol)
	if opt := bruteForce(hand); sol.Cost != opt || len(sol.Routes) != 2 {
		t.Fatalf("clusters: cost %v with %d routes, optimum %v", sol.Cost, len(sol.Routes), opt)
	}
	for seed := uint64(1); seed <= 6; seed++ {
		for _, tw := range []bool{false, true} {
			p := tinyProblem(seed, 6, tw)
			opt := bruteForce(p)
			sol, err := Solve(context.Background(), *p, Options{TimeLimit: 5 * time.Second, MaxIterations: 3000, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			checkSolution(t, p, sol)
			if sol.Cost > opt+1e-6 {
				t.Errorf("seed %d tw %v: cost %.4f, optimum %.4f", seed, tw, sol.Cost, opt)
			}
		}
	}
}

func TestDeterministicForSeedAndIterations(t *testing.T) {
	dir := needBench(t)
	p := readInstance(t, filepath.Join(dir, "cvrp/A-n32-k5.vrp"))
	opt := Options{TimeLimit: time.Minute, MaxIterations: 150, Seed: 7}
	a, err := Solve(context.Background(), *p, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Solve(context.Background(), *p, opt)
	if a.Cost != b.Cost || len(a.Routes) != len(b.Routes) || a.Iterations != 150 {
		t.Fatalf("runs differ: %v/%d vs %v/%d (iterations %d)", a.Cost, len(a.Routes), b.Cost, len(b.Routes), a.Iterations)
	}
	for i := range a.Routes {
		if strconvInts(a.Routes[i]) != strconvInts(b.Routes[i]) {
			t.Fatalf("route %d differs", i)
		}
	}
}

func strconvInts(a []int) string {
	var b strings.Builder
	for _, v := range a {
		b.WriteString(strconv.Itoa(v))
		b.WriteByte(' ')
	}
	return b.String()
}

func TestCancellationAndTimeLimit(t *testing.T) {
	p := tinyProblem(3, 60, false)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(150 * time.Millisecond); cancel() }()
	start := time.Now()
	sol, err := Solve(ctx, *p, Options{TimeLimit: time.Minute, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("cancellation took %v", el)
	}
	checkSolution(t, p, sol)
	// a very short limit still yields a feasible solution (the constructive one at worst)
	q := tinyProblem(4, 80, true)
	start = time.Now()
	sol, err = Solve(context.Background(), *q, Options{TimeLimit: time.Millisecond, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 300*time.Millisecond {
		t.Errorf("1 ms limit took %v", el)
	}
	checkSolution(t, q, sol)
}

func TestParallelWorkers(t *testing.T) {
	p := tinyProblem(8, 50, true)
	opt := Options{TimeLimit: time.Minute, MaxIterations: 100, Seed: 3, Workers: 2}
	a, err := Solve(context.Background(), *p, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkSolution(t, p, a)
	b, _ := Solve(context.Background(), *p, opt)
	if a.Cost != b.Cost || a.Iterations != 200 {
		t.Fatalf("parallel runs differ: %v vs %v (iterations %d)", a.Cost, b.Cost, a.Iterations)
	}
}

func TestGeneralModel(t *testing.T) {
	// volume, pickups (backhauls), a fleet limit and a distance matrix that is not Euclidean
	g := newRNG(11)
	p := &Problem{Name: "general", Capacity: 20, VolumeCapacity: 15, Vehicles: 6}
	p.Nodes = append(p.Nodes, Node{ID: 100, X: 0, Y: 0})
	for i := 1; i <= 30; i++ {
		p.Nodes = append(p.Nodes, Node{ID: 100 + i, X: float64(g.intn(50)), Y: float64(g.intn(50)),
			Demand: int64(g.intn(5)), Pickup: int64(g.intn(5)), Volume: int64(1 + g.intn(3))})
	}
	// depot not first: move it to the middle
	p.Nodes[0], p.Nodes[15] = p.Nodes[15], p.Nodes[0]
	p.Depot = 15
	n := len(p.Nodes)
	p.Dist = make([][]float64, n)
	for i := range p.Dist {
		p.Dist[i] = make([]float64, n)
		for j := range p.Dist[i] {
			a, b := p.Nodes[i], p.Nodes[j]
			p.Dist[i][j] = math.Abs(a.X-b.X) + math.Abs(a.Y-b.Y) // Manhattan
		}
	}
	sol, err := Solve(context.Background(), *p, Options{TimeLimit: 5 * time.Second, MaxIterations: 300, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !sol.Feasible {
		t.Fatal("infeasible")
	}
	c, err := Verify(p, sol.Routes)
	if err != nil || math.Abs(c-sol.Cost) > 1e-9 {
		t.Fatalf("verify: %v %v vs %v", err, c, sol.Cost)
	}
	if len(sol.Routes) > p.Vehicles {
		t.Fatalf("%d routes", len(sol.Routes))
	}
	for _, r := range sol.Routes {
		for _, c := range r {
			if c == p.Depot {
				t.Fatal("depot inside a route")
			}
		}
	}
}

func TestInvalidProblems(t *testing.T) {
	base := func() Problem { return *tinyProblem(1, 5, false) }
	cases := map[string]func(p *Problem){
		"no customers":  func(p *Problem) { p.Nodes = p.Nodes[:1] },
		"bad depot":     func(p *Problem) { p.Depot = 9 },
		"zero capacity": func(p *Problem) { p.Capacity = 0 },
		"oversized":     func(p *Problem) { p.Nodes[2].Demand = 99 },
		"negative":      func(p *Problem) { p.Nodes[2].Demand = -1 },
		"empty window":  func(p *Problem) { p.Nodes[2].Ready, p.Nodes[2].Due = 10, 5 },
		"bad matrix":    func(p *Problem) { p.Dist = [][]float64{{0}} },
		"NaN":           func(p *Problem) { p.Nodes[1].X = math.NaN() },
	}
	for name, mutate := range cases {
		p := base()
		mutate(&p)
		if _, err := Solve(context.Background(), p, Options{TimeLimit: time.Second}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v", name, err)
		}
	}
	// the verifier rejects broken solutions
	p := base()
	if _, err := Verify(&p, [][]int{{1, 2, 3}}); err == nil {
		t.Error("missing customers accepted")
	}
	if _, err := Verify(&p, [][]int{{1, 2, 3, 4, 5, 1}}); err == nil {
		t.Error("duplicate accepted")
	}
	if _, err := Verify(&p, [][]int{{1, 2, 3, 4, 5, 0}}); err == nil {
		t.Error("depot inside a route accepted")
	}
}

// The local search's predicted cost changes must match the routes' recomputed costs (checked on every move).
func TestLocalSearchDeltas(t *testing.T) {
	debugChecks = true
	defer func() { debugChecks = false }()
	for seed := uint64(1); seed <= 3; seed++ {
		for _, tw := range []bool{false, true} {
			p := tinyProblem(seed, 40, tw)
			sol, err := Solve(context.Background(), *p, Options{TimeLimit: 10 * time.Second, MaxIterations: 60, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			checkSolution(t, p, sol)
		}
	}
}
