package scorecard

import (
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Bin is one group of values of a variable with its training counts, weight of evidence and points.
//
// A numeric bin covers (Lower, Upper]; the first bin has no lower bound and the last no upper bound (the bound is
// then nil). A categorical bin lists its Levels; Other marks the bin that also takes levels unseen in training.
// Missing marks the bin of missing values.
type Bin struct {
	Label   string   `json:"label"`
	Lower   *float64 `json:"lower,omitempty"`
	Upper   *float64 `json:"upper,omitempty"`
	Levels  []string `json:"levels,omitempty"`
	Other   bool     `json:"other,omitempty"`
	Missing bool     `json:"missing,omitempty"`
	Good    int      `json:"good"`
	Bad     int      `json:"bad"`
	WOE     float64  `json:"woe"`
	Points  float64  `json:"points"`
}

// Binning is the grouping of one variable learnt on training data.
type Binning struct {
	Name  string  `json:"name"`
	Kind  Kind    `json:"kind"`
	Bins  []Bin   `json:"bins"`
	IV    float64 `json:"iv"`
	Trend string  `json:"trend,omitempty"` // numeric: "up" (bad rate rises with the value), "down", "u", "n" or "flat"

	cuts    []float64      // numeric: upper bounds of all bins but the last
	levels  map[string]int // categorical: level → bin
	other   int            // categorical: bin of unseen levels, -1 for none
	missing int            // bin of missing values, -1 for none
	present int            // number of bins of present values
}

// WOEIV computes the weight of evidence of each bin, ln(share of goods / share of bads), and the information value
// Σ (share of goods − share of bads)·WOE. smooth is added to every cell so that empty cells stay finite (0.5 is usual).
// A positive WOE means fewer bads than average.
func WOEIV(good, bad []int, smooth float64) (woe []float64, iv float64) {
	var g, b float64
	for i := range good {
		g += float64(good[i]) + smooth
		b += float64(bad[i]) + smooth
	}
	woe = make([]float64, len(good))
	if g == 0 || b == 0 {
		return woe, 0
	}
	for i := range good {
		pg := (float64(good[i]) + smooth) / g
		pb := (float64(bad[i]) + smooth) / b
		if pg == 0 || pb == 0 {
			continue
		}
		woe[i] = math.Log(pg / pb)
		iv += (pg - pb) * woe[i]
	}
	return woe, iv
}

// bin returns the bin index of a raw value, -1 when the value has no bin (its WOE is then 0, the average).
func (b *Binning) bin(s string, x float64) int {
	if b.Kind == Numeric {
		if math.IsNaN(x) {
			return b.missing
		}
		if i := sort.SearchFloat64s(b.cuts, x); i < b.present {
			return i
		}
		return -1
	}
	if s == "" {
		return b.missing
	}
	if i, ok := b.levels[s]; ok {
		return i
	}
	return b.other
}

// woeOf returns the WOE of a raw value.
func (b *Binning) woeOf(s string, x float64) float64 {
	if i := b.bin(s, x); i >= 0 {
		return b.Bins[i].WOE
	}
	return 0
}

// index rebuilds the lookup structures from Bins (after decoding a saved model).
func (b *Binning) index() error {
	b.cuts, b.levels, b.other, b.missing = nil, nil, -1, -1
	if b.Kind == Categorical {
		b.levels = make(map[string]int)
	}
	n := 0
	for i, bin := range b.Bins {
		switch {
		case bin.Missing:
			b.missing = i
			continue
		case b.Kind == Numeric:
			if n != i {
				return fmt.Errorf("scorecard: %s: the missing bin must come last", b.Name)
			}
			if bin.Upper != nil {
				if len(b.cuts) > 0 && *bin.Upper <= b.cuts[len(b.cuts)-1] {
					return fmt.Errorf("scorecard: %s: bin bounds are not increasing", b.Name)
				}
				b.cuts = append(b.cuts, *bin.Upper)
			} else if i+1 < len(b.Bins) && !b.Bins[i+1].Missing {
				return fmt.Errorf("scorecard: %s: only the last bin may be open above", b.Name)
			}
		default:
			for _, l := range bin.Levels {
				b.levels[l] = i
			}
			if bin.Other {
				b.other = i
			}
		}
		n++
	}
	b.present = n
	if b.Kind == Numeric && n > 0 && len(b.cuts) != n-1 {
		return fmt.Errorf("scorecard: %s: the last bin must be open above", b.Name)
	}
	return nil
}

// group is a run of values being merged: counts and, for numeric data, the upper bound, for categorical data the
// levels.
type group struct {
	good, bad int
	upper     float64
	levels    []string
	other     bool
}

func (g group) n() int { return g.good + g.bad }

func (g group) rate() float64 {
	if g.n() == 0 {
		return 0
	}
	return float64(g.bad) / float64(g.n())
}

func mergeGroups(a, b group) group {
	return group{good: a.good + b.good, bad: a.bad + b.bad, upper: b.upper, levels: append(append([]string(nil), a.levels...), b.levels...), other: a.other || b.other}
}

// mergeAt merges groups i and i+1.
func mergeAt(gs []group, i int) []group {
	gs[i] = mergeGroups(gs[i], gs[i+1])
	return append(gs[:i+1], gs[i+2:]...)
}

// mergeSmall merges every group with fewer than min records into the neighbour with the closer bad rate (the
// smaller neighbour on a tie), smallest group first, until all groups are large enough or one is left.
func mergeSmall(gs []group, min int) []group {
	for len(gs) > 1 {
		s := -1
		for i, g := range gs {
			if g.n() < min && (s < 0 || g.n() < gs[s].n()) {
				s = i
			}
		}
		if s < 0 {
			break
		}
		switch {
		case s == 0:
			gs = mergeAt(gs, 0)
		case s == len(gs)-1:
			gs = mergeAt(gs, s-1)
		default:
			dl := math.Abs(gs[s].rate() - gs[s-1].rate())
			dr := math.Abs(gs[s].rate() - gs[s+1].rate())
			if dl < dr || (dl == dr && gs[s-1].n() <= gs[s+1].n()) {
				gs = mergeAt(gs, s-1)
			} else {
				gs = mergeAt(gs, s)
			}
		}
	}
	return gs
}

// chi2 is the chi-square statistic of the 2×2 table of two adjacent groups.
func chi2(a, b group) float64 {
	n := float64(a.n() + b.n())
	if n == 0 {
		return 0
	}
	gt, bt := float64(a.good+b.good), float64(a.bad+b.bad)
	var s float64
	for _, g := range []group{a, b} {
		ng := float64(g.n())
		for _, c := range [2][2]float64{{float64(g.good), gt}, {float64(g.bad), bt}} {
			e := ng * c[1] / n
			if e > 0 {
				s += (c[0] - e) * (c[0] - e) / e
			}
		}
	}
	return s
}

// chiMerge merges the most similar adjacent pair (smallest chi-square) until at most max groups are left.
func chiMerge(gs []group, max int) []group {
	for max > 0 && len(gs) > max {
		best, bi := math.Inf(1), 0
		for i := 0; i+1 < len(gs); i++ {
			if c := chi2(gs[i], gs[i+1]); c < best {
				best, bi = c, i
			}
		}
		gs = mergeAt(gs, bi)
	}
	return gs
}

// monotone merges adjacent groups until the bad rate rises (up) or falls (!up) along the groups: repeatedly the
// adjacent pair that breaks the order is pooled (pool-adjacent-violators).
func monotone(gs []group, up bool) []group {
	for {
		v := -1
		for i := 0; i+1 < len(gs); i++ {
			a, b := gs[i].rate(), gs[i+1].rate()
			if (up && a > b) || (!up && a < b) {
				v = i
				break
			}
		}
		if v < 0 {
			return gs
		}
		gs = mergeAt(gs, v)
	}
}

// groupIV is the information value of groups (plus fixed extra cells such as the missing bin).
func groupIV(gs []group, smooth float64, extra ...group) float64 {
	good, bad := make([]int, 0, len(gs)+len(extra)), make([]int, 0, len(gs)+len(extra))
	for _, g := range append(append([]group(nil), gs...), extra...) {
		good, bad = append(good, g.good), append(bad, g.bad)
	}
	_, iv := WOEIV(good, bad, smooth)
	return iv
}

// shape fits the numeric groups to a monotone bad-rate trend, or — when Options.Trend allows it — to a U or
// inverted-U shape with one turning point if that keeps clearly more information (UGain).
func shape(gs []group, o *Options, extra []group) ([]group, string) {
	if len(gs) < 2 {
		return gs, "flat"
	}
	if o.Trend == TrendNone {
		return gs, ""
	}
	best, bestIV, trend := []group(nil), -1.0, ""
	for _, up := range []bool{true, false} {
		m := monotone(append([]group(nil), gs...), up)
		if iv := groupIV(m, o.Smoothing, extra...); iv > bestIV {
			best, bestIV, trend = m, iv, map[bool]string{true: "up", false: "down"}[up]
		}
	}
	if o.Trend == TrendMonotone || len(gs) < 3 {
		if len(best) == 1 {
			trend = "flat"
		}
		return best, trend
	}
	monoIV := bestIV
	for t := 1; t+1 < len(gs); t++ {
		for _, u := range []bool{true, false} {
			// u: the bad rate falls up to the turning group and rises after it (U shape); else the reverse
			left := monotone(append([]group(nil), gs[:t]...), !u)
			right := monotone(append([]group(nil), gs[t:]...), u)
			m := append(append([]group(nil), left...), right...)
			if len(m) < 3 {
				continue
			}
			if iv := groupIV(m, o.Smoothing, extra...); iv > bestIV && iv > monoIV*(1+o.UGain) {
				best, bestIV, trend = m, iv, map[bool]string{true: "u", false: "n"}[u]
			}
		}
	}
	if len(best) == 1 {
		trend = "flat"
	}
	return best, trend
}

// binVariable learns the binning of column c from the outcomes bad.
func binVariable(c Column, bad []bool, o *Options) Binning {
	n := len(bad)
	minN := int(math.Ceil(o.MinBinShare * float64(n)))
	if minN < 1 {
		minN = 1
	}
	var miss group
	b := Binning{Name: c.Name, Kind: c.Kind}
	var gs []group
	if c.Kind == Numeric {
		type pair struct {
			x   float64
			bad bool
		}
		var ps []pair
		for i, x := range c.Num {
			if math.IsNaN(x) {
				if bad[i] {
					miss.bad++
				} else {
					miss.good++
				}
				continue
			}
			ps = append(ps, pair{x, bad[i]})
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].x < ps[j].x })
		m := len(ps)
		var cuts []float64
		for q := 1; q < o.InitialBins; q++ {
			pos := q * m / o.InitialBins
			if pos <= 0 || pos >= m {
				continue
			}
			c := ps[pos-1].x
			if c >= ps[m-1].x || (len(cuts) > 0 && c <= cuts[len(cuts)-1]) {
				continue
			}
			cuts = append(cuts, c)
		}
		if m > 0 {
			gs = make([]group, len(cuts)+1)
			for i := range gs {
				gs[i].upper = math.Inf(1)
				if i < len(cuts) {
					gs[i].upper = cuts[i]
				}
			}
			for _, p := range ps {
				g := &gs[sort.SearchFloat64s(cuts, p.x)]
				if p.bad {
					g.bad++
				} else {
					g.good++
				}
			}
		}
		gs = mergeSmall(gs, minN)
		var extra []group
		if miss.n() > 0 {
			extra = []group{miss}
		}
		gs, b.Trend = shape(gs, o, extra)
		gs = chiMerge(gs, o.MaxBins)
	} else {
		byLevel := make(map[string]*group)
		var names []string
		for i, s := range c.Str {
			g := &miss
			if s != "" {
				g = byLevel[s]
				if g == nil {
					g = &group{levels: []string{s}}
					byLevel[s] = g
					names = append(names, s)
				}
			}
			if bad[i] {
				g.bad++
			} else {
				g.good++
			}
		}
		sort.Strings(names)
		var rare group
		rare.other = true
		for _, s := range names {
			if g := byLevel[s]; g.n() < minN {
				rare = mergeGroups(rare, *g)
			} else {
				gs = append(gs, *g)
			}
		}
		if rare.n() > 0 {
			if rare.n() < minN && len(gs) > 0 {
				// too few even together: join the level with the closest bad rate
				bi := 0
				for i := range gs {
					if math.Abs(gs[i].rate()-rare.rate()) < math.Abs(gs[bi].rate()-rare.rate()) {
						bi = i
					}
				}
				gs[bi] = mergeGroups(gs[bi], rare)
			} else {
				gs = append(gs, rare)
			}
		}
		// order by bad rate so that chi-merging joins similar levels
		sort.SliceStable(gs, func(i, j int) bool { return gs[i].rate() < gs[j].rate() })
		gs = chiMerge(gs, o.MaxBins)
		for i := range gs {
			sort.Strings(gs[i].levels)
		}
	}
	if miss.n() > 0 {
		miss.upper = math.NaN()
		gs = append(gs, miss)
	}
	good, badN := make([]int, len(gs)), make([]int, len(gs))
	for i, g := range gs {
		good[i], badN[i] = g.good, g.bad
	}
	woe, iv := WOEIV(good, badN, o.Smoothing)
	b.IV = iv
	var lower *float64
	for i, g := range gs {
		bin := Bin{Good: g.good, Bad: g.bad, WOE: woe[i]}
		switch {
		case miss.n() > 0 && i == len(gs)-1:
			bin.Missing = true
			bin.Label = "缺失"
		case c.Kind == Numeric:
			bin.Lower = lower
			if !math.IsInf(g.upper, 1) {
				u := g.upper
				bin.Upper = &u
				lower = &u
			}
			bin.Label = intervalLabel(bin.Lower, bin.Upper)
		default:
			bin.Levels = g.levels
			bin.Other = g.other
			bin.Label = levelLabel(g.levels, g.other)
		}
		b.Bins = append(b.Bins, bin)
	}
	if err := b.index(); err != nil {
		panic(err) // the bins were built in order above
	}
	return b
}

func formatNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func intervalLabel(lo, hi *float64) string {
	switch {
	case lo == nil && hi == nil:
		return "全部"
	case lo == nil:
		return "≤ " + formatNum(*hi)
	case hi == nil:
		return "> " + formatNum(*lo)
	}
	return "(" + formatNum(*lo) + ", " + formatNum(*hi) + "]"
}

func levelLabel(levels []string, other bool) string {
	s := ""
	for i, l := range levels {
		if i > 0 {
			s += ","
		}
		if i == 6 {
			s += fmt.Sprintf("…(%d)", len(levels))
			break
		}
		s += l
	}
	if other {
		if s != "" {
			s += "+"
		}
		s += "其他"
	}
	return s
}
