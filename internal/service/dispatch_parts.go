package service

import (
	"strconv"
	"strings"
)

// JobPart is one day part of a job the dispatch solver split because it is larger than one machine-day.
type JobPart struct {
	Part        int     `json:"part" doc:"第几段（从 1 起）"`
	Parts       int     `json:"parts" doc:"共几段"`
	MachineID   int64   `json:"machine_id" doc:"0 = 该段未排入"`
	MachineName string  `json:"machine_name"`
	Day         string  `json:"day"`
	Start       int     `json:"start" doc:"计划开始（当天分钟数）"`
	End         int     `json:"end"`
	AreaMu      float64 `json:"area_mu"`
}

// partID names a locked part of a split job in the solver instance ("job#part"); parseJobID reads either form.
func partID(jobID int64, part int) string {
	return strconv.FormatInt(jobID, 10) + "#" + strconv.Itoa(part)
}

func parseJobID(id string) (job string, part int) {
	j, p, ok := strings.Cut(id, "#")
	if !ok {
		return id, 0
	}
	n, _ := strconv.Atoi(p)
	return j, n
}

// expandParts turns every split job into one copy per placed part (machine, day, times and area of that part), so
// the timeline, the route map and the provider's list draw every day part; whole jobs pass through.
func expandParts(jobs []Job) []Job {
	out := make([]Job, 0, len(jobs))
	for _, j := range jobs {
		if len(j.Parts) == 0 {
			out = append(out, j)
			continue
		}
		for _, p := range j.Parts {
			c := j
			c.Part, c.MachineID, c.MachineName, c.PlanDay, c.PlanStart, c.PlanEnd, c.AreaMu = p.Part, p.MachineID, p.MachineName, p.Day, p.Start, p.End, p.AreaMu
			if p.MachineID == 0 {
				c.Status = JobPending // an unplaced part is still to be dispatched
			}
			out = append(out, c)
		}
	}
	return out
}

// PartLabel is "第 k/n 段" for a part copy, empty for a whole job.
func (j Job) PartLabel() string {
	if j.Part == 0 || len(j.Parts) == 0 {
		return ""
	}
	return "第 " + strconv.Itoa(j.Part) + "/" + strconv.Itoa(len(j.Parts)) + " 段"
}
