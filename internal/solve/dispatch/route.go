package dispatch

import "math"

const eps = 1e-6

// route is one machine-day: the tasks in visiting order and cached figures.
type route struct {
	m     int32
	day   int
	seq   []int32
	km    float64
	work  float64 // field-work minutes
	late  float64 // lateness penalty of its tasks
	locks int     // locked tasks in seq
}

func (r *route) cost() float64 { return r.km + r.late }

// timeline computes the visit start times of seq on route r (free tasks as early as possible) and reports whether
// the sequence is feasible. Rules: the field work of free tasks added to the day keeps the total within the
// machine's cap; arriving at a locked task from a free one must be in time for its locked start; after a free task
// the machine must be home by day end. Arrivals from the base or from another locked task are not checked: locks
// are kept as the dispatcher set them even if they alone are tight.
func (md *model) timeline(m int32, seq []int32, starts []float64) (km, work float64, ok bool) {
	t := md.dayStart
	prev := md.mBase[m]
	prevFree := false
	free := 0
	ok = true
	for i, id := range seq {
		tk := &md.tasks[id]
		d := md.dist(prev, tk.pt)
		km += d
		arrive := t + d*md.minPerKm
		if tk.locked {
			if prevFree && arrive > tk.lockStart+eps {
				ok = false
			}
			if starts != nil {
				starts[i] = tk.lockStart
			}
			t = tk.lockEnd
			work += tk.lockEnd - tk.lockStart
			prevFree = false
		} else {
			if starts != nil {
				starts[i] = arrive
			}
			w := md.dur(tk, m)
			t = arrive + w
			work += w
			free++
			prevFree = true
		}
		prev = tk.pt
	}
	d := md.dist(prev, md.mBase[m])
	km += d
	if prevFree && t+d*md.minPerKm > md.dayEnd+eps {
		ok = false
	}
	if free > 0 && work > md.mCap[m]+eps {
		ok = false
	}
	return km, work, ok
}

// refresh recomputes a route's cached figures.
func (md *model) refresh(r *route) {
	r.km, r.work, _ = md.timeline(r.m, r.seq, nil)
	r.late, r.locks = 0, 0
	for _, id := range r.seq {
		tk := &md.tasks[id]
		r.late += md.lateCost(tk, r.day)
		if tk.locked {
			r.locks++
		}
	}
	if len(r.seq) == 0 {
		r.km = 0
	}
}

// bestInsert finds the cheapest feasible position of task id in route r: the added km (plus lateness) and the
// position, or ok false. blink skips positions at random (SISR's blinks) when non-nil.
func (md *model) bestInsert(r *route, id int32, blink func() bool, scratch *[]int32) (delta float64, pos int, ok bool) {
	tk := &md.tasks[id]
	w := md.dur(tk, r.m)
	if r.work+w > md.mCap[r.m]+eps {
		return 0, 0, false
	}
	delta = math.Inf(1)
	late := md.lateCost(tk, r.day)
	base := md.mBase[r.m]
	n := len(r.seq)
	if r.locks == 0 {
		// fast path: no fixed times, so the day fits iff work + travel fits
		room := md.dayLen - r.work - w
		prev := base
		for i := 0; i <= n; i++ {
			next := base
			if i < n {
				next = md.tasks[r.seq[i]].pt
			}
			if blink != nil && blink() {
				prev = next
				continue
			}
			var dk float64
			if n == 0 {
				dk = 2 * md.dist(base, tk.pt)
			} else {
				dk = md.dist(prev, tk.pt) + md.dist(tk.pt, next) - md.dist(prev, next)
			}
			if dk < delta && (r.km+dk)*md.minPerKm <= room+eps {
				delta, pos, ok = dk, i, true
			}
			prev = next
		}
		return delta + late, pos, ok
	}
	// slow path with locked anchors: try each position on a copy
	s := (*scratch)[:0]
	s = append(s, r.seq...)
	s = append(s, 0)
	for i := 0; i <= n; i++ {
		if blink != nil && blink() {
			continue
		}
		copy(s[i+1:], r.seq[i:])
		copy(s[:i], r.seq[:i])
		s[i] = id
		km, _, feas := md.timeline(r.m, s, nil)
		if feas && km-r.km < delta {
			delta, pos, ok = km-r.km, i, true
		}
	}
	*scratch = s
	return delta + late, pos, ok
}

// insertAt puts task id at pos in route r and refreshes it.
func (md *model) insertAt(r *route, id int32, pos int) {
	r.seq = append(r.seq, 0)
	copy(r.seq[pos+1:], r.seq[pos:])
	r.seq[pos] = id
	md.refresh(r)
}

// remove takes task id out of route r and refreshes it.
func (md *model) remove(r *route, id int32) {
	for i, x := range r.seq {
		if x == id {
			r.seq = append(r.seq[:i], r.seq[i+1:]...)
			break
		}
	}
	md.refresh(r)
}
