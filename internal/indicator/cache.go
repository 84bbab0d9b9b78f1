package indicator

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"nongfu/internal/platform/db"
)

// Cached rollups with invalidation. A dashboard asks the same few hundred (source, filter, period, region) cells
// again and again while the data under them rarely changes between two looks. Every write on the platform is
// audited in its own transaction (the platform rule), so the audit chain's head sequence is a change stamp of the
// whole database: the cache keeps every computed cell tagged with the stamp it was computed under and drops all of
// them as soon as the stamp moves. One indexed single-row read per evaluation decides; several servers on one
// PostgreSQL database see the same stamp, so none serves a number older than the last write. A TTL bounds what no
// write announces (sources that depend on today's date, such as contracts in force).

// Stamp returns the database's current change stamp.
type Stamp func(ctx context.Context) (int64, error)

// AuditStamp is the audit chain head's sequence number: it moves with every audited write.
func AuditStamp(d *db.DB) Stamp {
	return func(ctx context.Context) (int64, error) {
		var seq int64
		if err := d.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_head`).Scan(&seq); err != nil {
			return 0, fmt.Errorf("change stamp: %w", err)
		}
		return seq, nil
	}
}

type cache struct {
	stamp Stamp
	ttl   time.Duration

	mu    sync.Mutex
	at    int64     // stamp the cells were computed under
	since time.Time // when they started
	cells map[string]float64
	hits  int64
	miss  int64
}

// UseCache turns on cached rollups invalidated by stamp (and after ttl).
func (s *Service) UseCache(stamp Stamp, ttl time.Duration) {
	s.cache = &cache{stamp: stamp, ttl: ttl, cells: map[string]float64{}}
}

// CacheStats reports the cache's hits and misses since start (for the benchmark and /metrics-style pages).
func (s *Service) CacheStats() (hits, misses int64) {
	if s.cache == nil {
		return 0, 0
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.hits, s.cache.miss
}

// InvalidateCache drops every cached cell (tests, and writes that bypass the audit trail).
func (s *Service) InvalidateCache() {
	if c := s.cache; c != nil {
		c.mu.Lock()
		c.cells = map[string]float64{}
		c.mu.Unlock()
	}
}

// refresh checks the stamp once per evaluation and drops stale cells.
func (c *cache) refresh(ctx context.Context, now time.Time) error {
	st, err := c.stamp(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st != c.at || now.Sub(c.since) > c.ttl {
		c.cells = map[string]float64{}
		c.at, c.since = st, now
	}
	return nil
}

func cellKey(source string, filter map[string]string, p Period, prefix string) string {
	f, _ := json.Marshal(filter) // map keys are sorted: one spelling per filter
	return source + "\x00" + string(f) + "\x00" + strconv.FormatInt(p.From.Unix(), 10) + ":" + strconv.FormatInt(p.To.Unix(), 10) +
		"\x00" + prefix
}

// values answers a source for regions from the cache, asking the source only for the missing regions (in one
// batch when it answers batches).
func (c *cache) values(ctx context.Context, r *Registry, key string, filter map[string]string, regions []string, p Period) ([]float64, error) {
	out := make([]float64, len(regions))
	keys := make([]string, len(regions))
	var missing []int
	c.mu.Lock()
	for i, reg := range regions {
		keys[i] = cellKey(key, filter, p, Prefix(reg))
		if v, ok := c.cells[keys[i]]; ok {
			out[i] = v
			c.hits++
		} else {
			missing = append(missing, i)
			c.miss++
		}
	}
	at := c.at
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	ask := make([]string, len(missing))
	for j, i := range missing {
		ask[j] = regions[i]
	}
	vals, err := r.sourceValues(ctx, key, filter, ask, p)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for j, i := range missing {
		out[i] = vals[j]
		if c.at == at { // a write during the computation: do not store what may predate it
			c.cells[keys[i]] = vals[j]
		}
	}
	return out, nil
}
