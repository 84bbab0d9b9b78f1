package indicator

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
)

// Cached rollups with invalidation. A dashboard asks the same few hundred (source, filter, period, region) cells
// again and again while the data under them rarely changes between two looks. Every write on the platform is
// audited in its own transaction (the platform rule), so the audit chain's head sequence is a change stamp of the
// whole database, and the records between two heads say which entities changed. The cache keeps every computed
// cell under its source; when the head moves it drops the cells of the sources that read a changed entity (a
// source declares them with Depends, or through WithDepends at wiring) and of every source that declares nothing.
// One indexed single-row read per evaluation decides; several servers on one PostgreSQL database see the same head,
// so none serves a number older than the last committed write. A TTL bounds what no write announces (sources that
// depend on today's date, such as contracts in force).

// Stamp is the change feed the cache follows: the current head, and the entities changed between two heads.
type Stamp interface {
	Head(ctx context.Context) (int64, error)
	Changed(ctx context.Context, after, upTo int64) (map[string]int, error)
}

type auditStamp struct{ d *db.DB }

// AuditStamp follows the audit trail: its head moves with every audited write.
func AuditStamp(d *db.DB) Stamp { return auditStamp{d: d} }

func (a auditStamp) Head(ctx context.Context) (int64, error) { return audit.Head(ctx, a.d) }
func (a auditStamp) Changed(ctx context.Context, after, upTo int64) (map[string]int, error) {
	return audit.EntitiesBetween(ctx, a.d, after, upTo)
}

// Dependent is a source that names the audit entities its numbers are computed from.
type Dependent interface {
	Depends() []string
}

// WithDepends declares the entities a source reads (the wiring knows what a room's adapter reads); it keeps the
// source's batch ability.
func WithDepends(s Source, entities ...string) Source {
	if b, ok := s.(BatchSource); ok {
		return depBatch{BatchSource: b, deps: entities}
	}
	return dep{Source: s, deps: entities}
}

type dep struct {
	Source
	deps []string
}

func (d dep) Depends() []string { return d.deps }

type depBatch struct {
	BatchSource
	deps []string
}

func (d depBatch) Depends() []string { return d.deps }

// maxDiff is how many changed records the cache inspects before it simply drops everything (a large import).
const maxDiff = 200000

type cache struct {
	stamp Stamp
	ttl   time.Duration
	reg   *Registry

	mu    sync.Mutex
	at    int64     // head the cells are valid at
	since time.Time // when the cells started (TTL)
	cells map[string]map[string]float64
	hits  int64
	miss  int64
}

// UseCache turns on cached rollups invalidated by stamp (and after ttl).
func (s *Service) UseCache(stamp Stamp, ttl time.Duration) {
	s.cache = &cache{stamp: stamp, ttl: ttl, reg: s.Sources, cells: map[string]map[string]float64{}}
}

// CacheStats reports the cache's hits and misses since start (for the benchmark).
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
		c.cells = map[string]map[string]float64{}
		c.mu.Unlock()
	}
}

// refresh checks the head once per evaluation and drops what the changes since the last look may have moved.
func (c *cache) refresh(ctx context.Context, now time.Time) error {
	head, err := c.stamp.Head(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	at, since := c.at, c.since
	c.mu.Unlock()
	if head == at && now.Sub(since) <= c.ttl {
		return nil
	}
	var changed map[string]int
	if head != at && now.Sub(since) <= c.ttl && head-at <= maxDiff && at > 0 {
		if changed, err = c.stamp.Changed(ctx, at, head); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at != at { // another evaluation refreshed meanwhile
		return nil
	}
	if changed == nil {
		c.cells = map[string]map[string]float64{}
		c.since = now
	} else {
		for key := range c.cells {
			if c.affected(key, changed) {
				delete(c.cells, key)
			}
		}
	}
	c.at = head
	return nil
}

// affected reports whether a source's cells may have moved with the changed entities.
func (c *cache) affected(source string, changed map[string]int) bool {
	s, ok := c.reg.Get(source)
	if !ok {
		return true
	}
	d, ok := s.(Dependent)
	if !ok {
		return true
	}
	for _, e := range d.Depends() {
		if changed[e] > 0 {
			return true
		}
	}
	return false
}

func cellKey(filter map[string]string, p Period, prefix string) string {
	f, _ := json.Marshal(filter) // map keys are sorted: one spelling per filter
	return string(f) + "\x00" + strconv.FormatInt(p.From.Unix(), 10) + ":" + strconv.FormatInt(p.To.Unix(), 10) + "\x00" + prefix
}

// values answers a source for regions from the cache, asking the source only for the missing regions (in one
// batch when it answers batches).
func (c *cache) values(ctx context.Context, r *Registry, key string, filter map[string]string, regions []string, p Period) ([]float64, error) {
	out := make([]float64, len(regions))
	keys := make([]string, len(regions))
	var missing []int
	c.mu.Lock()
	cells := c.cells[key]
	for i, reg := range regions {
		keys[i] = cellKey(filter, p, Prefix(reg))
		if v, ok := cells[keys[i]]; ok {
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
	store := c.at == at // a write during the computation: do not store what may predate it
	if store && c.cells[key] == nil {
		c.cells[key] = map[string]float64{}
	}
	for j, i := range missing {
		out[i] = vals[j]
		if store {
			c.cells[key][keys[i]] = vals[j]
		}
	}
	return out, nil
}
