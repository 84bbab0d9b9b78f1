package scorecard

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// logitData draws n records of len(beta) standard-normal indicators (every 100th value missing) whose outcome
// follows a known logistic model: P(bad) = σ(b0 + Σ beta[j]·x[j]). It also returns the true P(bad) of each record.
// Numeric columns are built without Str, as a caller with large data would.
func logitData(n int, b0 float64, beta []float64, seed uint64) (Dataset, []float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	d := Dataset{Target: "bad", BadValue: "1", Bad: make([]bool, n), Columns: make([]Column, len(beta))}
	for j := range beta {
		d.Columns[j] = Column{Name: fmt.Sprintf("x%02d", j), Kind: Numeric, Num: make([]float64, n)}
	}
	truth := make([]float64, n)
	for i := 0; i < n; i++ {
		eta := b0
		for j, b := range beta {
			x := r.NormFloat64()
			eta += b * x
			if i%100 == j { // missing completely at random: the effect is still in the outcome
				x = math.NaN()
			}
			d.Columns[j].Num[i] = x
		}
		truth[i] = sigmoid(eta)
		d.Bad[i] = r.Float64() < truth[i]
	}
	return d, truth
}

// TestSyntheticKnownModel fits a scorecard on data drawn from a known logistic model and checks what must follow:
// the indicators without effect are dropped for low IV, every indicator with an effect is kept with the bad-rate
// trend of its sign and points that fall as risk rises, and on held-out data the scorecard ranks nearly as well as
// the true probabilities (the best any model can do).
func TestSyntheticKnownModel(t *testing.T) {
	beta := []float64{0.8, -0.6, 0.5, -0.4, 0.3, 0, 0, 0}
	train, _ := logitData(40000, -2, beta, 1)
	test, truth := logitData(20000, -2, beta, 2)
	m, err := Fit(train, Options{})
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]Variable{}
	for _, v := range m.Variables {
		kept[v.Name] = v
	}
	for j, b := range beta {
		name := fmt.Sprintf("x%02d", j)
		v, ok := kept[name]
		if b == 0 {
			if ok {
				t.Errorf("%s has no effect but was kept (IV %.4f)", name, v.IV)
			}
			continue
		}
		if !ok {
			t.Errorf("%s (β %v) was dropped", name, b)
			continue
		}
		want := map[bool]string{true: "up", false: "down"}[b > 0]
		if v.Trend != want {
			t.Errorf("%s: trend %q, want %q", name, v.Trend, want)
		}
		// points of the present bins run against risk
		var prev float64
		for i, bin := range v.Bins {
			if bin.Missing {
				continue
			}
			if i > 0 && ((b > 0 && bin.Points > prev+1e-9) || (b < 0 && bin.Points < prev-1e-9)) {
				t.Errorf("%s: points not monotone against risk at bin %d (%v after %v)", name, i, bin.Points, prev)
			}
			prev = bin.Points
		}
	}
	got := AUC(m.scoreRows(test), test.Bad)
	best := AUC(truth, test.Bad)
	// binning a continuous indicator into at most 8 bins costs a little ranking power; no more than 0.02
	if got < best-0.02 || got > best+0.005 {
		t.Errorf("held-out AUC %.4f, true model %.4f", got, best)
	}
	// the scale: base points and bin points add up to the documented score
	rec := test.Record(3)
	pts, prob := m.Score(rec)
	odds := (1 - prob) / prob
	if want := m.Scale.Offset() + m.Scale.Factor()*math.Log(odds); math.Abs(pts-want) > 1e-6 {
		t.Errorf("score %v, scale says %v", pts, want)
	}
}

// BenchmarkFitMillion fits a scorecard on 1,000,000 records × 30 indicators (the goal: under 60 s). The
// data are drawn once, outside the timer.
//
//	go test ./internal/solve/scorecard -run '^$' -bench FitMillion -benchtime 1x
func BenchmarkFitMillion(b *testing.B) {
	beta := make([]float64, 30)
	for j := range beta {
		if j < 20 {
			beta[j] = (0.15 + 0.05*float64(j%5)) * float64(1-2*(j%2))
		}
	}
	d, _ := logitData(1_000_000, -2.5, beta, 42)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		m, err := Fit(d, Options{})
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		b.ReportMetric(el.Seconds(), "s/fit")
		b.ReportMetric(float64(d.Len())/el.Seconds(), "rows/s")
		b.Logf("fitted %d rows × %d indicators in %.2f s (%d variables kept, %d Newton iterations)", d.Len(), len(d.Columns), el.Seconds(), len(m.Variables), m.Iter)
	}
}
