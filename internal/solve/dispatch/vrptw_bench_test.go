package dispatch

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"nongfu/internal/solve/vrp"
)

// sharedBenchmarks finds the shared benchmark folder: NONGFU_SHARED, else a "shared" folder next to some parent of
// the working directory (the main checkout and the worktrees sit at different depths).
func sharedBenchmarks(t *testing.T) string {
	t.Helper()
	if v := os.Getenv("NONGFU_SHARED"); v != "" {
		return filepath.Join(v, "benchmarks")
	}
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "shared", "benchmarks")
		if _, err := os.Stat(filepath.Join(p, "vrptw")); err == nil {
			return p
		}
		if filepath.Dir(d) == d {
			t.Skip("shared benchmarks not found (set NONGFU_SHARED)")
		}
	}
}

// TestBenchSolomon solves every Solomon instance of the shared folder with the routing engine (a machine = a
// vehicle, a job = a customer with its time window) at 1 s and at 10 s (NONGFU_DISPATCH_VRPTW_TIMES to change) and
// prints the gap to the best known distance. Solutions are re-verified by the engine's own checker.
func TestBenchSolomon(t *testing.T) {
	benchGate(t)
	dir := filepath.Join(sharedBenchmarks(t), "vrptw")
	bks := map[string]float64{}
	f, err := os.Open(filepath.Join(dir, "BKS.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`^\|\s*([A-Za-z][\w-]*\d)\s*\|\s*([0-9.]+)\s*\|`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			bks[m[1]], _ = strconv.ParseFloat(m[2], 64)
		}
	}
	f.Close()
	names := make([]string, 0, len(bks))
	for n := range bks {
		names = append(names, n)
	}
	sort.Strings(names)
	limits := []time.Duration{time.Second, 10 * time.Second}
	if v := os.Getenv("NONGFU_DISPATCH_VRPTW_TIMES"); v != "" {
		limits = nil
		for _, s := range strings.Split(v, ",") {
			d, err := time.ParseDuration(s)
			if err != nil {
				t.Fatal(err)
			}
			limits = append(limits, d)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-8s %9s", "instance", "BKS")
	for _, l := range limits {
		fmt.Fprintf(&b, " %11s %7s", "cost@"+l.String(), "gap")
	}
	b.WriteByte('\n')
	sums := make([]float64, len(limits))
	for _, name := range names {
		fh, err := os.Open(filepath.Join(dir, name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := vrp.ReadSolomon(bufio.NewReader(fh))
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%-8s %9.1f", name, bks[name])
		for k, l := range limits {
			sol, err := vrp.Solve(context.Background(), *p, vrp.Options{TimeLimit: l, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := vrp.Verify(p, sol.Routes); err != nil || !sol.Feasible {
				t.Fatalf("%s at %v: infeasible solution: %v", name, l, err)
			}
			gap := 100 * (sol.Cost - bks[name]) / bks[name]
			sums[k] += gap
			fmt.Fprintf(&b, " %11.2f %6.2f%%", sol.Cost, gap)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%-8s %9s", "average", "")
	for k := range limits {
		fmt.Fprintf(&b, " %11s %6.2f%%", "", sums[k]/float64(len(names)))
	}
	t.Log(b.String())
}
