// Package dispatch plans machinery dispatch (农机调度): it assigns pending field jobs to machines over a horizon of
// days and orders each machine's day. It is pure Go: plain structs (and their JSON) in and out, no database, no web.
//
// Model (what Solve guarantees):
//   - A machine starts and ends every working day at its base; it cannot work on its unavailable days.
//   - A job needs a machine whose Types contain the job's Type; its field work lasts AreaMu / RateMuPerHour hours on
//     that machine. Travel time is road km / SpeedKmh.
//   - A machine-day's route (leave base → jobs → back at base) lies within [DayStart, DayEnd], and its field work
//     does not exceed HoursPerDay (when set). Travel counts against the day, not against HoursPerDay.
//   - A job is done on one day within its window [EarliestDay, LatestDay] when possible. Lateness (a day after
//     LatestDay, still inside the horizon) is allowed but costs LatenessPenaltyKm per day; earlier than EarliestDay
//     is never allowed (the crop is not ready).
//   - A job too large for any compatible machine-day is split into equal day parts (Assignment.Part/Parts), each
//     placed on its own (possibly on different machines or days).
//   - A job with a Lock is kept exactly where the lock says (machine, day, start, end); free jobs are routed around
//     it. A locked job is never split.
//   - Objective, lexicographically: place as many jobs (parts) as possible, then minimise
//     Cost = TravelKm + LatenessPenaltyKm × LatenessDays. Jobs that cannot be placed are listed with a reason.
//
// Re-planning after new orders or a breakdown is a new Solve call with Lock set on started or hand-fixed jobs and
// the broken machine's days in Unavailable.
package dispatch

import (
	"context"
	"time"
)

// Instance is a planning horizon of Days days; times are minutes after midnight of each day.
type Instance struct {
	Days     int `json:"days"`
	DayStart int `json:"day_start"` // e.g. 420 = 07:00
	DayEnd   int `json:"day_end"`   // e.g. 1140 = 19:00
	// SpeedKmh is the travel speed between fields (default 30).
	SpeedKmh float64 `json:"speed_kmh"`
	// RoadFactor turns great-circle km into road km (default 1.3); unused when Matrix is given.
	RoadFactor float64 `json:"road_factor"`
	// Matrix is an optional imported road-distance matrix (km) indexed by Location.Index; when set, every base and
	// job location must carry an Index inside it.
	Matrix [][]float64 `json:"matrix,omitempty"`
	// LatenessPenaltyKm is the cost of one job-day of lateness in km-equivalents (default 200).
	LatenessPenaltyKm float64   `json:"lateness_penalty_km,omitempty"`
	Machines          []Machine `json:"machines"`
	Jobs              []Job     `json:"jobs"`
}

// Location is a point (WGS-84 degrees) and, when the instance has a Matrix, its row in the matrix.
type Location struct {
	Lat   float64 `json:"lat"`
	Lon   float64 `json:"lon"`
	Index int     `json:"index,omitempty"`
}

// Machine is one machine (农机) with its operator.
type Machine struct {
	ID string `json:"id"`
	// Types are the services it can do, e.g. "plough", "sow", "spray", "harvest".
	Types         []string `json:"types"`
	Base          Location `json:"base"`
	RateMuPerHour float64  `json:"rate_mu_per_hour"`
	// HoursPerDay caps the field-work hours per day (0 = only the day length caps it).
	HoursPerDay float64 `json:"hours_per_day,omitempty"`
	// Unavailable lists 0-based days the machine cannot work (broken down, maintenance).
	Unavailable []int `json:"unavailable_days,omitempty"`
}

// Job is one service on one plot (one order line) with its agronomic window.
type Job struct {
	ID     string   `json:"id"`
	Type   string   `json:"type"`
	Loc    Location `json:"loc"`
	AreaMu float64  `json:"area_mu"` // 亩
	// EarliestDay and LatestDay bound the agronomic window, inclusive, 0-based.
	EarliestDay int `json:"earliest_day"`
	LatestDay   int `json:"latest_day"`
	// Lock fixes the job by hand or because it has started: it is never moved. Lock.Job may be empty.
	Lock *Assignment `json:"lock,omitempty"`
}

// Assignment places a job (or one day part of it) on a machine, a day and a time.
type Assignment struct {
	Job     string `json:"job"`
	Machine string `json:"machine"`
	Day     int    `json:"day"`
	Start   int    `json:"start"` // minutes after midnight: field work starts
	End     int    `json:"end"`   // field work ends
	// Part and Parts number the day parts of a split job (1-based); both 0 for a whole job.
	Part  int `json:"part,omitempty"`
	Parts int `json:"parts,omitempty"`
	// AreaMu is the area worked by this assignment (the whole job's area unless split).
	AreaMu float64 `json:"area_mu,omitempty"`
	// LateDays is how many days after the job's LatestDay this assignment is (0 = within the window).
	LateDays int `json:"late_days,omitempty"`
	// Locked reports that the assignment came from the job's Lock.
	Locked bool `json:"locked,omitempty"`
}

// MachineDay is one machine's working day in a plan: when it leaves and is back at its base (minutes after
// midnight, travel included), its travel and its field work.
type MachineDay struct {
	Machine     string  `json:"machine"`
	Day         int     `json:"day"`
	Leave       int     `json:"leave"`
	Return      int     `json:"return"`
	TravelKm    float64 `json:"travel_km"`
	WorkMinutes int     `json:"work_minutes"`
	Jobs        int     `json:"jobs"`
}

// Unplaced is a job (or day part) the plan could not place; Reason is in Chinese, e.g. "没有可做该作业的农机".
// For a split job, each unplaced part is listed (Part ≥ 1) and the other parts may be placed.
type Unplaced struct {
	Job    string  `json:"job"`
	Reason string  `json:"reason"`
	Part   int     `json:"part,omitempty"`
	AreaMu float64 `json:"area_mu"` // area left unplaced
}

// Plan is Solve's answer.
type Plan struct {
	// Assignments are ordered by machine (input order), day, start.
	Assignments []Assignment `json:"assignments"`
	// Days summarises each machine-day that has work (same order), for a per-machine timeline.
	Days         []MachineDay `json:"machine_days"`
	Unplaced     []Unplaced   `json:"unplaced"`
	TravelKm     float64      `json:"travel_km"`
	LatenessDays int          `json:"lateness_days"`
	// Cost = TravelKm + LatenessPenaltyKm × LatenessDays.
	Cost float64 `json:"cost"`
	// Feasible reports that every job is placed within its window (no unplaced job, no lateness). The capacity,
	// compatibility, availability and lock rules hold in every plan Solve returns.
	Feasible bool `json:"feasible"`
	// Iterations is the number of search iterations run; Elapsed the solve time in milliseconds.
	Iterations int   `json:"iterations"`
	ElapsedMs  int64 `json:"elapsed_ms"`
}

// Options control a solve.
type Options struct {
	// TimeLimit bounds the search (default 5 s). Solve returns the best plan found when it or ctx ends.
	TimeLimit time.Duration
	// Seed makes the search reproducible together with MaxIterations.
	Seed uint64
	// MaxIterations stops the search after this many improvement iterations (0 = only the time limit); set it for
	// results that do not depend on the machine's speed.
	MaxIterations int
}

// Defaults filled in by Validate.
const (
	DefaultSpeedKmh          = 30
	DefaultRoadFactor        = 1.3
	DefaultLatenessPenaltyKm = 200
	DefaultTimeLimit         = 5 * time.Second
)

// Limits on instance size (the solver keeps per-job and per-machine-day data in memory).
const (
	MaxJobs     = 50000
	MaxMachines = 5000
	MaxDays     = 366
	// MaxMachineDays bounds machines × days (the search keeps one route per machine-day).
	MaxMachineDays = 100000
)

// Validate checks inst and fills its defaults (speed, road factor, lateness penalty, an empty lock's Job). The
// error is an *apperr.Error with Code Invalid: Fields maps each bad field (e.g. "jobs[3].area_mu") to a Chinese
// message, and Message names the first one ("jobs[3].area_mu 必须大于 0").
func Validate(inst *Instance) error { return validate(inst) }

// Solve validates inst (filling defaults), builds a plan and improves it until opt.TimeLimit, opt.MaxIterations or
// ctx ends the search, and returns the best plan found. The error is non-nil only for an invalid instance; a
// cancelled ctx still returns the best plan so far.
func Solve(ctx context.Context, inst *Instance, opt Options) (Plan, error) {
	return solve(ctx, inst, opt)
}
