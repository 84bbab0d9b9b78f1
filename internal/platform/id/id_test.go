package id

import (
	"testing"
	"time"
)

func TestNextIsIncreasingAndJSSafe(t *testing.T) {
	g := New(3)
	prev := int64(0)
	for i := 0; i < 100000; i++ {
		v := g.Next()
		if v <= prev {
			t.Fatalf("id %d not greater than %d at %d", v, prev, i)
		}
		if v >= 1<<53 {
			t.Fatalf("id %d exceeds 2^53", v)
		}
		prev = v
	}
	if d := time.Since(Time(prev)); d < -time.Second*2 || d > time.Minute {
		t.Fatalf("time of id off by %v", d)
	}
}
