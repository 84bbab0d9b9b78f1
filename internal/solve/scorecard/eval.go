package scorecard

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
)

// AUC is the area under the ROC curve of scores that should be higher for positives (labels true): the
// Mann–Whitney probability that a random positive outscores a random negative, ties counting one half. It is NaN
// when either class is absent.
func AUC(scores []float64, labels []bool) float64 {
	idx := sortedIdx(scores)
	var pos, neg int
	for _, l := range labels {
		if l {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	// sum of the (mid-)ranks of the positives
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // ranks i+1 … j
		for k := i; k < j; k++ {
			if labels[idx[k]] {
				rankSum += mid
			}
		}
		i = j
	}
	return (rankSum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg))
}

// KS is the Kolmogorov–Smirnov statistic: the largest gap between the cumulative score distributions of positives
// and negatives, over thresholds between distinct scores.
func KS(scores []float64, labels []bool) float64 {
	idx := sortedIdx(scores)
	var pos, neg int
	for _, l := range labels {
		if l {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	var cp, cn, ks float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			if labels[idx[j]] {
				cp++
			} else {
				cn++
			}
			j++
		}
		ks = math.Max(ks, math.Abs(cp/float64(pos)-cn/float64(neg)))
		i = j
	}
	return ks
}

func sortedIdx(scores []float64) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	return idx
}

// StratifiedFolds assigns each record to one of k folds so that every fold holds nearly the same share of bads:
// each class is shuffled with a PCG generator seeded by seed and dealt out in turn.
func StratifiedFolds(bad []bool, k int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, 0x6e6f6e676675))
	fold := make([]int, len(bad))
	next := 0
	for _, class := range []bool{true, false} {
		var idx []int
		for i, b := range bad {
			if b == class {
				idx = append(idx, i)
			}
		}
		r.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for _, i := range idx {
			fold[i] = next % k
			next++
		}
	}
	return fold
}

// FoldResult is the outcome of one held-out fold.
type FoldResult struct {
	Repeat, Fold int // from 0
	Train, Test  int // records
	AUC, KS      float64
	Variables    int // variables in the fold's model
}

// Result summarises a cross-validation: mean and sample standard deviation over all folds.
type Result struct {
	Folds          []FoldResult
	AUCMean, AUCSD float64
	KSMean, KSSD   float64
	K, Repeats     int
	Seed           uint64
	MeanVariables  float64 // mean number of variables per fold model
}

// CrossValidate runs repeats × stratified k-fold cross-validation, repeat r using seed+r for the folds, and scores
// each held-out fold with a model fitted on the rest. Folds run in parallel; the result does not depend on that.
func CrossValidate(data Dataset, k, repeats int, seed uint64, opts Options) (Result, error) {
	if k < 2 {
		return Result{}, errors.New("scorecard: at least 2 folds")
	}
	if repeats < 1 {
		return Result{}, errors.New("scorecard: at least 1 repeat")
	}
	good, bad := data.Counts()
	if good < k || bad < k {
		return Result{}, fmt.Errorf("scorecard: %d folds need at least %d good and %d bad records (have %d and %d)", k, k, k, good, bad)
	}
	res := Result{K: k, Repeats: repeats, Seed: seed, Folds: make([]FoldResult, k*repeats)}
	type job struct{ r, f int }
	jobs := make(chan job)
	errs := make([]error, k*repeats)
	folds := make([][]int, repeats)
	for r := range folds {
		folds[r] = StratifiedFolds(data.Bad, k, seed+uint64(r))
	}
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), k*repeats)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				var train, test []int
				for i, f := range folds[j.r] {
					if f == j.f {
						test = append(test, i)
					} else {
						train = append(train, i)
					}
				}
				at := j.r*k + j.f
				m, err := Fit(data.Subset(train), opts)
				if err != nil {
					errs[at] = fmt.Errorf("repeat %d fold %d: %w", j.r+1, j.f+1, err)
					continue
				}
				td := data.Subset(test)
				p := m.scoreRows(td)
				res.Folds[at] = FoldResult{Repeat: j.r, Fold: j.f, Train: len(train), Test: len(test), AUC: AUC(p, td.Bad), KS: KS(p, td.Bad), Variables: len(m.Variables)}
			}
		}()
	}
	for r := 0; r < repeats; r++ {
		for f := 0; f < k; f++ {
			jobs <- job{r, f}
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	aucs, kss := make([]float64, len(res.Folds)), make([]float64, len(res.Folds))
	var nv float64
	for i, f := range res.Folds {
		aucs[i], kss[i] = f.AUC, f.KS
		nv += float64(f.Variables)
	}
	res.AUCMean, res.AUCSD = meanSD(aucs)
	res.KSMean, res.KSSD = meanSD(kss)
	res.MeanVariables = nv / float64(len(res.Folds))
	return res, nil
}

// meanSD returns the mean and the sample standard deviation (n − 1).
func meanSD(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)-1))
}
