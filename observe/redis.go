package observe

import "github.com/prometheus/client_golang/prometheus"

// RedisFunc registers the gauge spacegraph_redis_degraded, read at each scrape from
// degraded: 1 while the gateway holds its Redis for unreachable and serves from its
// in-process caches and a local share of the budget, 0 while Redis is in use. A
// gateway without Redis does not call it, and has no such series.
func (m *Metrics) RedisFunc(degraded func() bool) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "redis_degraded",
		Help: "1 while Redis is unreachable and the gateway serves from its in-process caches and a local share of the LL2 budget; 0 while Redis is in use.",
	}, func() float64 {
		if degraded() {
			return 1
		}
		return 0
	}))
}
