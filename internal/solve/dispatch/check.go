package dispatch

import (
	"fmt"
	"math"
	"sort"
)

// Check verifies a plan against its (validated) instance independently of the search: every job is either placed
// in full (its parts' areas add up) or listed as unplaced; each assignment uses a compatible, available machine on a
// day inside the horizon and not before the job's window; locks are kept exactly; each machine-day leaves the base
// no earlier than day start, reaches each field in time (travel at the instance's speed), does the field work for
// area / rate, keeps free work within HoursPerDay and is home by day end (times may be off by one minute from
// rounding); and the plan's travel, lateness and cost figures match. It returns the first violation, in Chinese.
// A dispatcher's hand-edited plan can be checked the same way.
func Check(inst *Instance, p *Plan) error {
	machineAt := map[string]int{}
	for i, m := range inst.Machines {
		machineAt[m.ID] = i
	}
	jobAt := map[string]int{}
	for i, j := range inst.Jobs {
		jobAt[j.ID] = i
	}
	area := make([]float64, len(inst.Jobs))   // placed
	unArea := make([]float64, len(inst.Jobs)) // listed as unplaced
	split := make([]bool, len(inst.Jobs))
	for _, u := range p.Unplaced {
		j, ok := jobAt[u.Job]
		if !ok {
			return fmt.Errorf("未安排列表中的作业 %s 不存在", u.Job)
		}
		unArea[j] += u.AreaMu
		split[j] = split[j] || u.Part > 0
	}
	type slot struct{ m, d int }
	days := map[slot][]Assignment{}
	late := 0
	for _, a := range p.Assignments {
		j, ok := jobAt[a.Job]
		if !ok {
			return fmt.Errorf("安排中的作业 %s 不存在", a.Job)
		}
		m, ok := machineAt[a.Machine]
		if !ok {
			return fmt.Errorf("作业 %s 安排给了不存在的农机 %s", a.Job, a.Machine)
		}
		job, mach := &inst.Jobs[j], &inst.Machines[m]
		if l := job.Lock; l != nil {
			if a.Machine != l.Machine || a.Day != l.Day || a.Start != l.Start || a.End != l.End {
				return fmt.Errorf("锁定作业 %s 被移动了", a.Job)
			}
		} else {
			compatible := false
			for _, t := range mach.Types {
				compatible = compatible || t == job.Type
			}
			if !compatible {
				return fmt.Errorf("农机 %s 不能做作业 %s 的类型 %s", a.Machine, a.Job, job.Type)
			}
			if a.Day < job.EarliestDay {
				return fmt.Errorf("作业 %s 安排在第 %d 天，早于作业窗口", a.Job, a.Day)
			}
			for _, d := range mach.Unavailable {
				if d == a.Day {
					return fmt.Errorf("农机 %s 第 %d 天不可用却安排了作业 %s", a.Machine, a.Day, a.Job)
				}
			}
		}
		if a.Day < 0 || a.Day >= inst.Days {
			return fmt.Errorf("作业 %s 安排在计划期外（第 %d 天）", a.Job, a.Day)
		}
		if lt := max(0, a.Day-job.LatestDay); lt != a.LateDays {
			return fmt.Errorf("作业 %s 的延误天数应为 %d（计划中为 %d）", a.Job, lt, a.LateDays)
		}
		late += a.LateDays
		if a.Parts == 0 {
			area[j] += job.AreaMu
		} else {
			area[j] += a.AreaMu
			split[j] = true
		}
		days[slot{m, a.Day}] = append(days[slot{m, a.Day}], a)
	}
	for j, job := range inst.Jobs {
		if !split[j] && area[j] > 0 && unArea[j] > 0 {
			return fmt.Errorf("作业 %s 既已安排又列为未安排", job.ID)
		}
		if got := area[j] + unArea[j]; math.Abs(got-job.AreaMu) > 1e-6*math.Max(1, job.AreaMu) {
			return fmt.Errorf("作业 %s 已安排 %.2f 亩、未安排 %.2f 亩，与作业面积 %.2f 亩不符", job.ID, area[j], unArea[j], job.AreaMu)
		}
	}
	keys := make([]slot, 0, len(days))
	for k := range days {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a].m < keys[b].m || keys[a].m == keys[b].m && keys[a].d < keys[b].d })
	summary := map[slot]MachineDay{}
	for _, md := range p.Days {
		m, ok := machineAt[md.Machine]
		if !ok {
			return fmt.Errorf("农机日汇总中的农机 %s 不存在", md.Machine)
		}
		summary[slot{m, md.Day}] = md
	}
	if len(summary) != len(days) {
		return fmt.Errorf("农机日汇总有 %d 条，安排涉及 %d 个农机日", len(summary), len(days))
	}
	km := 0.0
	for _, k := range keys {
		as := days[k]
		dk, err := checkDay(inst, jobAt, &inst.Machines[k.m], as)
		if err != nil {
			return fmt.Errorf("农机 %s 第 %d 天：%w", inst.Machines[k.m].ID, k.d, err)
		}
		km += dk
		sm, ok := summary[k]
		switch {
		case !ok || sm.Jobs != len(as) || math.Abs(sm.TravelKm-dk) > 1e-3*math.Max(1, dk):
			return fmt.Errorf("农机 %s 第 %d 天的汇总与安排不符", inst.Machines[k.m].ID, k.d)
		case inst.Jobs[jobAt[as[0].Job]].Lock == nil && sm.Leave < inst.DayStart-1:
			return fmt.Errorf("农机 %s 第 %d 天 %d 分出发，早于上班时间", inst.Machines[k.m].ID, k.d, sm.Leave)
		case inst.Jobs[jobAt[as[len(as)-1].Job]].Lock == nil && sm.Return > inst.DayEnd+1:
			return fmt.Errorf("农机 %s 第 %d 天 %d 分回到基地，晚于收工时间", inst.Machines[k.m].ID, k.d, sm.Return)
		}
	}
	if math.Abs(km-p.TravelKm) > 1e-3*math.Max(1, km) {
		return fmt.Errorf("总行驶里程应为 %.3f 公里（计划中为 %.3f）", km, p.TravelKm)
	}
	if late != p.LatenessDays {
		return fmt.Errorf("总延误天数应为 %d（计划中为 %d）", late, p.LatenessDays)
	}
	if want := km + inst.LatenessPenaltyKm*float64(late); math.Abs(want-p.Cost) > 1e-3*math.Max(1, want) {
		return fmt.Errorf("成本应为 %.3f（计划中为 %.3f）", want, p.Cost)
	}
	if p.Feasible != (len(p.Unplaced) == 0 && late == 0) {
		return fmt.Errorf("feasible 标志与计划不符")
	}
	return nil
}

// checkDay checks one machine-day's assignments (in plan order) and returns its travel km.
func checkDay(inst *Instance, jobAt map[string]int, m *Machine, as []Assignment) (float64, error) {
	const tol = 1.0 // minutes of rounding
	minPerKm := 60 / inst.SpeedKmh
	dist := func(a, b Location) float64 {
		if len(inst.Matrix) > 0 {
			return inst.Matrix[a.Index][b.Index]
		}
		return greatCircleKm(a, b) * inst.RoadFactor
	}
	prev, prevLocked := m.Base, true
	t := float64(inst.DayStart)
	km, work := 0.0, 0.0
	free := false
	for _, a := range as {
		job := &inst.Jobs[jobAt[a.Job]]
		d := dist(prev, job.Loc)
		km += d
		arrive := t + d*minPerKm
		if a.End > 1440 || a.Start > a.End {
			return 0, fmt.Errorf("作业 %s 的时段 %d–%d 无效", a.Job, a.Start, a.End)
		}
		if job.Lock == nil {
			area := job.AreaMu
			if a.Parts > 0 {
				area = a.AreaMu
			}
			w := area / m.RateMuPerHour * 60
			if math.Abs(float64(a.End-a.Start)-w) > tol {
				return 0, fmt.Errorf("作业 %s 作业时长应为 %.0f 分钟", a.Job, w)
			}
			free = true
		}
		if (!prevLocked || job.Lock == nil) && float64(a.Start) < arrive-tol {
			return 0, fmt.Errorf("来不及赶到作业 %s（最早 %.0f 分到达）", a.Job, arrive)
		}
		work += float64(a.End - a.Start)
		t = float64(a.End)
		prev, prevLocked = job.Loc, job.Lock != nil
	}
	d := dist(prev, m.Base)
	km += d
	if !prevLocked && t+d*minPerKm > float64(inst.DayEnd)+tol {
		return 0, fmt.Errorf("收工回到基地晚于 %d 分", inst.DayEnd)
	}
	if free && m.HoursPerDay > 0 && work > m.HoursPerDay*60+tol*float64(len(as)) {
		return 0, fmt.Errorf("作业时长 %.0f 分钟超过每天 %.1f 小时", work, m.HoursPerDay)
	}
	return km, nil
}

// greatCircleKm is the haversine distance between two points.
func greatCircleKm(a, b Location) float64 {
	la1, la2 := a.Lat*math.Pi/180, b.Lat*math.Pi/180
	dl := la2 - la1
	dn := (b.Lon - a.Lon) * math.Pi / 180
	h := math.Sin(dl/2)*math.Sin(dl/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dn/2)*math.Sin(dn/2)
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(math.Min(1, h)))
}
