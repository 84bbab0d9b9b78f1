package dispatch

import (
	"math"
	"sort"
)

// Ruin-and-recreate parameters after SISR (Christiaens & Vanden Berghe 2020, "Slack induction by string removals
// for vehicle routing problems"): about avgRemoved tasks leave per iteration as strings of at most maxString
// consecutive tasks of routes near a random seed task; they go back by greedy insertion with blinks.
const (
	avgRemoved  = 10
	maxString   = 10
	blinkRate   = 0.01
	retryUnplac = 8 // unplaced tasks retried per iteration besides the removed ones
)

type lns struct {
	s        *state
	removed  []int32
	ruined   []bool // routes touched by this ruin
	touched  []int32
	t0, tEnd float64
	blink    func() bool
	unplList []int32
}

func newLNS(s *state) *lns {
	l := &lns{s: s, ruined: make([]bool, len(s.routes))}
	l.blink = func() bool { return s.rng.Float64() < blinkRate }
	// temperature scale: a fraction of the typical distance between a task and its nearest neighbours
	md := s.md
	sum, n := 0.0, 0
	for i := range md.tasks {
		tk := &md.tasks[i]
		if len(tk.neigh) > 0 {
			k := tk.neigh[min(len(tk.neigh)-1, 4)]
			sum += md.dist(tk.pt, md.tasks[k].pt)
			n++
		}
	}
	scale := 1.0
	if n > 0 && sum > 0 {
		scale = sum / float64(n)
	}
	l.t0, l.tEnd = 0.3*scale, 0.003*scale
	return l
}

// temperature at progress p ∈ [0,1] (geometric cooling).
func (l *lns) temperature(p float64) float64 {
	return l.t0 * math.Pow(l.tEnd/l.t0, math.Min(1, math.Max(0, p)))
}

// step runs one ruin-and-recreate iteration and accepts or undoes it; it returns true when the state changed.
func (l *lns) step(p float64) bool {
	s := l.s
	oldCost, oldUnplaced, oldObj := s.cost, s.unplaced, s.obj()
	l.ruin()
	l.recreate()
	temp := l.temperature(p)
	if s.obj() < oldObj-temp*math.Log(s.rng.Float64()) {
		s.commit()
		return true
	}
	s.rollback(oldCost, oldUnplaced)
	return false
}

// ruin removes strings of tasks from routes near a random seed task.
func (l *lns) ruin() {
	s := l.s
	md := s.md
	l.removed = l.removed[:0]
	for _, r := range l.touched {
		l.ruined[r] = false
	}
	l.touched = l.touched[:0]
	// average placed route length bounds the string length
	placed := len(md.tasks) - s.unplaced
	busy := 0
	for i := range s.routes {
		if len(s.routes[i].seq) > 0 {
			busy++
		}
	}
	if busy == 0 || placed == 0 {
		return
	}
	lsMax := math.Min(maxString, float64(placed)/float64(busy))
	ksMax := 4*avgRemoved/(1+lsMax) - 1
	ks := int(s.rng.Float64()*ksMax) + 1
	seed := int32(s.rng.IntN(len(md.tasks)))
	visit := func(c int32) {
		r := s.where[c]
		if r < 0 || l.ruined[r] || md.tasks[c].locked {
			return
		}
		l.ruined[r] = true
		l.touched = append(l.touched, r)
		rt := &s.routes[r]
		lmax := math.Min(float64(len(rt.seq)), lsMax)
		ln := int(s.rng.Float64()*lmax) + 1
		pos := 0
		for pos < len(rt.seq) && rt.seq[pos] != c {
			pos++
		}
		// a string of ln consecutive tasks that contains c
		first := pos - s.rng.IntN(ln)
		first = max(0, min(first, len(rt.seq)-ln))
		var take []int32
		for k := first; k < first+ln && k < len(rt.seq); k++ {
			if !md.tasks[rt.seq[k]].locked {
				take = append(take, rt.seq[k])
			}
		}
		for _, id := range take {
			s.takeOut(id)
			l.removed = append(l.removed, id)
		}
	}
	visit(seed)
	for _, c := range md.tasks[seed].neigh {
		if len(l.touched) >= ks {
			break
		}
		visit(c)
	}
}

// recreate inserts the removed tasks and a few unplaced ones, in one of SISR's orders.
func (l *lns) recreate() {
	s := l.s
	md := s.md
	if s.unplaced > len(l.removed) {
		l.unplList = l.unplList[:0]
		inRemoved := map[int32]bool{}
		for _, id := range l.removed {
			inRemoved[id] = true
		}
		for i, w := range s.where {
			if w < 0 && s.placeable[i] && !inRemoved[int32(i)] {
				l.unplList = append(l.unplList, int32(i))
			}
		}
		for k := 0; k < retryUnplac && len(l.unplList) > 0; k++ {
			j := s.rng.IntN(len(l.unplList))
			l.removed = append(l.removed, l.unplList[j])
			l.unplList[j] = l.unplList[len(l.unplList)-1]
			l.unplList = l.unplList[:len(l.unplList)-1]
		}
	}
	rem := l.removed
	switch x := s.rng.Float64(); {
	case x < 0.4:
		s.rng.Shuffle(len(rem), func(a, b int) { rem[a], rem[b] = rem[b], rem[a] })
	case x < 0.8:
		sort.Slice(rem, func(a, b int) bool { return md.tasks[rem[a]].area > md.tasks[rem[b]].area })
	case x < 0.9:
		sort.Slice(rem, func(a, b int) bool { return l.baseDist(rem[a]) > l.baseDist(rem[b]) })
	default:
		sort.Slice(rem, func(a, b int) bool { return l.baseDist(rem[a]) < l.baseDist(rem[b]) })
	}
	for _, id := range rem {
		s.insert(id, l.blink)
	}
}

// baseDist is the distance from a task to its nearest candidate machine's base.
func (l *lns) baseDist(id int32) float64 {
	md := l.s.md
	tk := &md.tasks[id]
	if len(tk.cand) == 0 {
		return 0
	}
	return md.dist(md.mBase[tk.cand[0]], tk.pt)
}
