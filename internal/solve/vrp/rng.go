package vrp

import "math/rand/v2"

// rng is the solver's deterministic random source.
type rng struct{ r *rand.Rand }

func newRNG(seed uint64) *rng {
	return &rng{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *rng) intn(n int) int      { return g.r.IntN(n) }
func (g *rng) float() float64      { return g.r.Float64() }
func (g *rng) shuffle32(a []int32) { g.r.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] }) }
