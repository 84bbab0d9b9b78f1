package dispatch

import (
	"context"
	"math"
	"sort"
	"time"
)

func solve(ctx context.Context, inst *Instance, opt Options) (Plan, error) {
	return solveTraced(ctx, inst, opt, nil)
}

// trace reports the search's progress (used by the benchmarks): the first plan, then every new best.
type trace func(elapsed time.Duration, iters int, cost float64, unplaced int)

func solveTraced(ctx context.Context, inst *Instance, opt Options, tr trace) (Plan, error) {
	start := time.Now()
	if err := validate(inst); err != nil {
		return Plan{}, err
	}
	if opt.TimeLimit <= 0 {
		opt.TimeLimit = DefaultTimeLimit
	}
	deadline := start.Add(opt.TimeLimit)
	md := newModel(inst)
	s := newState(md, opt.Seed)
	// the construction always completes: it is the first feasible plan and takes well under a second at county scale
	s.construct()
	best := s.snapshot(nil)
	bestObj := s.obj()
	if tr != nil {
		tr(time.Since(start), 0, s.cost, s.unplaced)
	}
	iters, lastBest := 0, 0
	if len(md.tasks) > 1 {
		l := newLNS(s)
		done := ctx.Done()
		progress := func() float64 {
			if opt.MaxIterations > 0 {
				return float64(iters) / float64(opt.MaxIterations)
			}
			return float64(time.Since(start)) / float64(opt.TimeLimit)
		}
		p := 0.0
	loop:
		for opt.MaxIterations <= 0 || iters < opt.MaxIterations {
			if iters&15 == 0 {
				select {
				case <-done:
					break loop
				default:
				}
				if time.Now().After(deadline) {
					break
				}
				p = progress()
			}
			iters++
			if opt.MaxIterations <= 0 && iters-lastBest > stagnation(len(md.tasks)) {
				break
			}
			if l.step(p) && s.obj() < bestObj-eps {
				bestObj, lastBest = s.obj(), iters
				best = s.snapshot(best)
				if tr != nil {
					tr(time.Since(start), iters, s.cost, s.unplaced)
				}
			}
		}
	}
	plan := md.plan(best)
	plan.Iterations = iters
	plan.ElapsedMs = time.Since(start).Milliseconds()
	return plan, nil
}

// stagnation is how many iterations without a new best end a search that has no iteration limit: small instances
// then return in a fraction of a second instead of using the whole time limit.
func stagnation(tasks int) int { return max(50000, 200*tasks) }

// plan turns route sequences into the published Plan.
func (md *model) plan(seqs [][]int32) Plan {
	p := Plan{Assignments: []Assignment{}, Days: []MachineDay{}, Unplaced: []Unplaced{}}
	placed := make([]bool, len(md.tasks))
	var starts []float64
	late := 0
	for r, seq := range seqs {
		if len(seq) == 0 {
			continue
		}
		m := int32(r / md.days)
		day := r % md.days
		starts = append(starts[:0], make([]float64, len(seq))...)
		km, work, _ := md.timeline(m, seq, starts)
		p.TravelKm += km
		first, last := &md.tasks[seq[0]], &md.tasks[seq[len(seq)-1]]
		lastEnd := starts[len(seq)-1] + md.dur(last, m)
		p.Days = append(p.Days, MachineDay{
			Machine:     md.inst.Machines[m].ID,
			Day:         day,
			Leave:       int(math.Round(starts[0] - md.dist(md.mBase[m], first.pt)*md.minPerKm)),
			Return:      int(math.Round(lastEnd + md.dist(last.pt, md.mBase[m])*md.minPerKm)),
			TravelKm:    math.Round(km*1000) / 1000,
			WorkMinutes: int(math.Round(work)),
			Jobs:        len(seq),
		})
		for i, id := range seq {
			tk := &md.tasks[id]
			placed[id] = true
			a := Assignment{
				Job:     md.inst.Jobs[tk.job].ID,
				Machine: md.inst.Machines[m].ID,
				Day:     day,
				Part:    tk.part,
				Parts:   tk.parts,
				AreaMu:  tk.area,
				Locked:  tk.locked,
			}
			if tk.locked {
				a.Start, a.End = int(tk.lockStart), int(tk.lockEnd)
			} else {
				a.Start = int(math.Round(starts[i]))
				a.End = int(math.Round(starts[i] + md.dur(tk, m)))
			}
			if day > tk.latest {
				a.LateDays = day - tk.latest
				late += a.LateDays
			}
			p.Assignments = append(p.Assignments, a)
		}
	}
	for i := range md.tasks {
		if !placed[i] {
			tk := &md.tasks[i]
			p.Unplaced = append(p.Unplaced, Unplaced{Job: md.inst.Jobs[tk.job].ID, Part: tk.part, AreaMu: tk.area, Reason: md.reason(tk)})
		}
	}
	sort.SliceStable(p.Unplaced, func(a, b int) bool { return p.Unplaced[a].Job < p.Unplaced[b].Job })
	p.TravelKm = math.Round(p.TravelKm*1000) / 1000
	p.LatenessDays = late
	p.Cost = math.Round((p.TravelKm+md.latePen*float64(late))*1000) / 1000
	p.Feasible = len(p.Unplaced) == 0 && late == 0
	return p
}

// reason explains in Chinese why a task is not in the plan.
func (md *model) reason(tk *task) string {
	if md.noMachine[tk.job] {
		return "没有可做该作业的农机"
	}
	if tk.earliest >= md.days {
		return "作业窗口在计划期之后"
	}
	anyDay, fits := false, false
	for _, m := range md.typeMach[tk.typ] {
		for d := tk.earliest; d < md.days; d++ {
			if !md.avail[md.route(int(m), d)] {
				continue
			}
			anyDay = true
			if md.dayArea(tk, m) >= tk.area-eps {
				fits = true
			}
		}
	}
	switch {
	case !anyDay:
		return "可做该作业的农机在计划期内都不可用"
	case !fits:
		return "离可做该作业的农机基地太远或面积太大，一天内无法往返完成"
	default:
		return "计划期内可做该作业的农机已排满"
	}
}
