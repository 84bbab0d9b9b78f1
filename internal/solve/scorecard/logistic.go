package scorecard

import (
	"errors"
	"math"
)

// LogitFit is a fitted logistic regression: P(y) = 1 / (1 + exp(−(Coef[0] + Σ Coef[j+1]·x[j]))).
type LogitFit struct {
	Coef      []float64 // intercept first
	StdErr    []float64 // from the inverse of the penalised information matrix
	LogLik    float64   // log-likelihood at Coef (without the penalty)
	Iter      int
	Converged bool
}

// ErrNotConverged is returned when Newton's method does not settle (e.g. perfect separation without a penalty).
var ErrNotConverged = errors.New("scorecard: logistic regression did not converge")

// errSingular is returned when the information matrix is not positive definite (collinear features, no penalty).
var errSingular = errors.New("scorecard: singular information matrix (collinear features)")

// Logistic fits a logistic regression of y on the rows of x by Newton's method (iteratively reweighted least squares)
// with step halving, maximising Σ log-likelihood − l2/2·‖β‖² where the intercept is not penalised. It stops when
// the largest step falls below 1e-9 or the objective stops improving.
func Logistic(x [][]float64, y []bool, l2 float64) (LogitFit, error) {
	n := len(y)
	if n == 0 || len(x) != n {
		return LogitFit{}, errors.New("scorecard: logistic regression needs as many rows as outcomes")
	}
	p := len(x[0]) + 1
	for _, r := range x {
		if len(r) != p-1 {
			return LogitFit{}, errors.New("scorecard: rows of different lengths")
		}
	}
	beta := make([]float64, p)
	var pos int
	for _, b := range y {
		if b {
			pos++
		}
	}
	if pos == 0 || pos == n {
		return LogitFit{}, errors.New("scorecard: the outcome has one class only")
	}
	beta[0] = math.Log(float64(pos) / float64(n-pos))
	obj := func(b []float64) (pen, ll float64) {
		for i, r := range x {
			eta := b[0]
			for j, v := range r {
				eta += b[j+1] * v
			}
			// log-likelihood term, stable for large |eta|
			if y[i] {
				ll -= softplus(-eta)
			} else {
				ll -= softplus(eta)
			}
		}
		pen = ll
		for j := 1; j < p; j++ {
			pen -= l2 / 2 * b[j] * b[j]
		}
		return pen, ll
	}
	cur, ll := obj(beta)
	fit := LogitFit{}
	h := make([]float64, p*p)
	g := make([]float64, p)
	xi := make([]float64, p)
	for fit.Iter = 1; fit.Iter <= 100; fit.Iter++ {
		for j := range g {
			g[j] = 0
		}
		for j := range h {
			h[j] = 0
		}
		for i, r := range x {
			xi[0] = 1
			copy(xi[1:], r)
			eta := 0.0
			for j, v := range xi {
				eta += beta[j] * v
			}
			pr := sigmoid(eta)
			w := pr * (1 - pr)
			res := -pr
			if y[i] {
				res = 1 - pr
			}
			for j, a := range xi {
				g[j] += res * a
				wa := w * a
				for k := 0; k <= j; k++ {
					h[j*p+k] += wa * xi[k]
				}
			}
		}
		for j := 1; j < p; j++ {
			g[j] -= l2 * beta[j]
			h[j*p+j] += l2
		}
		for j := 0; j < p; j++ {
			for k := 0; k < j; k++ {
				h[k*p+j] = h[j*p+k]
			}
		}
		step, err := cholSolve(h, g, p)
		if err != nil {
			return fit, err
		}
		t := 1.0
		next := make([]float64, p)
		var nv, nll float64
		for {
			for j := range next {
				next[j] = beta[j] + t*step[j]
			}
			nv, nll = obj(next)
			if nv >= cur-1e-12*math.Abs(cur) || t < 1e-10 {
				break
			}
			t /= 2
		}
		maxStep := 0.0
		for j := range step {
			maxStep = math.Max(maxStep, math.Abs(t*step[j]))
		}
		improve := nv - cur
		beta, cur, ll = next, nv, nll
		if maxStep < 1e-9 || (improve >= 0 && improve < 1e-13*(1+math.Abs(cur))) {
			fit.Converged = true
			break
		}
	}
	for _, b := range beta {
		if math.IsNaN(b) || math.IsInf(b, 0) {
			fit.Converged = false
		}
	}
	fit.Coef, fit.LogLik = beta, ll
	if !fit.Converged {
		fit.Iter = 100
		return fit, ErrNotConverged
	}
	// standard errors from the inverse information at the optimum (h is from the last iteration's start point,
	// which equals the optimum up to the convergence tolerance)
	fit.StdErr = make([]float64, p)
	for j := 0; j < p; j++ {
		e := make([]float64, p)
		e[j] = 1
		col, err := cholSolve(h, e, p)
		if err != nil {
			return fit, err
		}
		fit.StdErr[j] = math.Sqrt(math.Max(col[j], 0))
	}
	return fit, nil
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus is ln(1 + e^z) without overflow.
func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	return math.Log1p(math.Exp(z))
}

// cholSolve solves A·x = b for a symmetric positive definite p×p matrix A (row-major, left untouched).
func cholSolve(a, b []float64, p int) ([]float64, error) {
	l := make([]float64, p*p)
	for i := 0; i < p; i++ {
		for j := 0; j <= i; j++ {
			s := a[i*p+j]
			for k := 0; k < j; k++ {
				s -= l[i*p+k] * l[j*p+k]
			}
			if i == j {
				if s <= 1e-12*math.Max(1, math.Abs(a[i*p+i])) {
					return nil, errSingular
				}
				l[i*p+i] = math.Sqrt(s)
			} else {
				l[i*p+j] = s / l[j*p+j]
			}
		}
	}
	x := make([]float64, p)
	for i := 0; i < p; i++ {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= l[i*p+k] * x[k]
		}
		x[i] = s / l[i*p+i]
	}
	for i := p - 1; i >= 0; i-- {
		s := x[i]
		for k := i + 1; k < p; k++ {
			s -= l[k*p+i] * x[k]
		}
		x[i] = s / l[i*p+i]
	}
	return x, nil
}
