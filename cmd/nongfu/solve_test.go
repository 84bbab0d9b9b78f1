package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sharedDir is the shared folder (benchmarks and checks) seen from this package.
const sharedDir = "../../../shared"

func needShared(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(sharedDir, "benchmarks", "cvrp")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("benchmark instances missing at %s (CI=true): %v", sharedDir, err)
		}
		t.Skipf("benchmark instances not found at %s; skipping", sharedDir)
	}
	return sharedDir
}

func solveCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}
	err := cmdSolve(context.Background(), env, args)
	return out.String(), errOut.String(), err
}

var (
	routeLine = regexp.MustCompile(`^Route #(\d+):((?: \d+)+)$`)
	costLine  = regexp.MustCompile(`^Cost (\d+(?:\.\d+)?)$`)
)

// parseOutput checks the CVRPLIB-style format and returns the routes and the claimed cost.
func parseOutput(t *testing.T, out string) ([][]int, float64) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var routes [][]int
	for i, l := range lines[:len(lines)-1] {
		m := routeLine.FindStringSubmatch(l)
		if m == nil || m[1] != strconv.Itoa(i+1) {
			t.Fatalf("line %d: %q is not \"Route #%d: …\"", i+1, l, i+1)
		}
		var r []int
		for _, f := range strings.Fields(m[2]) {
			c, _ := strconv.Atoi(f)
			r = append(r, c)
		}
		routes = append(routes, r)
	}
	m := costLine.FindStringSubmatch(lines[len(lines)-1])
	if m == nil {
		t.Fatalf("last line %q is not \"Cost N\"", lines[len(lines)-1])
	}
	cost, _ := strconv.ParseFloat(m[1], 64)
	return routes, cost
}

// check runs the shared checker on a solution when python3 is there; it returns the recomputed cost.
func check(t *testing.T, shared, kind, inst, out string) (float64, bool) {
	t.Helper()
	py, err := exec.LookPath("python3")
	checker := filepath.Join(shared, "checks", "check_vrp.py")
	if _, serr := os.Stat(checker); err != nil || serr != nil {
		return 0, false
	}
	sol := filepath.Join(t.TempDir(), "solution.txt")
	if err := os.WriteFile(sol, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command(py, checker, kind, inst, sol).CombinedOutput()
	if err != nil {
		t.Fatalf("checker rejects the solution: %s (%v)", res, err)
	}
	m := regexp.MustCompile(`cost=([0-9.]+)`).FindSubmatch(res)
	if m == nil {
		t.Fatalf("checker output %q", res)
	}
	c, _ := strconv.ParseFloat(string(m[1]), 64)
	return c, true
}

func TestSolveCommand(t *testing.T) {
	shared := needShared(t)
	inst := filepath.Join(shared, "benchmarks", "cvrp", "A-n32-k5.vrp")
	start := time.Now()
	// flags after the file, as the acceptance check passes them
	out, _, err := solveCLI(t, "cvrp", inst, "--time-limit", "1s", "--seed", "1")
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("1 s limit took %v", el)
	}
	routes, cost := parseOutput(t, out)
	seen := map[int]bool{}
	for _, r := range routes {
		for _, c := range r {
			if c < 1 || c > 31 || seen[c] {
				t.Fatalf("customer %d out of range or repeated", c)
			}
			seen[c] = true
		}
	}
	if len(seen) != 31 || cost < 784 || cost > 784*1.03 {
		t.Fatalf("%d customers, cost %v", len(seen), cost)
	}
	if c, ok := check(t, shared, "cvrp", inst, out); ok && c != cost {
		t.Fatalf("checker cost %v, claimed %v", c, cost)
	}

	// flags before the file; VRPTW prints Solomon numbers and a decimal cost
	sol := filepath.Join(shared, "benchmarks", "vrptw", "C101.txt")
	out, _, err = solveCLI(t, "vrptw", "--time-limit", "500ms", sol)
	if err != nil {
		t.Fatal(err)
	}
	_, cost = parseOutput(t, out)
	if !strings.Contains(out, ".") || cost < 827 {
		t.Fatalf("vrptw output %q", out)
	}
	if c, ok := check(t, shared, "vrptw", sol, out); ok && (c-cost > 0.01 || cost-c > 0.01) {
		t.Fatalf("checker cost %v, claimed %v", c, cost)
	}
}

func TestSolveCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.vrp")
	os.WriteFile(bad, []byte("NAME : x\nCAPACITY : abc\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "缺少问题类型"},
		{[]string{"tsp", "x"}, "未知的问题类型"},
		{[]string{"cvrp"}, "需要且只需要一个算例文件"},
		{[]string{"cvrp", "a", "b"}, "需要且只需要一个算例文件"},
		{[]string{"cvrp", filepath.Join(dir, "none.vrp")}, "无法打开算例文件"},
		{[]string{"cvrp", bad}, "格式错误"},
		{[]string{"vrptw", bad}, "格式错误"},
		{[]string{"cvrp", bad, "--time-limit", "soon"}, "参数错误"},
		{[]string{"cvrp", bad, "--time-limit", "-1s"}, "必须大于 0"},
	} {
		_, _, err := solveCLI(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}

// TestSolveAcceptance runs the acceptance protocol of ../shared/checks/solve-cvrp and solve-vrptw in-process:
// every instance at 10 s (NONGFU_VRP_BENCH_TIME to change it), seed 1, each solution verified by check_vrp.py,
// gaps to BKS.md and their averages against the goals (1.0 % CVRP, 1.5 % VRPTW). Only with NONGFU_VRP_BENCH=1.
func TestSolveAcceptance(t *testing.T) {
	if os.Getenv("NONGFU_VRP_BENCH") != "1" {
		t.Skip("set NONGFU_VRP_BENCH=1 to run every benchmark instance (80 s)")
	}
	shared := needShared(t)
	limit := "10s"
	if v := os.Getenv("NONGFU_VRP_BENCH_TIME"); v != "" {
		limit = v
	}
	for _, set := range []struct {
		kind, dir, ext string
		goal           float64
	}{{"cvrp", "cvrp", ".vrp", 1.0}, {"vrptw", "vrptw", ".txt", 1.5}} {
		dir := filepath.Join(shared, "benchmarks", set.dir)
		bks := readBKSTable(t, filepath.Join(dir, "BKS.md"))
		sum, n := 0.0, 0
		for _, name := range bks.names {
			inst := filepath.Join(dir, name+set.ext)
			start := time.Now()
			out, _, err := solveCLI(t, set.kind, inst, "--time-limit", limit, "--seed", "1")
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			el := time.Since(start)
			cost, ok := check(t, shared, set.kind, inst, out)
			if !ok {
				t.Fatal("python3 or check_vrp.py missing")
			}
			gap := 100 * (cost - bks.value[name]) / bks.value[name]
			sum += gap
			n++
			t.Logf("%-12s cost=%-10.2f best=%-8v gap=%5.2f%% routes=%d time=%.1fs", name, cost, bks.value[name], gap, strings.Count(out, "Route"), el.Seconds())
		}
		avg := sum / float64(n)
		t.Logf("%s average gap %.2f%% over %d instances at %s (goal <= %.1f%%)", strings.ToUpper(set.kind), avg, n, limit, set.goal)
		if avg > set.goal {
			t.Errorf("%s average gap %.2f%% over the goal %.1f%%", set.kind, avg, set.goal)
		}
	}
}

type bksTable struct {
	names []string
	value map[string]float64
}

func readBKSTable(t *testing.T, path string) bksTable {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile(`^\|\s*([A-Z][\w-]*\d)\s*\|\s*([0-9.]+)\s*\|`)
	tb := bksTable{value: map[string]float64{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			tb.names = append(tb.names, m[1])
			tb.value[m[1]] = v
		}
	}
	return tb
}
