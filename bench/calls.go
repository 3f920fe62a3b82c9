package bench

import (
	"fmt"
	"strings"
	"time"

	"spacegraph/gateway"
	"spacegraph/ll2/ll2server"
)

// Latency is the built-in LL2 server's answer time in the scenarios (all but the
// simulated hour, which is about counts).
const Latency = 20 * time.Millisecond

// NewGateway returns a gateway over the synthetic LL2-scale data; cfg's other
// settings are kept (its Snapshot is replaced).
func NewGateway(cfg gateway.Config) (*gateway.Gateway, error) {
	data := LL2Scale()
	cfg.Snapshot = &data
	return gateway.New(cfg)
}

// CallRow is one query's LL2 calls: cold on a fresh gateway, then the same query again
// on that gateway (warm), with the whole-response cache and without it.
type CallRow struct {
	// Query is the query of the call table.
	Query CallQuery
	// Cold is the calls of the first run on a fresh gateway with the response cache;
	// ColdNoResponseCache the same on a fresh gateway without it.
	Cold, ColdNoResponseCache int
	// Warm and WarmNoResponseCache are the calls of the second run.
	Warm, WarmNoResponseCache int
}

// Pinned reports whether the cold count agrees with the pinned one.
func (r CallRow) Pinned() bool {
	ok := func(n int) bool { return n == r.Query.Calls || (r.Query.AtMost && n <= r.Query.Calls) }
	return ok(r.Cold) && ok(r.ColdNoResponseCache)
}

// CallsResult is scenario a: the upstream calls of every query of the call table.
type CallsResult struct {
	// Latency is the built-in LL2 server's latency during the runs.
	Latency time.Duration
	// Rows has a row per query of CallTable.
	Rows []CallRow
}

// WarmZero reports whether every warm run spent no call.
func (r CallsResult) WarmZero() bool {
	for _, row := range r.Rows {
		if row.Warm != 0 || row.WarmNoResponseCache != 0 {
			return false
		}
	}
	return true
}

// UpstreamCalls runs every query of the call table cold on a fresh gateway and warm
// on the same gateway, with and without the whole-response cache, over the built-in
// LL2 server answering in latency.
func UpstreamCalls(latency time.Duration) (CallsResult, error) {
	res := CallsResult{Latency: latency}
	for _, q := range CallTable() {
		row := CallRow{Query: q}
		for _, off := range []bool{false, true} {
			cold, warm, err := coldWarm(q, gateway.Config{ResponseCacheOff: off, LL2: ll2server.Options{Latency: latency}})
			if err != nil {
				return res, fmt.Errorf("%s: %w", q.Name, err)
			}
			if off {
				row.ColdNoResponseCache, row.WarmNoResponseCache = cold, warm
			} else {
				row.Cold, row.Warm = cold, warm
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// coldWarm runs a query twice on a fresh gateway and returns the calls of each run.
func coldWarm(q CallQuery, cfg gateway.Config) (cold, warm int, err error) {
	g, err := newGatewayFor(q, cfg)
	if err != nil {
		return 0, 0, err
	}
	defer g.Close()
	body := Body(q.Query, nil)
	if _, _, err := ServeOK(g.Handler, body); err != nil {
		return 0, 0, err
	}
	cold = g.LL2.Counters().Total
	if _, _, err := ServeOK(g.Handler, body); err != nil {
		return 0, 0, err
	}
	return cold, g.LL2.Counters().Total - cold, nil
}

// Markdown returns the scenario's table.
func (r CallsResult) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "LL2 answering in %s; each query cold on a fresh gateway, then again on the same gateway.\n\n", r.Latency)
	b.WriteString("| query | pinned | cold | warm | cold, no response cache | warm, no response cache |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, row := range r.Rows {
		pinned := fmt.Sprint(row.Query.Calls)
		if row.Query.AtMost {
			pinned = "≤ " + pinned
		}
		flag := ""
		if !row.Pinned() {
			flag = " ⚠"
		}
		fmt.Fprintf(&b, "| %s | %s | %d%s | %d | %d%s | %d |\n", row.Query.Name, pinned, row.Cold, flag, row.Warm, row.ColdNoResponseCache, flag, row.WarmNoResponseCache)
	}
	if r.WarmZero() {
		b.WriteString("\nEvery warm run spent 0 calls.\n")
	} else {
		b.WriteString("\nFAIL: a warm run spent LL2 calls.\n")
	}
	return b.String()
}
