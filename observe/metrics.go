package observe

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"spacegraph/catalog"
	"spacegraph/economy"
	"spacegraph/ll2"
)

// Namespace prefixes every metric of the gateway, so that its series are told apart
// from those of other programs scraped by the same Prometheus.
const Namespace = "spacegraph"

// Options tune Metrics.
type Options struct {
	// Operations, when set, are the only operation names reported under their own
	// name; every other is "other". A gateway that serves trusted documents knows its
	// operations in advance and should list them, so that no client can take the
	// places of real operations.
	Operations []string
	// MaxOperations bounds the distinct operation names otherwise (0: 100); names past
	// it are "other".
	MaxOperations int
	// OperationIdle is how long an operation name keeps its place without being used
	// once MaxOperations is reached (0: an hour): past it, a new name takes the place
	// and the old name's series are deleted, so that the first names ever seen do not
	// hold every place for good. While places are free, no name is released.
	OperationIdle time.Duration
	// Now is the clock of OperationIdle (nil: time.Now).
	Now func() time.Time
	// BudgetTimeout bounds the budget callback at each scrape (0: 2 s), since a budget
	// in Redis may hang while Redis does, and a scrape must still answer.
	BudgetTimeout time.Duration
}

// Metrics holds the gateway's metrics on a registry of its own: the global registry
// would mix in whatever else the process registers, and tests could not build two
// gateways side by side. Every method accepts a nil receiver and then does nothing.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	ops        *prometheus.CounterVec
	opDuration *prometheus.HistogramVec

	upstreamCalls    *prometheus.CounterVec
	upstreamDuration *prometheus.HistogramVec

	cache *prometheus.CounterVec

	loaderBatch *prometheus.HistogramVec

	budget *budgetCollector

	opNames   *labelSet
	endpoints *labelSet
	routes    *labelSet
	codes     *labelSet
	loaders   *labelSet
}

// Buckets of the duration histograms, in seconds. Answers from the caches take well
// under a millisecond, LL2 can take tens of seconds, and a request's deadline is at
// most a minute.
var (
	requestBuckets  = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	upstreamBuckets = []float64{.0005, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30}
	batchBuckets    = []float64{1, 2, 3, 5, 8, 13, 21, 34, 55, 100}
)

// New returns the gateway's metrics, with the Go runtime and process collectors.
func New(o Options) *Metrics {
	if o.MaxOperations <= 0 {
		o.MaxOperations = defaultMaxOps
	}
	if o.BudgetTimeout <= 0 {
		o.BudgetTimeout = 2 * time.Second
	}
	if o.OperationIdle <= 0 {
		o.OperationIdle = defaultOpIdle
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "http_requests_total",
			Help: "HTTP requests served, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route.",
			Buckets: requestBuckets,
		}, []string{"route"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "http_requests_in_flight",
			Help: "HTTP requests being served now.",
		}),
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "graphql_operations_total",
			Help: "GraphQL operations, by operation name, outcome (ok, partial, error) and the first error's code.",
		}, []string{"operation", "outcome", "code"}),
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "graphql_operation_duration_seconds",
			Help:    "Time from reading a GraphQL request to its response, by operation name and outcome.",
			Buckets: requestBuckets,
		}, []string{"operation", "outcome"}),
		upstreamCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "upstream_calls_total",
			Help: "Calls of the LL2 client, answered by the answer cache or by LL2, by endpoint and status (\"error\": no answer).",
		}, []string{"endpoint", "status"}),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "upstream_call_duration_seconds",
			Help:    "Duration of the LL2 client's calls, body read and all, by endpoint.",
			Buckets: upstreamBuckets,
		}, []string{"endpoint"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "cache_outcomes_total",
			Help: "Cache lookups by layer (answer, response, entity) and outcome (hit, miss, stale, stale-if-error, budget, error).",
		}, []string{"layer", "outcome"}),
		loaderBatch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "loader_batch_size",
			Help:    "Keys per dataloader batch, by loader.",
			Buckets: batchBuckets,
		}, []string{"loader"}),
		budget: newBudgetCollector(o.BudgetTimeout),

		opNames:   newLabelSet(o.MaxOperations, o.Operations),
		endpoints: newLabelSet(maxEndpoints, nil),
		routes:    newLabelSet(maxRoutes, nil),
		codes:     newLabelSet(maxCodes, nil),
		loaders:   newLabelSet(maxLoaders, nil),
	}
	m.opNames.idle, m.opNames.now = o.OperationIdle, o.Now
	m.opNames.release = func(name string) {
		m.ops.DeletePartialMatch(prometheus.Labels{"operation": name})
		m.opDuration.DeletePartialMatch(prometheus.Labels{"operation": name})
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.httpInFlight,
		m.ops, m.opDuration,
		m.upstreamCalls, m.upstreamDuration,
		m.cache, m.loaderBatch, m.budget,
	)
	// The outcomes each layer can have start at zero, so that rates and ratios are
	// defined from the first scrape rather than from the first occurrence.
	for _, o := range []string{OutcomeHit, OutcomeStale, OutcomeStaleIfError, OutcomeMiss, OutcomeBudget, OutcomeError} {
		m.cache.WithLabelValues(LayerAnswer, o)
	}
	for _, l := range []string{LayerResponse, LayerEntity} {
		m.cache.WithLabelValues(l, OutcomeHit)
		m.cache.WithLabelValues(l, OutcomeMiss)
	}
	return m
}

// Registry returns the registry, for metrics the gateway adds of its own.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// Handler serves the metrics in Prometheus' text format (or OpenMetrics when asked).
// A collector that fails does not fail the scrape: the others are still worth having.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:          m.reg,
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
}

// UpstreamCall records one call of the LL2 client; it has the signature of
// ll2.Config.Observe.
func (m *Metrics) UpstreamCall(c ll2.Call) {
	if m == nil {
		return
	}
	ep := m.endpoints.get(Endpoint(c.Path), true)
	m.upstreamCalls.WithLabelValues(ep, statusLabel(c.Status)).Inc()
	m.upstreamDuration.WithLabelValues(ep).Observe(c.Duration.Seconds())
}

// UpstreamEvent records the answer cache's outcome of one request; it has the
// signature of economy.Options.Observe.
func (m *Metrics) UpstreamEvent(e economy.Event) {
	m.CacheOutcome(LayerAnswer, e.Outcome)
}

// CacheOutcome records one lookup of a cache layer (LayerAnswer, LayerResponse,
// LayerEntity) with its outcome (OutcomeHit …); unknown layers and outcomes are
// "other".
func (m *Metrics) CacheOutcome(layer, outcome string) {
	if m == nil {
		return
	}
	m.cache.WithLabelValues(cacheLayerLabel(layer), cacheOutcomeLabel(outcome)).Inc()
}

// LoaderBatch records the size of one dataloader batch.
func (m *Metrics) LoaderBatch(loader string, size int) {
	if m == nil {
		return
	}
	if !plainLabel(loader) {
		loader = Other
	}
	m.loaderBatch.WithLabelValues(m.loaders.get(loader, true)).Observe(float64(size))
}

// BudgetFunc registers the callback the budget gauges read at each scrape: the calls
// that may go out now and the window's limit, ok false when the budget cannot be read
// (the gauges are then left out of that scrape rather than showing a made-up value).
// A later registration replaces an earlier one. See BudgetOf for economy.Budget.
func (m *Metrics) BudgetFunc(f func(ctx context.Context) (remaining, limit int, ok bool)) {
	if m == nil {
		return
	}
	m.budget.fn.Store(&f)
}

// BudgetOf adapts an economy.Budget to Metrics.BudgetFunc. An unlimited budget reports a
// limit of 0 and a remaining of -1, as economy.BudgetStatus does; now is the clock
// the budget counts with (nil: time.Now).
func BudgetOf(b economy.Budget, now func() time.Time) func(ctx context.Context) (remaining, limit int, ok bool) {
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context) (int, int, bool) {
		if b == nil {
			return 0, 0, false
		}
		st, err := b.Status(ctx)
		if err != nil {
			return 0, 0, false
		}
		return st.Remaining(now()), st.Limit, true
	}
}

// budgetCollector reads the budget when scraped: the budget may live in Redis, shared
// and spent by other replicas, so a value pushed at each call would be stale.
type budgetCollector struct {
	fn        atomic.Pointer[func(ctx context.Context) (int, int, bool)]
	remaining *prometheus.Desc
	limit     *prometheus.Desc
	timeout   time.Duration
}

func newBudgetCollector(timeout time.Duration) *budgetCollector {
	return &budgetCollector{
		remaining: prometheus.NewDesc(Namespace+"_upstream_budget_remaining",
			"LL2 calls the budget allows now (-1: unlimited; 0 also while LL2's 429 wait lasts).", nil, nil),
		limit: prometheus.NewDesc(Namespace+"_upstream_budget_limit",
			"LL2 calls the budget allows per window (0: unlimited).", nil, nil),
		timeout: timeout,
	}
}

// Describe sends the gauges' descriptions.
func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.remaining
	ch <- c.limit
}

// Collect reads the budget through the registered callback.
func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	f := c.fn.Load()
	if f == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	remaining, limit, ok := (*f)(ctx)
	if !ok {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.remaining, prometheus.GaugeValue, float64(remaining))
	ch <- prometheus.MustNewConstMetric(c.limit, prometheus.GaugeValue, float64(limit))
}

// EntityCache returns c with its lookups counted under LayerEntity: each id asked for
// is a hit when the cache had it at the level asked, else a miss; an entity that stands
// in, stale, when LL2 failed is a stale-if-error. Only Get, GetStale and Put are
// passed on: Close and other methods stay with the cache, which the gateway closes
// through its own reference.
func (m *Metrics) EntityCache(c catalog.EntityCache) catalog.EntityCache {
	if m == nil || c == nil {
		return c
	}
	return &entityCache{c: c, m: m}
}

type entityCache struct {
	c catalog.EntityCache
	m *Metrics
}

func (e *entityCache) Get(ctx context.Context, k catalog.Kind, ids []int, l ll2.Level) map[int]catalog.Cached {
	got := e.c.Get(ctx, k, ids, l)
	hits := len(got)
	misses := max(0, len(ids)-hits)
	if hits > 0 {
		e.m.cache.WithLabelValues(LayerEntity, OutcomeHit).Add(float64(hits))
	}
	if misses > 0 {
		e.m.cache.WithLabelValues(LayerEntity, OutcomeMiss).Add(float64(misses))
	}
	return got
}

// GetStale counts each entity it finds as a stale-if-error: the lookup was already
// counted as a miss by Get, and LL2 then failed.
func (e *entityCache) GetStale(ctx context.Context, k catalog.Kind, ids []int, l ll2.Level) map[int]catalog.Cached {
	got := e.c.GetStale(ctx, k, ids, l)
	if len(got) > 0 {
		e.m.cache.WithLabelValues(LayerEntity, OutcomeStaleIfError).Add(float64(len(got)))
	}
	return got
}

func (e *entityCache) Put(ctx context.Context, s *catalog.Seen) { e.c.Put(ctx, s) }
