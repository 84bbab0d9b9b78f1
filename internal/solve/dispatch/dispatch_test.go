package dispatch

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"nongfu/internal/apperr"
)

func loadExample(t *testing.T) *Instance {
	t.Helper()
	b, err := os.ReadFile("testdata/example.json")
	if err != nil {
		t.Fatal(err)
	}
	var inst Instance
	if err := json.Unmarshal(b, &inst); err != nil {
		t.Fatal(err)
	}
	return &inst
}

func solveOK(t *testing.T, inst *Instance, opt Options) Plan {
	t.Helper()
	if opt.TimeLimit == 0 {
		opt.TimeLimit = time.Minute
	}
	if opt.MaxIterations == 0 {
		opt.MaxIterations = 2000
	}
	p, err := Solve(context.Background(), inst, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(inst, &p); err != nil {
		t.Fatalf("plan fails the independent check: %v", err)
	}
	return p
}

func TestExampleInstance(t *testing.T) {
	inst := loadExample(t)
	p := solveOK(t, inst, Options{Seed: 1})
	if !p.Feasible || len(p.Unplaced) != 0 {
		t.Fatalf("example should be fully placed within windows: unplaced %v, lateness %d", p.Unplaced, p.LatenessDays)
	}
	if len(p.Assignments) < len(inst.Jobs) {
		t.Fatalf("%d assignments for %d jobs", len(p.Assignments), len(inst.Jobs))
	}
	if p.TravelKm <= 0 || p.Cost != p.TravelKm {
		t.Fatalf("travel %v cost %v", p.TravelKm, p.Cost)
	}
	// ordered by machine (input order), day, start
	order := map[string]int{}
	for i, m := range inst.Machines {
		order[m.ID] = i
	}
	for i := 1; i < len(p.Assignments); i++ {
		a, b := p.Assignments[i-1], p.Assignments[i]
		ka := [3]int{order[a.Machine], a.Day, a.Start}
		kb := [3]int{order[b.Machine], b.Day, b.Start}
		if ka[0] > kb[0] || ka[0] == kb[0] && (ka[1] > kb[1] || ka[1] == kb[1] && ka[2] > kb[2]) {
			t.Fatalf("assignments out of order at %d: %+v then %+v", i, a, b)
		}
	}
}

func TestValidateNamesFields(t *testing.T) {
	inst := loadExample(t)
	inst.Jobs[3].AreaMu = 0
	inst.Jobs[1].LatestDay = -1
	inst.Machines[0].RateMuPerHour = -2
	inst.Jobs[2].ID = inst.Jobs[0].ID
	inst.Jobs[4].Lock = &Assignment{Machine: "nope", Day: 0, Start: 500, End: 600}
	err := Validate(inst)
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("want an invalid error, got %v", err)
	}
	fields := apperr.FieldsOf(err)
	for _, f := range []string{"jobs[3].area_mu", "jobs[1].latest_day", "machines[0].rate_mu_per_hour", "jobs[2].id", "jobs[4].lock.machine"} {
		if fields[f] == "" {
			t.Errorf("no message for %s (got %v)", f, fields)
		}
	}
	if got := fields["jobs[3].area_mu"]; !strings.Contains(got, "必须大于 0") {
		t.Errorf("area message %q", got)
	}
	if msg := apperr.MessageOf(err); !strings.HasPrefix(msg, "jobs[") && !strings.HasPrefix(msg, "machines[") {
		t.Errorf("message should name the first field: %q", msg)
	}
	if _, err := Solve(context.Background(), inst, Options{}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("Solve must reject an invalid instance, got %v", err)
	}
}

func TestValidateFillsDefaults(t *testing.T) {
	inst := &Instance{Days: 1, DayStart: 420, DayEnd: 1140,
		Machines: []Machine{{ID: "m", Types: []string{"plough"}, RateMuPerHour: 10}},
		Jobs:     []Job{{ID: "j", Type: "plough", AreaMu: 5, Lock: &Assignment{Machine: "m", Start: 480, End: 510}}}}
	if err := Validate(inst); err != nil {
		t.Fatal(err)
	}
	if inst.SpeedKmh != DefaultSpeedKmh || inst.RoadFactor != DefaultRoadFactor || inst.LatenessPenaltyKm != DefaultLatenessPenaltyKm {
		t.Fatalf("defaults not filled: %+v", inst)
	}
	if inst.Jobs[0].Lock.Job != "j" {
		t.Fatalf("lock job not filled: %+v", inst.Jobs[0].Lock)
	}
	inst.Jobs = append(inst.Jobs, Job{ID: "k", Type: "plough", AreaMu: 5, Lock: &Assignment{Machine: "m", Start: 500, End: 520}})
	if fields := apperr.FieldsOf(Validate(inst)); fields["jobs[1].lock.start"] == "" {
		t.Fatalf("overlapping locks not reported: %v", fields)
	}
}

// TestReplanKeepsLocks plans, then re-plans as a dispatcher would after a breakdown and new orders: jobs of day 0
// are started (locked where they are), one machine breaks down on days 1–2, new jobs arrive.
func TestReplanKeepsLocks(t *testing.T) {
	inst := genCounty(3, 120, 12, 4)
	first := solveOK(t, inst, Options{Seed: 1, MaxIterations: 1000})
	locked := map[string]Assignment{}
	for _, a := range first.Assignments {
		if a.Day == 0 && a.Parts == 0 {
			locked[a.Job] = a
		}
	}
	if len(locked) < 5 {
		t.Fatalf("only %d day-0 assignments to lock", len(locked))
	}
	broken := ""
	for i := range inst.Jobs {
		if a, ok := locked[inst.Jobs[i].ID]; ok {
			lock := a
			inst.Jobs[i].Lock = &lock
			broken = a.Machine
		}
	}
	for i := range inst.Machines {
		if inst.Machines[i].ID == broken {
			inst.Machines[i].Unavailable = []int{1, 2}
		}
	}
	extra := genCounty(4, 15, 1, 4)
	for i, j := range extra.Jobs {
		j.ID = "NEW" + j.ID
		j.EarliestDay, j.LatestDay = 1, 3
		extra.Jobs[i] = j
	}
	inst.Jobs = append(inst.Jobs, extra.Jobs...)
	second := solveOK(t, inst, Options{Seed: 2, MaxIterations: 1000})
	kept := 0
	for _, a := range second.Assignments {
		if l, ok := locked[a.Job]; ok {
			l.Locked = true
			l.Job = a.Job
			if a.Machine != l.Machine || a.Day != l.Day || a.Start != l.Start || a.End != l.End || !a.Locked {
				t.Fatalf("locked job %s moved: %+v → %+v", a.Job, l, a)
			}
			kept++
		}
		if a.Machine == broken && (a.Day == 1 || a.Day == 2) {
			t.Fatalf("job %s on broken machine %s day %d", a.Job, broken, a.Day)
		}
	}
	if kept != len(locked) {
		t.Fatalf("%d of %d locked jobs in the new plan", kept, len(locked))
	}
	placedNew := 0
	for _, a := range second.Assignments {
		if strings.HasPrefix(a.Job, "NEW") {
			placedNew++
		}
	}
	if placedNew == 0 {
		t.Fatal("no new job placed")
	}
}

// TestLocksRouteAround: a lock in the middle of a machine's day; free jobs before it must arrive in time.
func TestLocksRouteAround(t *testing.T) {
	inst := &Instance{Days: 1, DayStart: 420, DayEnd: 1140, Machines: []Machine{
		{ID: "m1", Types: []string{"plough"}, Base: Location{Lat: 34.5, Lon: 113.5}, RateMuPerHour: 10, HoursPerDay: 10},
	}}
	for i, d := range []float64{0.01, 0.02, 0.03, -0.01} {
		inst.Jobs = append(inst.Jobs, Job{ID: string(rune('a' + i)), Type: "plough", AreaMu: 20,
			Loc: Location{Lat: 34.5 + d, Lon: 113.5 + d}})
	}
	// b is locked 09:00–11:00. Every free job takes 2 h and lies ≥ 3 minutes from the base, so none can be done
	// between 07:00 and 09:00: all must come after the lock.
	inst.Jobs[1].Lock = &Assignment{Machine: "m1", Day: 0, Start: 540, End: 660}
	p := solveOK(t, inst, Options{Seed: 1})
	if len(p.Unplaced) != 0 {
		t.Fatalf("unplaced: %v", p.Unplaced)
	}
	for _, a := range p.Assignments {
		if a.Job == "b" && (a.Start != 540 || a.End != 660 || !a.Locked) {
			t.Fatalf("lock not kept: %+v", a)
		}
		if a.Job != "b" && a.Start < 660 {
			t.Fatalf("free job %s at %d–%d cannot be done before the 09:00 lock", a.Job, a.Start, a.End)
		}
	}
	// with 05:00–15:40 only two free jobs fit after the lock, so one must go before it (Check verifies it arrives
	// in time)
	inst.DayStart, inst.DayEnd = 300, 940
	p = solveOK(t, inst, Options{Seed: 1})
	before := 0
	for _, a := range p.Assignments {
		if a.Job != "b" && a.End <= 540 {
			before++
		}
	}
	if before == 0 || len(p.Unplaced) != 0 {
		t.Fatalf("with a 05:00 start a job should go before the lock: %+v", p.Assignments)
	}
	// the locked job's work counts against the 10-hour cap: 4 jobs × 2 h = 8 h fits
	inst.Machines[0].HoursPerDay = 5
	p = solveOK(t, inst, Options{Seed: 1})
	if len(p.Unplaced) != 2 {
		t.Fatalf("with a 5-hour day only one free 2-hour job fits beside the lock; unplaced %v", p.Unplaced)
	}
}

func TestUnplacedReasons(t *testing.T) {
	base := Location{Lat: 34.5, Lon: 113.5}
	inst := &Instance{Days: 2, DayStart: 420, DayEnd: 1140, Machines: []Machine{
		{ID: "p", Types: []string{"plough"}, Base: base, RateMuPerHour: 10, HoursPerDay: 8},
		{ID: "s", Types: []string{"spray"}, Base: base, RateMuPerHour: 40, Unavailable: []int{0, 1}},
	}, Jobs: []Job{
		{ID: "harvest", Type: "harvest", Loc: base, AreaMu: 10},
		{ID: "later", Type: "plough", Loc: base, AreaMu: 10, EarliestDay: 5, LatestDay: 6},
		{ID: "spray", Type: "spray", Loc: base, AreaMu: 10},
		{ID: "far", Type: "plough", Loc: Location{Lat: 40, Lon: 120}, AreaMu: 10},
		{ID: "fill1", Type: "plough", Loc: base, AreaMu: 80, EarliestDay: 0, LatestDay: 1},
		{ID: "fill2", Type: "plough", Loc: base, AreaMu: 80, EarliestDay: 0, LatestDay: 1},
		{ID: "over", Type: "plough", Loc: base, AreaMu: 10, EarliestDay: 0, LatestDay: 1},
	}}
	p := solveOK(t, inst, Options{Seed: 1})
	want := map[string]string{
		"harvest": "没有可做该作业的农机",
		"later":   "作业窗口在计划期之后",
		"spray":   "可做该作业的农机在计划期内都不可用",
		"far":     "离可做该作业的农机基地太远或面积太大，一天内无法往返完成",
		"over":    "计划期内可做该作业的农机已排满",
	}
	got := map[string]string{}
	for _, u := range p.Unplaced {
		got[u.Job] = u.Reason
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("unplaced reasons\n got %v\nwant %v", got, want)
	}
	if p.Feasible {
		t.Fatal("a plan with unplaced jobs is not feasible")
	}
}

func TestSplitLargeJob(t *testing.T) {
	base := Location{Lat: 34.5, Lon: 113.5}
	inst := &Instance{Days: 4, DayStart: 420, DayEnd: 1140, Machines: []Machine{
		{ID: "a", Types: []string{"harvest"}, Base: base, RateMuPerHour: 10, HoursPerDay: 8},
		{ID: "b", Types: []string{"harvest"}, Base: base, RateMuPerHour: 12, HoursPerDay: 8},
	}, Jobs: []Job{{ID: "big", Type: "harvest", Loc: Location{Lat: 34.52, Lon: 113.52}, AreaMu: 300, LatestDay: 3}}}
	p := solveOK(t, inst, Options{Seed: 1})
	if len(p.Unplaced) != 0 || len(p.Assignments) < 4 {
		t.Fatalf("300 亩 at ≤ 96 亩/day needs ≥ 4 parts: %+v unplaced %v", p.Assignments, p.Unplaced)
	}
	sum := 0.0
	for _, a := range p.Assignments {
		if a.Parts != len(p.Assignments) || a.Part < 1 {
			t.Fatalf("part numbering: %+v", a)
		}
		sum += a.AreaMu
	}
	if sum < 299.999 || sum > 300.001 {
		t.Fatalf("parts add up to %v 亩", sum)
	}
}

func TestLatenessWhenNoMachineInWindow(t *testing.T) {
	base := Location{Lat: 34.5, Lon: 113.5}
	inst := &Instance{Days: 3, DayStart: 420, DayEnd: 1140, Machines: []Machine{
		{ID: "a", Types: []string{"sow"}, Base: base, RateMuPerHour: 10, Unavailable: []int{0}},
	}, Jobs: []Job{{ID: "j", Type: "sow", Loc: base, AreaMu: 10, EarliestDay: 0, LatestDay: 0}}}
	p := solveOK(t, inst, Options{Seed: 1})
	if len(p.Assignments) != 1 || p.Assignments[0].Day != 1 || p.Assignments[0].LateDays != 1 || p.LatenessDays != 1 {
		t.Fatalf("want the job one day late on day 1: %+v", p)
	}
	if p.Feasible || p.Cost != p.TravelKm+DefaultLatenessPenaltyKm {
		t.Fatalf("cost %v travel %v feasible %v", p.Cost, p.TravelKm, p.Feasible)
	}
}

func TestMatrixDistances(t *testing.T) {
	inst := &Instance{Days: 1, DayStart: 420, DayEnd: 1140,
		Matrix:   [][]float64{{0, 5, 9}, {5, 0, 3}, {9, 3, 0}},
		Machines: []Machine{{ID: "m", Types: []string{"spray"}, Base: Location{Index: 0}, RateMuPerHour: 30}},
		Jobs: []Job{{ID: "x", Type: "spray", Loc: Location{Index: 1}, AreaMu: 10},
			{ID: "y", Type: "spray", Loc: Location{Index: 2}, AreaMu: 10}}}
	p := solveOK(t, inst, Options{Seed: 1})
	if p.TravelKm != 17 { // 0→1→2→0 = 5+3+9
		t.Fatalf("travel %v, want 17 from the matrix", p.TravelKm)
	}
	inst.Jobs[0].Loc.Index = 7
	if f := apperr.FieldsOf(Validate(inst)); f["jobs[0].loc.index"] == "" {
		t.Fatalf("index outside the matrix not reported: %v", f)
	}
}

func TestDeterministicWithSeedAndIterations(t *testing.T) {
	a := solveOK(t, genCounty(5, 150, 15, 3), Options{Seed: 9, MaxIterations: 800})
	b := solveOK(t, genCounty(5, 150, 15, 3), Options{Seed: 9, MaxIterations: 800})
	a.ElapsedMs, b.ElapsedMs = 0, 0
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed and iterations gave different plans")
	}
}

func TestSearchImprovesConstruction(t *testing.T) {
	inst := genCounty(6, 300, 30, 5)
	c := solveOK(t, inst, Options{Seed: 1, MaxIterations: 1})
	s := solveOK(t, inst, Options{Seed: 1, MaxIterations: 5000})
	if len(s.Unplaced) > len(c.Unplaced) || len(s.Unplaced) == len(c.Unplaced) && s.Cost >= c.Cost {
		t.Fatalf("search did not improve: construction %d unplaced %.1f, after %d unplaced %.1f",
			len(c.Unplaced), c.Cost, len(s.Unplaced), s.Cost)
	}
	t.Logf("construction %.1f km → %.1f km after 5000 iterations", c.Cost, s.Cost)
}

func TestCancelledContextReturnsPlan(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	inst := genCounty(7, 200, 20, 3)
	start := time.Now()
	p, err := Solve(ctx, inst, Options{TimeLimit: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("cancelled solve took %v", time.Since(start))
	}
	if err := Check(inst, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Assignments) == 0 {
		t.Fatal("no plan after cancel")
	}
}

// TestSmallInstancesMatchExact compares Solve with the exact DP on a few small instances: Solve can never beat the
// optimum (that would be a bug in one of them) and should reach it on instances this small.
func TestSmallInstancesMatchExact(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		inst := genSmall(seed, 9, seed%2 == 0)
		p := solveOK(t, inst, Options{Seed: 1, MaxIterations: 3000})
		u, opt := exact(inst)
		if len(p.Unplaced) < u || len(p.Unplaced) == u && p.Cost < opt-2e-3 {
			t.Fatalf("seed %d: Solve (%d unplaced, %.3f) beats the exact optimum (%d, %.3f)", seed, len(p.Unplaced), p.Cost, u, opt)
		}
		if len(p.Unplaced) != u || p.Cost > opt*1.02+1e-6 {
			t.Errorf("seed %d: Solve %d unplaced %.3f vs optimum %d unplaced %.3f", seed, len(p.Unplaced), p.Cost, u, opt)
		}
	}
}
