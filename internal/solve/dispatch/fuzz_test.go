package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"nongfu/internal/apperr"
)

// FuzzValidate feeds arbitrary JSON to the instance decoder and Validate: Validate must never panic, must reject
// with an Invalid error naming at least one field, and every instance it accepts must solve to a plan that passes
// the independent Check. The seed corpus (run by plain `go test`) covers the example, edge values and breakages.
func FuzzValidate(f *testing.F) {
	if b, err := os.ReadFile("testdata/example.json"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		`{}`,
		`{"days":1,"day_start":420,"day_end":1140,"machines":[],"jobs":[]}`,
		`{"days":1,"day_start":0,"day_end":1440,"machines":[{"id":"m","types":["x"],"base":{"lat":0,"lon":0},"rate_mu_per_hour":1}],"jobs":[{"id":"j","type":"x","loc":{"lat":0,"lon":0.01},"area_mu":1,"earliest_day":0,"latest_day":0}]}`,
		`{"days":2,"day_start":420,"day_end":1140,"matrix":[[0,1],[1,0]],"machines":[{"id":"m","types":["x"],"base":{"index":0},"rate_mu_per_hour":5,"unavailable_days":[1]}],"jobs":[{"id":"j","type":"x","loc":{"index":1},"area_mu":500,"earliest_day":0,"latest_day":0}]}`,
		`{"days":2,"day_start":420,"day_end":1140,"machines":[{"id":"m","types":["x"],"base":{"lat":30,"lon":110},"rate_mu_per_hour":5}],"jobs":[{"id":"j","type":"x","loc":{"lat":30,"lon":110},"area_mu":5,"earliest_day":0,"latest_day":1,"lock":{"machine":"m","day":1,"start":600,"end":660}},{"id":"k","type":"x","loc":{"lat":30.01,"lon":110},"area_mu":5,"earliest_day":1,"latest_day":1}]}`,
		`{"days":0,"day_start":-5,"day_end":99999,"speed_kmh":-1,"road_factor":0.5}`,
		`{"days":1,"day_start":420,"day_end":1140,"machines":[{"id":"m","types":[""],"base":{"lat":91,"lon":0},"rate_mu_per_hour":0,"hours_per_day":30}],"jobs":[{"id":"","type":"","loc":{"lat":0,"lon":200},"area_mu":0,"earliest_day":3,"latest_day":1,"lock":{"machine":"z","day":9,"start":5,"end":1}}]}`,
		`{"days":1,"day_start":420,"day_end":1140,"matrix":[[0,1],[1]],"machines":[],"jobs":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var inst Instance
		if json.Unmarshal(data, &inst) != nil {
			return
		}
		if len(inst.Jobs)*max(1, inst.Days) > 4000 || len(inst.Machines)*max(1, inst.Days) > 4000 {
			return // keep each fuzz run small
		}
		err := Validate(&inst)
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid || len(ae.Fields) == 0 || ae.Message == "" {
				t.Fatalf("want an Invalid error with fields, got %#v", err)
			}
			return
		}
		p, err := Solve(context.Background(), &inst, Options{TimeLimit: time.Second, MaxIterations: 50, Seed: 1})
		if err != nil {
			t.Fatalf("validated instance rejected by Solve: %v", err)
		}
		if err := Check(&inst, &p); err != nil {
			t.Fatalf("plan fails the check: %v", err)
		}
	})
}
