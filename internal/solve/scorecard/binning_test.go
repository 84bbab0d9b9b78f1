package scorecard

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestWOEIVConstructedTable(t *testing.T) {
	good, bad := []int{10, 20, 30}, []int{20, 10, 5}
	woe, iv := WOEIV(good, bad, 0)
	// shares of goods 10/60, 20/60, 30/60; of bads 20/35, 10/35, 5/35
	pg := []float64{1.0 / 6, 1.0 / 3, 1.0 / 2}
	pb := []float64{4.0 / 7, 2.0 / 7, 1.0 / 7}
	want := []float64{math.Log(7.0 / 24), math.Log(7.0 / 6), math.Log(3.5)}
	var wantIV float64
	for i := range want {
		if math.Abs(woe[i]-want[i]) > 1e-12 {
			t.Errorf("WOE[%d] = %v, want %v", i, woe[i], want[i])
		}
		wantIV += (pg[i] - pb[i]) * want[i]
	}
	if math.Abs(iv-wantIV) > 1e-12 || math.Abs(iv-0.95348) > 1e-5 {
		t.Errorf("IV = %v, want %v", iv, wantIV)
	}
	// smoothing: an empty cell stays finite; with 0.5 added the shares are (g+½)/(G+1), (b+½)/(B+1)
	woe, iv = WOEIV([]int{0, 10}, []int{5, 5}, 0.5)
	w0 := math.Log((0.5 / 11) / (5.5 / 11))
	if math.Abs(woe[0]-w0) > 1e-12 || math.IsInf(iv, 0) || math.IsNaN(iv) {
		t.Errorf("smoothed WOE %v (want %v), IV %v", woe, w0, iv)
	}
	// no information: identical distributions
	if _, iv := WOEIV([]int{10, 20}, []int{5, 10}, 0); math.Abs(iv) > 1e-12 {
		t.Errorf("IV of identical distributions = %v", iv)
	}
}

// synthetic numeric column whose bad rate rises with the value, with missing values that are riskier still.
func risingColumn(n int, seed uint64) (Column, []bool) {
	r := rand.New(rand.NewPCG(seed, 1))
	c := Column{Name: "x", Kind: Numeric, Str: make([]string, n), Num: make([]float64, n)}
	bad := make([]bool, n)
	for i := 0; i < n; i++ {
		if i%20 == 0 {
			c.Num[i] = math.NaN()
			bad[i] = r.Float64() < 0.6
			continue
		}
		x := math.Round(r.Float64() * 1000)
		c.Num[i], c.Str[i] = x, fmt.Sprint(x)
		bad[i] = r.Float64() < 0.05+0.4*x/1000
	}
	return c, bad
}

func TestBinNumericMonotoneWithMissingBin(t *testing.T) {
	c, bad := risingColumn(4000, 3)
	o := DefaultOptions()
	b := binVariable(c, bad, &o)
	if b.Trend != "up" {
		t.Fatalf("trend %q, want up", b.Trend)
	}
	last := b.Bins[len(b.Bins)-1]
	if !last.Missing || last.Good+last.Bad != 200 {
		t.Fatalf("missing bin %+v", last)
	}
	prev := math.Inf(1)
	for i, bin := range b.Bins[:len(b.Bins)-1] {
		n := bin.Good + bin.Bad
		if float64(n) < o.MinBinShare*4000 {
			t.Errorf("bin %s has %d records, below the minimum share", bin.Label, n)
		}
		if bin.WOE >= prev {
			t.Errorf("WOE not falling at bin %d: %v after %v", i, bin.WOE, prev)
		}
		prev = bin.WOE
	}
	if len(b.Bins) < 4 || len(b.Bins) > o.MaxBins+1 {
		t.Errorf("%d bins", len(b.Bins))
	}
	if b.Bins[0].Lower != nil || b.Bins[len(b.Bins)-2].Upper != nil {
		t.Error("first bin should be open below, last present bin open above")
	}
	// lookups: below everything, above everything, missing
	if b.bin("", -5) != 0 || b.bin("", 1e9) != len(b.Bins)-2 || b.bin("", math.NaN()) != len(b.Bins)-1 {
		t.Error("bin lookup")
	}
	if b.IV < 0.2 {
		t.Errorf("IV %v too low for a strong variable", b.IV)
	}
}

func TestBinUShape(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	n := 5000
	c := Column{Name: "age", Kind: Numeric, Str: make([]string, n), Num: make([]float64, n)}
	bad := make([]bool, n)
	for i := range bad {
		x := 18 + r.Float64()*60
		c.Num[i] = x
		d := (x - 48) / 30
		bad[i] = r.Float64() < 0.1+0.8*d*d
	}
	o := DefaultOptions()
	if b := binVariable(c, bad, &o); b.Trend != "u" {
		t.Errorf("trend %q, want u", b.Trend)
	}
	o.Trend = TrendMonotone
	if b := binVariable(c, bad, &o); b.Trend != "up" && b.Trend != "down" && b.Trend != "flat" {
		t.Errorf("monotone trend %q", b.Trend)
	}
}

func TestBinCategoricalRareLevels(t *testing.T) {
	var c Column
	c.Name, c.Kind = "purpose", Categorical
	var bad []bool
	add := func(level string, n, nbad int) {
		for i := 0; i < n; i++ {
			c.Str = append(c.Str, level)
			bad = append(bad, i < nbad)
		}
	}
	add("car", 400, 40)
	add("house", 300, 90)
	add("tv", 250, 100)
	add("boat", 25, 12) // rare
	add("art", 30, 4)   // rare
	add("", 25, 10)     // missing
	o := DefaultOptions()
	b := binVariable(c, bad, &o)
	var other, miss *Bin
	for i := range b.Bins {
		if b.Bins[i].Other {
			other = &b.Bins[i]
		}
		if b.Bins[i].Missing {
			miss = &b.Bins[i]
		}
	}
	if other == nil || miss == nil || miss.Good+miss.Bad != 25 {
		t.Fatalf("bins %+v", b.Bins)
	}
	// art + boat = 55 records ≥ 5 % of 1030: they form the "other" bin together
	if len(other.Levels) != 2 || other.Levels[0] != "art" || other.Levels[1] != "boat" {
		t.Errorf("other bin levels %v", other.Levels)
	}
	if b.bin("yacht", math.NaN()) != b.bin("boat", math.NaN()) {
		t.Error("an unseen level should go to the other bin")
	}
	// alone, a rare level too small even as a group joins the level with the closest bad rate (house, 30 %)
	c.Str, bad = c.Str[:950], bad[:950] // car, house, tv
	add("art", 20, 6)
	b2 := binVariable(c, bad, &o)
	if i := b2.bin("art", math.NaN()); i < 0 || b2.bin("house", math.NaN()) != i || !b2.Bins[i].Other {
		t.Errorf("rare level not merged into house: %+v", b2.Bins)
	}
	// bins come ordered by bad rate, so WOE falls along them (missing bin last)
	for i := 1; i < len(b.Bins)-1; i++ {
		if b.Bins[i].WOE > b.Bins[i-1].WOE {
			t.Errorf("categorical bins not ordered by risk: %+v", b.Bins)
		}
	}
}
