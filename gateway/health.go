package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// The gateway's probes: /healthz says the process serves, /readyz whether it can
// answer from its upstream, and what it knows of its budget, its crawl and Redis.

// healthz answers 200 while the process serves requests at all.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// readiness is /readyz's body.
type readiness struct {
	Ready    bool            `json:"ready"`
	Upstream string          `json:"upstream"`
	Snapshot string          `json:"snapshot,omitempty"`
	Budget   *budgetReport   `json:"budget,omitempty"`
	Prefetch *prefetchReport `json:"prefetch,omitempty"`
	// Redis is "ok" while the shared Redis is in use, "degraded" while it is
	// unreachable and the replica serves from its in-process caches and a local share
	// of the budget (still ready), and absent without Redis.
	Redis string `json:"redis,omitempty"`
}

type budgetReport struct {
	Limit         int     `json:"limit"`
	WindowSeconds int     `json:"windowSeconds"`
	Used          int     `json:"used"`
	Remaining     int     `json:"remaining"`
	BlockedFor    float64 `json:"blockedForSeconds,omitempty"`
	Synced        bool    `json:"syncedWithLL2"`
	// Ignored says why LL2's last api-throttle/ answer was not trusted.
	Ignored string `json:"throttleIgnored,omitempty"`
}

type prefetchReport struct {
	Done       bool   `json:"done"`
	AgeSeconds int    `json:"ageSeconds,omitempty"`
	Error      string `json:"error,omitempty"`
}

// readyz answers 200 when the gateway can serve: the snapshot is loaded (embedded
// upstream) or the budget is known from LL2 (live upstream), and, in replica mode,
// the first crawl is done. The body says what it knows of budget and crawl.
func (g *Gateway) readyz(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := g.now()
	g.mu.Lock()
	st := g.prefetch
	g.mu.Unlock()
	rd := readiness{Upstream: g.Upstream, Ready: true}
	if g.redis != nil {
		rd.Redis = "ok"
		if g.redis.Degraded() {
			rd.Redis = "degraded"
		}
	}
	if g.LL2 != nil {
		rd.Snapshot = g.Snapshot.Source
	}
	if b := g.Transport.Budget(); b != nil {
		s, err := b.Status(ctx)
		if err == nil {
			br := &budgetReport{Limit: s.Limit, WindowSeconds: int(s.Window / time.Second), Used: s.Used, Remaining: s.Remaining(now), Synced: !st.budgetSynced.IsZero(), Ignored: st.throttleIgnored}
			if now.Before(s.BlockedUntil) {
				br.BlockedFor = s.BlockedUntil.Sub(now).Seconds()
			}
			rd.Budget = br
		} else {
			rd.Ready = false
		}
		// A live upstream is ready once LL2 has told its limit, or has answered
		// something the budget ignored (it then keeps its own, conservative one).
		if g.LL2 == nil && st.budgetChecked.IsZero() {
			rd.Ready = false
		}
	}
	if g.cfg.Prefetch {
		pr := &prefetchReport{Done: !st.at.IsZero()}
		if pr.Done {
			pr.AgeSeconds = int(now.Sub(st.at) / time.Second)
		} else {
			rd.Ready = false
		}
		if st.err != nil {
			pr.Error = st.err.Error()
		}
		rd.Prefetch = pr
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !rd.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(rd)
}
