package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nongfu/internal/solve/dispatch"
)

const dispatchExample = "../../internal/solve/dispatch/testdata/example.json"

func TestSolveDispatchPrintsCheckedPlan(t *testing.T) {
	out, _, err := solveCLI(t, "dispatch", dispatchExample, "--time-limit", "2s", "--seed", "3", "--max-iterations", "500")
	if err != nil {
		t.Fatal(err)
	}
	var plan dispatch.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("output is not a JSON plan: %v\n%s", err, out)
	}
	b, err := os.ReadFile(dispatchExample)
	if err != nil {
		t.Fatal(err)
	}
	var inst dispatch.Instance
	if err := json.Unmarshal(b, &inst); err != nil {
		t.Fatal(err)
	}
	if err := dispatch.Validate(&inst); err != nil {
		t.Fatal(err)
	}
	if err := dispatch.Check(&inst, &plan); err != nil {
		t.Fatalf("printed plan fails the check: %v", err)
	}
	if len(plan.Assignments) < len(inst.Jobs) || !plan.Feasible {
		t.Fatalf("example plan incomplete: %d assignments, unplaced %v", len(plan.Assignments), plan.Unplaced)
	}
	// the same seed and iteration count print the same plan (elapsed time aside)
	again, _, err := solveCLI(t, "dispatch", dispatchExample, "--seed", "3", "--max-iterations", "500")
	if err != nil {
		t.Fatal(err)
	}
	var plan2 dispatch.Plan
	if err := json.Unmarshal([]byte(again), &plan2); err != nil {
		t.Fatal(err)
	}
	if plan2.Cost != plan.Cost || len(plan2.Assignments) != len(plan.Assignments) {
		t.Fatalf("not reproducible: %v vs %v", plan.Cost, plan2.Cost)
	}
}

func TestSolveDispatchRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"days":2,"day_start":420,"day_end":1140,"machines":[],"jobs":[{"id":"a","type":"sow","area_mu":-3,"loc":{"lat":30,"lon":110},"earliest_day":0,"latest_day":1}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := solveCLI(t, "dispatch", bad)
	if err == nil || !strings.Contains(err.Error(), "jobs[0].area_mu 必须大于 0") {
		t.Fatalf("want the field message, got %v", err)
	}
	notJSON := filepath.Join(dir, "x.json")
	os.WriteFile(notJSON, []byte(`{"days": "three"}`), 0o600)
	if _, _, err := solveCLI(t, "dispatch", notJSON); err == nil || !strings.Contains(err.Error(), "不是有效的调度算例") {
		t.Fatalf("want a JSON error, got %v", err)
	}
	for _, args := range [][]string{{"dispatch"}, {"dispatch", dispatchExample, "--time-limit", "0s"}, {"dispatch", filepath.Join(dir, "missing.json")}} {
		if _, _, err := solveCLI(t, args...); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}
