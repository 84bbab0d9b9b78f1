package dispatch

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// serviceTypes with a typical work rate (亩/hour) of a machine doing them.
var serviceTypes = []struct {
	name string
	rate float64
}{{"plough", 8}, {"sow", 10}, {"spray", 40}, {"harvest", 12}}

// genCounty generates a county-like instance: machines based in townships, plots clustered around villages within
// about 25 km of the county seat, agronomic windows of 1–3 days, plot areas of a few to about a hundred 亩.
func genCounty(seed uint64, jobs, machines, days int) *Instance {
	rng := rand.New(rand.NewPCG(seed, 7))
	const lat0, lon0 = 34.5, 113.5
	kmLat, kmLon := 1/110.574, 1/(111.320*math.Cos(lat0*math.Pi/180))
	point := func(cx, cy, spread float64) Location {
		return Location{Lat: lat0 + (cy+rng.NormFloat64()*spread)*kmLat, Lon: lon0 + (cx+rng.NormFloat64()*spread)*kmLon}
	}
	towns := make([][2]float64, 12)
	for i := range towns {
		towns[i] = [2]float64{rng.Float64()*50 - 25, rng.Float64()*50 - 25}
	}
	villages := make([][2]float64, max(1, jobs/25))
	for i := range villages {
		t := towns[rng.IntN(len(towns))]
		villages[i] = [2]float64{t[0] + rng.NormFloat64()*5, t[1] + rng.NormFloat64()*5}
	}
	inst := &Instance{Days: days, DayStart: 420, DayEnd: 1140}
	for i := 0; i < machines; i++ {
		t := towns[rng.IntN(len(towns))]
		st := serviceTypes[i%len(serviceTypes)]
		types := []string{st.name}
		if rng.Float64() < 0.3 {
			types = append(types, serviceTypes[(i+1)%len(serviceTypes)].name)
		}
		m := Machine{
			ID: fmt.Sprintf("M%03d", i+1), Types: types, Base: point(t[0], t[1], 2),
			RateMuPerHour: st.rate * (0.8 + 0.4*rng.Float64()), HoursPerDay: float64(8 + rng.IntN(3)),
		}
		if rng.Float64() < 0.05 {
			m.Unavailable = []int{rng.IntN(days)}
		}
		inst.Machines = append(inst.Machines, m)
	}
	for i := 0; i < jobs; i++ {
		v := villages[rng.IntN(len(villages))]
		st := serviceTypes[rng.IntN(len(serviceTypes))]
		area := math.Round(math.Min(200, math.Exp(3.0+0.8*rng.NormFloat64()))*10) / 10
		area = math.Max(area, 1)
		e := rng.IntN(max(1, days-2))
		inst.Jobs = append(inst.Jobs, Job{
			ID: fmt.Sprintf("J%05d", i+1), Type: st.name, Loc: point(v[0], v[1], 1), AreaMu: area,
			EarliestDay: e, LatestDay: min(days-1, e+rng.IntN(3)),
		})
	}
	return inst
}

// genSmall generates a small instance for the exact comparison: n jobs, 2–3 machines, 2–3 days, no job larger than
// a machine-day (so no splitting) and windows that leave the search real choices.
// A tight instance has fewer machine hours than work, so the optimum trades lateness and unplaced jobs.
func genSmall(seed uint64, n int, tight bool) *Instance {
	rng := rand.New(rand.NewPCG(seed, 11))
	const lat0, lon0 = 34.5, 113.5
	kmLat, kmLon := 1/110.574, 1/(111.320*math.Cos(lat0*math.Pi/180))
	loc := func() Location {
		return Location{Lat: lat0 + (rng.Float64()*30-15)*kmLat, Lon: lon0 + (rng.Float64()*30-15)*kmLon}
	}
	days := 2 + rng.IntN(2)
	inst := &Instance{Days: days, DayStart: 420, DayEnd: 1140}
	if tight {
		// a cheap day of lateness, so the optimum weighs it against travel
		inst.LatenessPenaltyKm = 30
	}
	nm := 2 + rng.IntN(2)
	for i := 0; i < nm; i++ {
		types := []string{"plough"}
		if i%2 == 1 {
			types = []string{"plough", "sow"}
		}
		inst.Machines = append(inst.Machines, Machine{
			ID: fmt.Sprintf("M%d", i+1), Types: types, Base: loc(), RateMuPerHour: 8 + 4*rng.Float64(),
			HoursPerDay: 3 + float64(rng.IntN(4)),
		})
		if tight {
			inst.Machines[i].HoursPerDay = 2 + float64(rng.IntN(2))
		}
	}
	for i := 0; i < n; i++ {
		typ := "plough"
		if rng.Float64() < 0.3 {
			typ = "sow"
		}
		e := rng.IntN(days)
		l := min(days-1, e+rng.IntN(2))
		if tight {
			e = rng.IntN(days - 1)
			l = e
		}
		inst.Jobs = append(inst.Jobs, Job{
			ID: fmt.Sprintf("J%02d", i+1), Type: typ, Loc: loc(), AreaMu: math.Round(4 + rng.Float64()*12),
			EarliestDay: e, LatestDay: l,
		})
	}
	return inst
}
