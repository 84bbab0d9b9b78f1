package dispatch

import (
	"fmt"
	"math"
	"sort"

	"nongfu/internal/apperr"
)

// maxFieldErrors bounds the field messages of one validation: a broken file of 50,000 jobs should not produce a
// 50,000-entry error.
const maxFieldErrors = 50

type fieldErrs struct {
	fields map[string]string
	first  string
}

func (f *fieldErrs) add(field, format string, args ...any) {
	if len(f.fields) >= maxFieldErrors {
		return
	}
	if _, dup := f.fields[field]; dup {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if f.fields == nil {
		f.fields = map[string]string{}
		f.first = field + " " + msg
	}
	f.fields[field] = msg
}

func (f *fieldErrs) err() error {
	if len(f.fields) == 0 {
		return nil
	}
	msg := f.first
	if len(f.fields) > 1 {
		msg += fmt.Sprintf("（另有 %d 处错误）", len(f.fields)-1)
	}
	return &apperr.Error{Code: apperr.Invalid, Message: msg, Fields: f.fields}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func validate(inst *Instance) error {
	if inst == nil {
		return apperr.New(apperr.Invalid, "缺少调度算例")
	}
	var fe fieldErrs
	switch {
	case inst.Days < 1:
		fe.add("days", "必须至少为 1（收到 %d）", inst.Days)
	case inst.Days > MaxDays:
		fe.add("days", "不能超过 %d（收到 %d）", MaxDays, inst.Days)
	}
	if inst.DayStart < 0 || inst.DayStart >= 1440 {
		fe.add("day_start", "必须在 0 到 1439 分钟之间（收到 %d）", inst.DayStart)
	}
	if inst.DayEnd <= inst.DayStart || inst.DayEnd > 1440 {
		fe.add("day_end", "必须晚于 day_start 且不超过 1440 分钟（收到 %d）", inst.DayEnd)
	}
	if inst.SpeedKmh == 0 {
		inst.SpeedKmh = DefaultSpeedKmh
	}
	if !finite(inst.SpeedKmh) || inst.SpeedKmh < 1 || inst.SpeedKmh > 200 {
		fe.add("speed_kmh", "必须在 1 到 200 之间（收到 %g）", inst.SpeedKmh)
	}
	if inst.RoadFactor == 0 {
		inst.RoadFactor = DefaultRoadFactor
	}
	if !finite(inst.RoadFactor) || inst.RoadFactor < 1 || inst.RoadFactor > 10 {
		fe.add("road_factor", "必须在 1 到 10 之间（收到 %g）", inst.RoadFactor)
	}
	if inst.LatenessPenaltyKm == 0 {
		inst.LatenessPenaltyKm = DefaultLatenessPenaltyKm
	}
	if !finite(inst.LatenessPenaltyKm) || inst.LatenessPenaltyKm < 0 || inst.LatenessPenaltyKm > 1e7 {
		fe.add("lateness_penalty_km", "必须在 0 到 10000000 之间（收到 %g）", inst.LatenessPenaltyKm)
	}
	validateMatrix(inst, &fe)
	if len(inst.Machines) > MaxMachines {
		fe.add("machines", "农机不能超过 %d 台（收到 %d）", MaxMachines, len(inst.Machines))
		return fe.err()
	}
	if inst.Days > 0 && len(inst.Machines)*inst.Days > MaxMachineDays {
		fe.add("machines", "农机台数 × 计划天数不能超过 %d（收到 %d × %d）", MaxMachineDays, len(inst.Machines), inst.Days)
		return fe.err()
	}
	if len(inst.Jobs) > MaxJobs {
		fe.add("jobs", "作业不能超过 %d 个（收到 %d）", MaxJobs, len(inst.Jobs))
		return fe.err()
	}
	machineAt := validateMachines(inst, &fe)
	validateJobs(inst, machineAt, &fe)
	return fe.err()
}

func validateMatrix(inst *Instance, fe *fieldErrs) {
	n := len(inst.Matrix)
	if n == 0 {
		return
	}
	if n > 60000 {
		fe.add("matrix", "距离矩阵过大（%d 行）", n)
		return
	}
	for i, row := range inst.Matrix {
		if len(row) != n {
			fe.add(fmt.Sprintf("matrix[%d]", i), "应有 %d 列（收到 %d）", n, len(row))
			return
		}
		for j, d := range row {
			if !finite(d) || d < 0 {
				fe.add(fmt.Sprintf("matrix[%d][%d]", i, j), "距离必须是非负数（收到 %g）", d)
				return
			}
		}
	}
}

func validateLocation(inst *Instance, field string, l Location, fe *fieldErrs) {
	if !finite(l.Lat) || l.Lat < -90 || l.Lat > 90 {
		fe.add(field+".lat", "纬度必须在 -90 到 90 之间（收到 %g）", l.Lat)
	}
	if !finite(l.Lon) || l.Lon < -180 || l.Lon > 180 {
		fe.add(field+".lon", "经度必须在 -180 到 180 之间（收到 %g）", l.Lon)
	}
	if len(inst.Matrix) > 0 && (l.Index < 0 || l.Index >= len(inst.Matrix)) {
		fe.add(field+".index", "必须在距离矩阵范围 0 到 %d 之内（收到 %d）", len(inst.Matrix)-1, l.Index)
	}
	if len(inst.Matrix) == 0 && l.Index != 0 {
		fe.add(field+".index", "没有距离矩阵时不能填写（收到 %d）", l.Index)
	}
}

// validateMachines returns the machine position by ID (first occurrence).
func validateMachines(inst *Instance, fe *fieldErrs) map[string]int {
	at := make(map[string]int, len(inst.Machines))
	for i := range inst.Machines {
		m := &inst.Machines[i]
		f := fmt.Sprintf("machines[%d]", i)
		if m.ID == "" {
			fe.add(f+".id", "不能为空")
		} else if _, dup := at[m.ID]; dup {
			fe.add(f+".id", "与第 %d 台农机重复（%s）", at[m.ID]+1, m.ID)
		} else {
			at[m.ID] = i
		}
		if len(m.Types) == 0 {
			fe.add(f+".types", "至少填写一种作业类型")
		}
		for k, t := range m.Types {
			if t == "" {
				fe.add(fmt.Sprintf("%s.types[%d]", f, k), "不能为空")
			}
		}
		validateLocation(inst, f+".base", m.Base, fe)
		if !finite(m.RateMuPerHour) || m.RateMuPerHour <= 0 || m.RateMuPerHour > 10000 {
			fe.add(f+".rate_mu_per_hour", "必须大于 0 且不超过 10000（收到 %g）", m.RateMuPerHour)
		}
		if !finite(m.HoursPerDay) || m.HoursPerDay < 0 || m.HoursPerDay > 24 {
			fe.add(f+".hours_per_day", "必须在 0 到 24 之间（收到 %g）", m.HoursPerDay)
		}
		for k, d := range m.Unavailable {
			if d < 0 || d >= inst.Days {
				fe.add(fmt.Sprintf("%s.unavailable_days[%d]", f, k), "必须在 0 到 %d 之间（收到 %d）", max(inst.Days-1, 0), d)
			}
		}
	}
	return at
}

func validateJobs(inst *Instance, machineAt map[string]int, fe *fieldErrs) {
	seen := make(map[string]int, len(inst.Jobs))
	type lockRef struct {
		job        int
		start, end int
	}
	locks := map[[2]int][]lockRef{} // (machine, day) → locks
	for i := range inst.Jobs {
		j := &inst.Jobs[i]
		f := fmt.Sprintf("jobs[%d]", i)
		if j.ID == "" {
			fe.add(f+".id", "不能为空")
		} else if k, dup := seen[j.ID]; dup {
			fe.add(f+".id", "与第 %d 个作业重复（%s）", k+1, j.ID)
		} else {
			seen[j.ID] = i
		}
		if j.Type == "" {
			fe.add(f+".type", "不能为空")
		}
		validateLocation(inst, f+".loc", j.Loc, fe)
		if !finite(j.AreaMu) || j.AreaMu <= 0 {
			fe.add(f+".area_mu", "必须大于 0（收到 %g）", j.AreaMu)
		} else if j.AreaMu > 1e6 {
			fe.add(f+".area_mu", "不能超过 1000000 亩（收到 %g）", j.AreaMu)
		}
		if j.EarliestDay < 0 {
			fe.add(f+".earliest_day", "不能小于 0（收到 %d）", j.EarliestDay)
		}
		if j.LatestDay < j.EarliestDay {
			fe.add(f+".latest_day", "不能早于 earliest_day（收到 %d < %d）", j.LatestDay, j.EarliestDay)
		}
		if j.LatestDay > 100000 || j.EarliestDay > 100000 {
			fe.add(f+".latest_day", "日期过大（收到 %d）", j.LatestDay)
		}
		if j.Lock == nil {
			continue
		}
		l := j.Lock
		if l.Job == "" {
			l.Job = j.ID
		} else if l.Job != j.ID {
			fe.add(f+".lock.job", "应为本作业的编号 %s（收到 %s）", j.ID, l.Job)
		}
		mi, ok := machineAt[l.Machine]
		if !ok {
			fe.add(f+".lock.machine", "没有编号为 %q 的农机", l.Machine)
		}
		if l.Day < 0 || l.Day >= inst.Days {
			fe.add(f+".lock.day", "必须在计划期 0 到 %d 之内（收到 %d）", max(inst.Days-1, 0), l.Day)
		} else if ok {
			for _, d := range inst.Machines[mi].Unavailable {
				if d == l.Day {
					fe.add(f+".lock.day", "农机 %s 在第 %d 天不可用，请先解除锁定", l.Machine, l.Day)
				}
			}
		}
		if l.Start < 0 || l.End <= l.Start || l.End > 1440 {
			fe.add(f+".lock.end", "锁定时段必须满足 0 ≤ start < end ≤ 1440（收到 %d–%d）", l.Start, l.End)
			continue
		}
		if ok && l.Day >= 0 && l.Day < inst.Days {
			key := [2]int{mi, l.Day}
			locks[key] = append(locks[key], lockRef{i, l.Start, l.End})
		}
	}
	keys := make([][2]int, 0, len(locks))
	for k := range locks {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a][0] != keys[b][0] {
			return keys[a][0] < keys[b][0]
		}
		return keys[a][1] < keys[b][1]
	})
	for _, k := range keys {
		ls := locks[k]
		sort.Slice(ls, func(a, b int) bool { return ls[a].start < ls[b].start })
		for x := 1; x < len(ls); x++ {
			if ls[x].start < ls[x-1].end {
				fe.add(fmt.Sprintf("jobs[%d].lock.start", ls[x].job), "与作业 %s 的锁定时段重叠",
					inst.Jobs[ls[x-1].job].ID)
			}
		}
	}
}
