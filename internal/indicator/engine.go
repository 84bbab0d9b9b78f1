package indicator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"sync"
)

// ErrNoSource means an indicator's source is not registered (yet): no room measures it, so it is "reported".
var ErrNoSource = errors.New("indicator: source not registered")

// Registry holds the sources rooms register at start; it is safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	sources map[string]Source
}

// NewRegistry makes a registry holding sources.
func NewRegistry(sources ...Source) *Registry {
	r := &Registry{sources: map[string]Source{}}
	for _, s := range sources {
		if err := r.Register(s); err != nil {
			panic(err) // a wiring mistake at start
		}
	}
	return r
}

// Register adds sources; a key may be registered once.
func (r *Registry) Register(sources ...Source) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range sources {
		if s == nil || s.Key() == "" {
			return errors.New("indicator: source without a key")
		}
		if _, dup := r.sources[s.Key()]; dup {
			return fmt.Errorf("indicator: source %q registered twice", s.Key())
		}
		r.sources[s.Key()] = s
	}
	return nil
}

// Get returns a registered source.
func (r *Registry) Get(key string) (Source, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.sources[key]
	return s, ok
}

// List returns the registered sources ordered by key.
func (r *Registry) List() []Source {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Source, 0, len(r.sources))
	for _, s := range r.sources {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// Computable reports whether every source x needs is registered.
func (r *Registry) Computable(x Indicator) bool {
	if _, ok := r.Get(x.Source); !ok {
		return false
	}
	if x.Aggregation == AggRatio {
		if _, ok := r.Get(x.Denominator); !ok {
			return false
		}
	}
	return true
}

// Concurrency is how many source queries a dashboard evaluation runs at once.
const Concurrency = 8

// Compute evaluates x for each region (a code or a prefix) in period p: one batch call per source when the source
// answers batches, otherwise one query per region, run concurrently. Missing sources give ErrNoSource.
func (r *Registry) Compute(ctx context.Context, x Indicator, regions []string, p Period) ([]float64, error) {
	num, err := r.sourceValues(ctx, x.Source, x.Filter, regions, p)
	if err != nil {
		return nil, err
	}
	if x.Aggregation != AggRatio {
		return num, nil
	}
	den, err := r.sourceValues(ctx, x.Denominator, x.Filter, regions, p)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(num))
	for i := range num {
		if den[i] != 0 {
			out[i] = num[i] / den[i] * 100
		}
	}
	return out, nil
}

func (r *Registry) sourceValues(ctx context.Context, key string, filter map[string]string, regions []string, p Period) ([]float64, error) {
	s, ok := r.Get(key)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoSource, key)
	}
	prefixes := make([]string, len(regions))
	for i, reg := range regions {
		prefixes[i] = Prefix(reg)
	}
	q := Query{From: p.From, To: p.To, Filter: maps.Clone(filter)}
	if b, ok := s.(BatchSource); ok && len(prefixes) > 1 {
		out, err := b.Values(ctx, q, prefixes)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", key, err)
		}
		if len(out) != len(prefixes) {
			return nil, fmt.Errorf("source %s: %d values for %d regions", key, len(out), len(prefixes))
		}
		return out, nil
	}
	out := make([]float64, len(prefixes))
	errs := make([]error, len(prefixes))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, Concurrency)
	var wg sync.WaitGroup
	for i, pre := range prefixes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			qi := q
			qi.RegionPrefix = pre
			qi.Filter = maps.Clone(filter)
			v, err := s.Value(ctx, qi)
			if err != nil {
				errs[i] = fmt.Errorf("source %s (%s): %w", key, pre, err)
				cancel()
				return
			}
			out[i] = v
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Func is a Source made of a function (adapters and tests).
type Func struct {
	K, N string
	F    func(ctx context.Context, q Query) (float64, error)
}

// Key is the source's key.
func (f Func) Key() string { return f.K }

// Name is the source's Chinese name.
func (f Func) Name() string { return f.N }

// Value runs the function.
func (f Func) Value(ctx context.Context, q Query) (float64, error) { return f.F(ctx, q) }
