// Package id makes 64-bit, time-ordered, never-reused record ids that are also safe as JavaScript numbers
// (< 2^53): 41 bits of milliseconds since 2024-01-01 UTC, 4 bits of node, 8 bits of sequence.
// No database sequence is involved, so the ids work the same on SQLite, PostgreSQL and distributed engines.
package id

import (
	"sync"
	"time"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

const (
	seqBits  = 8
	nodeBits = 4
	maxSeq   = 1<<seqBits - 1
)

// Generator hands out ids. The zero value is not usable; call New.
type Generator struct {
	mu   sync.Mutex
	node int64
	last int64 // last millisecond used (may run ahead of the clock under bursts)
	seq  int64
	now  func() time.Time
}

// New returns a generator for node (0–15); deployments with several writers give each its own node.
func New(node int) *Generator {
	return &Generator{node: int64(node) & (1<<nodeBits - 1), now: time.Now}
}

// Next returns a fresh id, strictly greater than any earlier one from this generator.
func (g *Generator) Next() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := g.now().UnixMilli() - epoch
	if ms > g.last {
		g.last, g.seq = ms, 0
	} else {
		g.seq++
		if g.seq > maxSeq {
			// borrow the next millisecond rather than wait: bursts (imports) stay fast and ids stay ordered
			g.last++
			g.seq = 0
		}
	}
	return g.last<<(seqBits+nodeBits) | g.node<<seqBits | g.seq
}

// Time returns the creation time encoded in an id.
func Time(id int64) time.Time {
	return time.UnixMilli(id>>(seqBits+nodeBits) + epoch).UTC()
}
