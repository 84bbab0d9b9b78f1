package web

import (
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Metrics counts requests and their durations in the Prometheus text format; small enough that a client library
// would be more weight than help.
type Metrics struct {
	mu      sync.Mutex
	count   map[[3]string]int64
	seconds map[[2]string]float64
	started time.Time
}

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{count: map[[3]string]int64{}, seconds: map[[2]string]float64{}, started: time.Now()}
}

// Observe records one request.
func (m *Metrics) Observe(method, route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.count[[3]string{method, route, strconv.Itoa(status)}]++
	m.seconds[[2]string{method, route}] += d.Seconds()
}

func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# HELP nongfu_http_requests_total HTTP requests by route and status.")
	fmt.Fprintln(w, "# TYPE nongfu_http_requests_total counter")
	keys := make([][3]string, 0, len(m.count))
	for k := range m.count {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	for _, k := range keys {
		fmt.Fprintf(w, "nongfu_http_requests_total{method=%q,route=%q,status=%q} %d\n", k[0], k[1], k[2], m.count[k])
	}
	fmt.Fprintln(w, "# HELP nongfu_http_request_seconds_sum Total time spent serving requests.")
	fmt.Fprintln(w, "# TYPE nongfu_http_request_seconds_sum counter")
	skeys := make([][2]string, 0, len(m.seconds))
	for k := range m.seconds {
		skeys = append(skeys, k)
	}
	sort.Slice(skeys, func(i, j int) bool { return skeys[i][1]+skeys[i][0] < skeys[j][1]+skeys[j][0] })
	for _, k := range skeys {
		fmt.Fprintf(w, "nongfu_http_request_seconds_sum{method=%q,route=%q} %g\n", k[0], k[1], m.seconds[k])
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(w, "# TYPE nongfu_goroutines gauge\nnongfu_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(w, "# TYPE nongfu_heap_bytes gauge\nnongfu_heap_bytes %d\n", ms.HeapAlloc)
	fmt.Fprintf(w, "# TYPE nongfu_uptime_seconds gauge\nnongfu_uptime_seconds %g\n", time.Since(m.started).Seconds())
}
