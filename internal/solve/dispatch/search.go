package dispatch

import (
	"math"
	"math/rand/v2"
	"sort"
)

// unplacedCost makes placing one more task worth more than any travel or lateness saving.
const unplacedCost = 1e9

// state is a solution under search: routes by machine-day, the route of every task (-1 = unplaced), and an undo log.
type state struct {
	md       *model
	routes   []route
	where    []int32 // route of each task, -1 unplaced
	unplaced int     // placeable tasks not placed
	cost     float64 // Σ route cost (travel + lateness); see obj for the unplaced term
	// placeable marks tasks that may be placed at all (compatible machine, window inside the horizon)
	placeable []bool
	rng       *rand.Rand
	scratch   []int32
	// undo log for one LNS iteration
	saved    []int32 // routes saved this iteration
	savedSeq [][]int32
	isSaved  []bool
}

func newState(md *model, seed uint64) *state {
	s := &state{
		md:        md,
		routes:    make([]route, md.nm*md.days),
		where:     make([]int32, len(md.tasks)),
		placeable: make([]bool, len(md.tasks)),
		isSaved:   make([]bool, md.nm*md.days),
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	for m := 0; m < md.nm; m++ {
		for d := 0; d < md.days; d++ {
			s.routes[md.route(m, d)] = route{m: int32(m), day: d}
		}
	}
	for i := range s.where {
		s.where[i] = -1
		tk := &md.tasks[i]
		s.placeable[i] = tk.locked || (!md.noMachine[tk.job] && tk.earliest < md.days)
	}
	return s
}

func (s *state) total() float64 {
	c := 0.0
	for i := range s.routes {
		if len(s.routes[i].seq) > 0 {
			c += s.routes[i].cost()
		}
	}
	return c
}

// obj is the search objective: unplaced tasks first, then cost. The unplaced term is added here rather than kept in
// cost so that the running sum does not lose precision to it.
func (s *state) obj() float64 { return s.cost + unplacedCost*float64(s.unplaced) }

// save records route r's sequence before the current iteration first changes it.
func (s *state) save(r int32) {
	if s.isSaved[r] {
		return
	}
	s.isSaved[r] = true
	s.saved = append(s.saved, r)
	s.savedSeq = append(s.savedSeq, append([]int32(nil), s.routes[r].seq...))
}

// commit forgets the undo log; rollback restores every saved route.
func (s *state) commit() {
	for _, r := range s.saved {
		s.isSaved[r] = false
	}
	s.saved, s.savedSeq = s.saved[:0], s.savedSeq[:0]
}

func (s *state) rollback(cost float64, unplaced int) {
	// two passes: a task may have moved between two saved routes
	for _, r := range s.saved {
		for _, id := range s.routes[r].seq {
			s.where[id] = -1
		}
	}
	for k, r := range s.saved {
		rt := &s.routes[r]
		rt.seq = append(rt.seq[:0], s.savedSeq[k]...)
		for _, id := range rt.seq {
			s.where[id] = r
		}
		s.md.refresh(rt)
	}
	s.cost, s.unplaced = cost, unplaced
	s.commit()
}

// placeLocks puts every locked task into its route in start order.
func (s *state) placeLocks() {
	md := s.md
	for i := range md.tasks {
		tk := &md.tasks[i]
		if !tk.locked {
			continue
		}
		r := &s.routes[tk.lockRoute]
		pos := 0
		for pos < len(r.seq) && md.tasks[r.seq[pos]].lockStart < tk.lockStart {
			pos++
		}
		md.insertAt(r, int32(i), pos)
		s.where[i] = tk.lockRoute
	}
}

// takeOut removes a free task from its route (saving the route first).
func (s *state) takeOut(id int32) {
	r := s.where[id]
	s.save(r)
	rt := &s.routes[r]
	s.cost -= rt.cost()
	s.md.remove(rt, id)
	s.cost += rt.cost()
	s.where[id] = -1
	s.unplaced++
}

// insert places task id at its cheapest feasible position (with blinks when blink is set); false when nowhere.
func (s *state) insert(id int32, blink func() bool) bool {
	md := s.md
	tk := &md.tasks[id]
	best := math.Inf(1)
	bestR, bestPos := int32(-1), 0
	try := func(machines []int32, lateOnly bool) {
		for _, m := range machines {
			lo, hi := tk.earliest, min(tk.latest, md.days-1)
			if lateOnly {
				lo = max(tk.earliest, tk.latest+1)
				hi = md.days - 1
			}
			for d := lo; d <= hi; d++ {
				if lateOnly && md.lateCost(tk, d) >= best {
					break
				}
				r := int32(md.route(int(m), d))
				if !md.avail[r] {
					continue
				}
				delta, pos, ok := md.bestInsert(&s.routes[r], id, blink, &s.scratch)
				if ok && delta < best {
					best, bestR, bestPos = delta, r, pos
				}
			}
		}
	}
	try(tk.cand, false)
	if bestR < 0 && !tk.allCand {
		try(md.typeMach[tk.typ], false)
	}
	if tk.latest < md.days-1 {
		try(tk.cand, true)
		if bestR < 0 && !tk.allCand {
			try(md.typeMach[tk.typ], true)
		}
	}
	if bestR < 0 {
		return false
	}
	s.save(bestR)
	rt := &s.routes[bestR]
	s.cost -= rt.cost()
	md.insertAt(rt, id, bestPos)
	s.cost += rt.cost()
	s.where[id] = bestR
	s.unplaced--
	return true
}

// construct builds the first plan: locks, then free tasks hardest first (fewest machine-days in their window, then
// largest area), each at its cheapest feasible position.
func (s *state) construct() {
	md := s.md
	s.placeLocks()
	var order []int32
	slots := make([]int, len(md.tasks))
	for i := range md.tasks {
		tk := &md.tasks[i]
		if tk.locked || !s.placeable[i] {
			continue
		}
		s.unplaced++
		order = append(order, int32(i))
		n := 0
		for _, m := range md.typeMach[tk.typ] {
			for d := tk.earliest; d <= min(tk.latest, md.days-1); d++ {
				if md.avail[md.route(int(m), d)] {
					n++
				}
			}
		}
		slots[i] = n
	}
	sort.SliceStable(order, func(a, b int) bool {
		ta, tb := order[a], order[b]
		if slots[ta] != slots[tb] {
			return slots[ta] < slots[tb]
		}
		return md.tasks[ta].area > md.tasks[tb].area
	})
	s.cost = s.total()
	for _, id := range order {
		s.insert(id, nil)
	}
	s.commit()
	s.cost = s.total()
}

// snapshot copies the route sequences (the best plan so far).
func (s *state) snapshot(dst [][]int32) [][]int32 {
	if dst == nil {
		dst = make([][]int32, len(s.routes))
	}
	for i := range s.routes {
		dst[i] = append(dst[i][:0], s.routes[i].seq...)
	}
	return dst
}
