package scorecard

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestLogisticRecoversCoefficients(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 13))
	want := []float64{-1, 1.5, -0.8, 0.3}
	n := 20000
	x := make([][]float64, n)
	y := make([]bool, n)
	for i := range x {
		x[i] = []float64{r.NormFloat64(), r.NormFloat64(), r.Float64() * 4}
		eta := want[0]
		for j, v := range x[i] {
			eta += want[j+1] * v
		}
		y[i] = r.Float64() < sigmoid(eta)
	}
	fit, err := Logistic(x, y, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !fit.Converged || fit.Iter > 15 {
		t.Errorf("converged %v after %d iterations", fit.Converged, fit.Iter)
	}
	for j, w := range want {
		if math.Abs(fit.Coef[j]-w) > 4*fit.StdErr[j] || fit.StdErr[j] > 0.05 {
			t.Errorf("coef %d = %.4f ± %.4f, want %v", j, fit.Coef[j], fit.StdErr[j], w)
		}
	}
	// the penalty shrinks the slopes, not the intercept's role
	pen, err := Logistic(x, y, 2000)
	if err != nil {
		t.Fatal(err)
	}
	for j := 1; j < len(want); j++ {
		if math.Abs(pen.Coef[j]) >= math.Abs(fit.Coef[j]) {
			t.Errorf("penalised coef %d = %v not smaller than %v", j, pen.Coef[j], fit.Coef[j])
		}
	}
}

func TestLogisticSeparation(t *testing.T) {
	x := [][]float64{{-2}, {-1}, {1}, {2}}
	y := []bool{false, false, true, true}
	if _, err := Logistic(x, y, 0); !errors.Is(err, ErrNotConverged) && !errors.Is(err, errSingular) {
		t.Errorf("separable data without a penalty: err %v", err)
	}
	fit, err := Logistic(x, y, 0.1)
	if err != nil || fit.Coef[1] <= 0 {
		t.Errorf("separable data with a penalty: %v %v", fit.Coef, err)
	}
	if _, err := Logistic(x, []bool{true, true, true, true}, 1); err == nil {
		t.Error("one class should be an error")
	}
}
