// Package scorecard fits credit scorecards the way banks build them: each variable is binned on the training data
// (quantile bins merged to a minimum share and to a monotone — or, where clearly better, U-shaped — bad rate;
// categorical levels with rare ones pooled), replaced by its weight of evidence (WOE), screened by information value
// (IV), and a penalised logistic regression on the WOE features gives the points of every bin on the usual
// points-to-double-the-odds scale. Cross-validation reports AUC and KS over repeated stratified folds.
//
// The package is pure computation: no database, no network, deterministic for a given seed.
package scorecard

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
)

// Trend values of Options.Trend: how the bad rate of numeric bins may run along the values.
const (
	TrendAuto     = "auto"     // monotone, or U / inverted-U when that keeps clearly more information (default)
	TrendMonotone = "monotone" // monotone only
	TrendNone     = "none"     // no shape constraint
)

// Options control binning, selection and scaling. Zero values take the defaults noted.
type Options struct {
	InitialBins int     // numeric variables: initial quantile bins (default 20)
	MinBinShare float64 // least share of the training records in a bin (default 0.05)
	MaxBins     int     // most bins per variable besides the missing bin (default 8); negative: no limit
	Trend       string  // TrendAuto (default), TrendMonotone or TrendNone
	UGain       float64 // TrendAuto: a U shape must add this share of IV over the best monotone binning (default 0.1)
	Smoothing   float64 // added to every cell of the WOE table (default 0.5)
	MinIV       float64 // variables below this IV are dropped (default 0.02); negative keeps all
	L2          float64 // ridge penalty on the WOE coefficients (default 1); negative means none
	// KeepWrongSign keeps variables whose coefficient has the wrong sign (more WOE → more risk), a sign of
	// collinearity; by default they are dropped one at a time and the model is refitted.
	KeepWrongSign bool
	Scale         Scale // points scaling (default 600 points at odds 50:1, 20 points to double the odds)
}

// Scale maps the odds good:bad to points: score = Offset + Factor·ln(odds), Factor = PDO/ln 2, so that Points are
// given at Odds and every PDO points double the odds.
type Scale struct {
	Points float64 `json:"points"`
	Odds   float64 `json:"odds"`
	PDO    float64 `json:"pdo"`
}

// Factor is PDO / ln 2.
func (s Scale) Factor() float64 { return s.PDO / math.Ln2 }

// Offset is Points − Factor·ln(Odds).
func (s Scale) Offset() float64 { return s.Points - s.Factor()*math.Log(s.Odds) }

// DefaultOptions returns the defaults explicitly.
func DefaultOptions() Options { return Options{}.withDefaults() }

func (o Options) withDefaults() Options {
	if o.InitialBins <= 0 {
		o.InitialBins = 20
	}
	if o.MinBinShare <= 0 {
		o.MinBinShare = 0.05
	}
	if o.MaxBins == 0 {
		o.MaxBins = 8
	}
	if o.Trend == "" {
		o.Trend = TrendAuto
	}
	if o.UGain == 0 {
		o.UGain = 0.1
	}
	if o.Smoothing == 0 {
		o.Smoothing = 0.5
	}
	if o.MinIV == 0 {
		o.MinIV = 0.02
	}
	if o.L2 == 0 {
		o.L2 = 1
	}
	if o.L2 < 0 {
		o.L2 = 0
	}
	if o.Scale == (Scale{}) {
		o.Scale = Scale{Points: 600, Odds: 50, PDO: 20}
	}
	return o
}

func (o Options) validate() error {
	switch o.Trend {
	case TrendAuto, TrendMonotone, TrendNone:
	default:
		return fmt.Errorf("scorecard: unknown trend %q", o.Trend)
	}
	if o.MinBinShare >= 0.5 {
		return errors.New("scorecard: MinBinShare must be below 0.5")
	}
	if o.Smoothing < 0 {
		return errors.New("scorecard: Smoothing must not be negative")
	}
	if o.Scale.Odds <= 0 || o.Scale.PDO <= 0 {
		return errors.New("scorecard: scale odds and PDO must be positive")
	}
	return nil
}

// Variable is a variable of the model: its binning and coefficient.
type Variable struct {
	Binning
	Coef   float64 `json:"coef"`
	StdErr float64 `json:"std_err"`
}

// Reasons a variable is left out of a model.
const (
	ReasonLowIV     = "low_iv"     // information value below Options.MinIV
	ReasonWrongSign = "wrong_sign" // coefficient of the wrong sign (collinearity)
)

// Excluded is a variable left out of the model.
type Excluded struct {
	Name   string  `json:"name"`
	Kind   Kind    `json:"kind"`
	IV     float64 `json:"iv"`
	Bins   int     `json:"bins"`
	Reason string  `json:"reason"`
}

// Model is a fitted scorecard. Score = BasePoints + Σ points of the record's bin in each variable.
type Model struct {
	Target     string     `json:"target"`
	BadValue   string     `json:"bad_value"`
	Scale      Scale      `json:"scale"`
	Intercept  float64    `json:"intercept"`
	BasePoints float64    `json:"base_points"`
	Variables  []Variable `json:"variables"`
	Excluded   []Excluded `json:"excluded,omitempty"`
	Records    int        `json:"records"`
	BadRecords int        `json:"bad_records"`
	Iter       int        `json:"iterations"`
}

// Fit learns a scorecard from data.
func Fit(data Dataset, opts Options) (*Model, error) {
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	good, bad := data.Counts()
	if good == 0 || bad == 0 {
		return nil, fmt.Errorf("scorecard: need both good and bad records (good %d, bad %d)", good, bad)
	}
	for _, c := range data.Columns {
		strOK := len(c.Str) == data.Len() || (c.Kind == Numeric && c.Str == nil)
		if !strOK || (c.Kind == Numeric && len(c.Num) != data.Len()) {
			return nil, fmt.Errorf("scorecard: column %q has %d values for %d records", c.Name, len(c.Str), data.Len())
		}
	}
	m := &Model{Target: data.Target, BadValue: data.BadValue, Scale: o.Scale, Records: data.Len(), BadRecords: bad}
	var vars []Variable
	var cols []Column
	for _, c := range data.Columns {
		b := binVariable(c, data.Bad, &o)
		if b.IV < o.MinIV || len(b.Bins) < 2 {
			m.Excluded = append(m.Excluded, Excluded{Name: c.Name, Kind: c.Kind, IV: b.IV, Bins: len(b.Bins), Reason: ReasonLowIV})
			continue
		}
		vars = append(vars, Variable{Binning: b})
		cols = append(cols, c)
	}
	// WOE design matrix
	n := data.Len()
	woe := make([][]float64, len(vars))
	for j, v := range vars {
		woe[j] = make([]float64, n)
		c := &cols[j]
		for i := 0; i < n; i++ {
			if c.Kind == Numeric {
				woe[j][i] = v.woeOf("", c.Num[i])
			} else {
				woe[j][i] = v.woeOf(c.Str[i], math.NaN())
			}
		}
	}
	active := make([]int, len(vars))
	for j := range active {
		active[j] = j
	}
	var fit LogitFit
	for {
		x := make([][]float64, n)
		for i := range x {
			r := make([]float64, len(active))
			for k, j := range active {
				r[k] = woe[j][i]
			}
			x[i] = r
		}
		var err error
		fit, err = Logistic(x, data.Bad, o.L2)
		if err != nil {
			return nil, err
		}
		if o.KeepWrongSign {
			break
		}
		// bad-logit on WOE (good-positive) must have negative coefficients: drop the worst offender
		worst, wk := 0.0, -1
		for k := range active {
			if c := fit.Coef[k+1]; c > worst {
				worst, wk = c, k
			}
		}
		if wk < 0 {
			break
		}
		v := vars[active[wk]]
		m.Excluded = append(m.Excluded, Excluded{Name: v.Name, Kind: v.Kind, IV: v.IV, Bins: len(v.Bins), Reason: ReasonWrongSign})
		active = append(active[:wk], active[wk+1:]...)
	}
	f := o.Scale.Factor()
	m.Intercept = fit.Coef[0]
	m.BasePoints = o.Scale.Offset() - f*fit.Coef[0]
	m.Iter = fit.Iter
	for k, j := range active {
		v := vars[j]
		v.Coef, v.StdErr = fit.Coef[k+1], fit.StdErr[k+1]
		for i := range v.Bins {
			v.Bins[i].Points = -f * v.Coef * v.Bins[i].WOE
		}
		m.Variables = append(m.Variables, v)
	}
	sort.SliceStable(m.Excluded, func(a, b int) bool { return m.Excluded[a].IV > m.Excluded[b].IV })
	return m, nil
}

// Score returns the points of a record and its probability of being bad. Missing or unparseable values of a
// numeric variable fall into its missing bin; a value without a bin (missing, but no missing values in training;
// a level unseen in training without an "other" bin) scores 0 points, the average.
func (m *Model) Score(r Record) (points, prob float64) {
	eta := m.Intercept
	points = m.BasePoints
	for i := range m.Variables {
		v := &m.Variables[i]
		s := r[v.Name]
		if missing(s) {
			s = ""
		}
		x := math.NaN()
		if v.Kind == Numeric {
			x = parseNumber(s)
		}
		if b := v.bin(s, x); b >= 0 {
			eta += v.Coef * v.Bins[b].WOE
			points += v.Bins[b].Points
		}
	}
	return points, sigmoid(eta)
}

// scoreRows returns the probability of bad of every record of data.
func (m *Model) scoreRows(data Dataset) []float64 {
	cols := make([]*Column, len(m.Variables))
	for i, v := range m.Variables {
		for j := range data.Columns {
			if data.Columns[j].Name == v.Name {
				cols[i] = &data.Columns[j]
			}
		}
	}
	out := make([]float64, data.Len())
	for r := range out {
		eta := m.Intercept
		for i := range m.Variables {
			v, c := &m.Variables[i], cols[i]
			s, x := "", math.NaN()
			if c != nil {
				if c.Str != nil {
					s = c.Str[r]
				}
				if v.Kind == Numeric {
					if c.Num != nil {
						x = c.Num[r]
					} else {
						x = parseNumber(s)
					}
				}
			}
			eta += v.Coef * v.woeOf(s, x)
		}
		out[r] = sigmoid(eta)
	}
	return out
}

// WriteJSON saves the model.
func (m *Model) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(m)
}

// ReadModel loads a model saved by WriteJSON.
func ReadModel(r io.Reader) (*Model, error) {
	var m Model
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("scorecard: model: %w", err)
	}
	for i := range m.Variables {
		if err := m.Variables[i].index(); err != nil {
			return nil, err
		}
	}
	return &m, nil
}

// Grade is a rating with the least score that earns it.
type Grade struct {
	Name     string  `json:"name"`
	MinScore float64 `json:"min_score"`
}

// DefaultGrades are cut-offs on the default scale (600 points at odds 50:1, PDO 20): every grade step halves the
// odds good:bad — AAA ≥ 600 (odds ≥ 50), AA ≥ 580 (25), A ≥ 560 (12.5), BBB ≥ 540, BB ≥ 520, B ≥ 500, else C.
var DefaultGrades = []Grade{{"AAA", 600}, {"AA", 580}, {"A", 560}, {"BBB", 540}, {"BB", 520}, {"B", 500}, {"C", math.Inf(-1)}}

// GradeOf returns the first grade, in order of decreasing MinScore, whose MinScore the score reaches; "" if none.
func GradeOf(score float64, grades []Grade) string {
	best := -1
	for i, g := range grades {
		if score >= g.MinScore && (best < 0 || g.MinScore > grades[best].MinScore) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return grades[best].Name
}
