package scorecard

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAUCHandComputed(t *testing.T) {
	T, F := true, false
	cases := []struct {
		name   string
		scores []float64
		labels []bool
		want   float64
	}{
		// pairs (pos, neg): (0.35,0.1)=1 (0.35,0.4)=0 (0.8,0.1)=1 (0.8,0.4)=1 → 3/4
		{"classic", []float64{0.1, 0.4, 0.35, 0.8}, []bool{F, F, T, T}, 0.75},
		{"perfect", []float64{1, 2, 3, 4}, []bool{F, F, T, T}, 1},
		{"reversed", []float64{4, 3, 2, 1}, []bool{F, F, T, T}, 0},
		// (1,1)=½ (1,2)=0 (2,1)=1 (2,2)=½ → 2/4
		{"ties across classes", []float64{1, 1, 2, 2}, []bool{F, T, F, T}, 0.5},
		{"all tied", []float64{5, 5, 5}, []bool{T, F, F}, 0.5},
		// pos {2,3,3}, neg {1,3}: (2,1)=1 (2,3)=0, and for each 3: (3,1)=1 (3,3)=½ → 4/6
		{"ties at the top", []float64{2, 3, 3, 1, 3}, []bool{T, T, T, F, F}, 4.0 / 6},
		// pos {3,3}, neg {1,2,3}: each pos: 1+1+½ → 5/6
		{"ties one class", []float64{3, 3, 1, 2, 3}, []bool{T, T, F, F, F}, 5.0 / 6},
	}
	for _, c := range cases {
		if got := AUC(c.scores, c.labels); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: AUC = %v, want %v", c.name, got, c.want)
		}
	}
	if !math.IsNaN(AUC([]float64{1, 2}, []bool{T, T})) {
		t.Error("AUC of one class should be NaN")
	}
}

func TestAUCMatchesPairCount(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for trial := 0; trial < 20; trial++ {
		n := 2 + r.IntN(60)
		s, l := make([]float64, n), make([]bool, n)
		for i := range s {
			s[i] = float64(r.IntN(8)) // many ties
			l[i] = r.IntN(3) == 0
		}
		l[0], l[1] = true, false
		var num, den float64
		for i := range s {
			for j := range s {
				if l[i] && !l[j] {
					den++
					switch {
					case s[i] > s[j]:
						num++
					case s[i] == s[j]:
						num += 0.5
					}
				}
			}
		}
		if got := AUC(s, l); math.Abs(got-num/den) > 1e-12 {
			t.Fatalf("trial %d: AUC %v, pair count %v", trial, got, num/den)
		}
	}
}

func TestKS(t *testing.T) {
	T, F := true, false
	cases := []struct {
		scores []float64
		labels []bool
		want   float64
	}{
		{[]float64{1, 2, 3, 4}, []bool{F, F, T, T}, 1},
		// cumulative (neg, pos) after each score: (½,0) (½,½) (1,½) (1,1) → ½
		{[]float64{1, 2, 3, 4}, []bool{F, T, F, T}, 0.5},
		// ties are stepped over together: after 1: (1,0)... neg {1}, pos {1,2}: (1,½) then (1,1) → ½
		{[]float64{1, 1, 2}, []bool{F, T, T}, 0.5},
		{[]float64{3, 3, 3, 3}, []bool{F, T, F, T}, 0},
	}
	for i, c := range cases {
		if got := KS(c.scores, c.labels); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("case %d: KS = %v, want %v", i, got, c.want)
		}
	}
}

func TestStratifiedFolds(t *testing.T) {
	bad := make([]bool, 103)
	for i := range bad {
		bad[i] = i%3 == 0
	}
	a := StratifiedFolds(bad, 5, 1)
	b := StratifiedFolds(bad, 5, 1)
	c := StratifiedFolds(bad, 5, 2)
	same, differs := true, false
	count := make([][2]int, 5)
	for i := range a {
		same = same && a[i] == b[i]
		differs = differs || a[i] != c[i]
		if bad[i] {
			count[a[i]][1]++
		} else {
			count[a[i]][0]++
		}
	}
	if !same || !differs {
		t.Fatalf("folds should repeat for a seed and change with it (same %v, differs %v)", same, differs)
	}
	for f, c := range count {
		if c[1] < 6 || c[1] > 7 || c[0]+c[1] < 20 || c[0]+c[1] > 21 {
			t.Errorf("fold %d: %d good, %d bad", f, c[0], c[1])
		}
	}
}

func TestMeanSD(t *testing.T) {
	m, sd := meanSD([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if m != 5 || math.Abs(sd-math.Sqrt(32.0/7)) > 1e-12 {
		t.Fatalf("mean %v sd %v", m, sd)
	}
}
