package observe

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Other stands for every label value past a bound or outside the expected form, so
// that the series of a metric stay few whatever clients send.
const Other = "other"

// Anonymous is the operation label of operations without a name.
const Anonymous = "anonymous"

// Bounds on label values. They are generous for spacegraph, whose schema and LL2
// endpoints are few, and small enough that a hostile client cannot blow up the
// series count.
const (
	maxNameLen      = 64
	maxEndpointLen  = 96
	maxEndpointSegs = 4
	defaultMaxOps   = 100
	defaultOpIdle   = time.Hour
	maxEndpoints    = 64
	maxRoutes       = 32
	maxCodes        = 32
	maxLoaders      = 32
)

// labelSet bounds the distinct values of one label: the first limit values that pass
// the form check are kept, any later one is Other. With a fixed allow list, only its
// values are kept. With idle set, a value unused for that long gives its place up to
// a newcomer once the set is full, and release deletes its series: otherwise the
// first names a client ever sent would hold every place for the life of the process.
type labelSet struct {
	mu    sync.RWMutex
	seen  map[string]*atomic.Int64 // last use, Unix nanoseconds
	limit int
	fixed bool

	idle    time.Duration
	now     func() time.Time
	release func(value string)
	// nextSweep is the earliest time (Unix nanoseconds) a value can have been idle for
	// idle: until then a full set has nothing to release, and a flood of new values
	// costs no scan of the set.
	nextSweep int64
}

func newLabelSet(limit int, allow []string) *labelSet {
	s := &labelSet{seen: map[string]*atomic.Int64{}, limit: limit, now: time.Now}
	if len(allow) > 0 {
		s.fixed = true
		for _, v := range allow {
			s.seen[v] = new(atomic.Int64)
		}
	}
	return s
}

// get returns v if it is known or may be admitted, else Other. admit false only
// looks v up: the values that requests which failed early bring (a document that did
// not parse) should not take places that real operations need.
func (s *labelSet) get(v string, admit bool) string {
	out := Other
	s.with(v, admit, func(label string) { out = label })
	return out
}

// with calls record with v's label (v, or Other as get decides) while v cannot be
// released, so that a series is never written again just after release deleted it
// (it would then stay for good, outside the bound).
func (s *labelSet) with(v string, admit bool, record func(label string)) {
	var now int64
	if s.idle > 0 {
		now = s.now().UnixNano()
	}
	s.mu.RLock()
	if last, ok := s.seen[v]; ok {
		if now != 0 {
			last.Store(now)
		}
		record(v)
		s.mu.RUnlock()
		return
	}
	s.mu.RUnlock()
	if s.fixed || !admit {
		record(Other)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.seen[v]; ok {
		if now != 0 {
			last.Store(now)
		}
		record(v)
		return
	}
	if len(s.seen) >= s.limit {
		s.releaseIdle(now)
	}
	if len(s.seen) >= s.limit {
		record(Other)
		return
	}
	last := new(atomic.Int64)
	last.Store(now)
	s.seen[v] = last
	record(v)
}

// releaseIdle drops the values unused for idle, with their series; s.mu is held.
func (s *labelSet) releaseIdle(now int64) {
	if s.idle <= 0 || now < s.nextSweep {
		return
	}
	idle := int64(s.idle)
	oldest := now
	for v, last := range s.seen {
		t := last.Load()
		if now-t >= idle {
			delete(s.seen, v)
			if s.release != nil {
				s.release(v)
			}
			continue
		}
		oldest = min(oldest, t)
	}
	s.nextSweep = oldest + idle
}

// graphQLName reports whether s is a GraphQL name (/[_A-Za-z][_0-9A-Za-z]*/) of at
// most maxNameLen bytes: operation names that are not cannot come from a valid
// document, and anything else would let a client put arbitrary text in a label.
func graphQLName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// errorCode reports whether s has the form of an error code (UPPER_SNAKE_CASE, at most
// maxNameLen bytes), as errs and gqlgen spell theirs.
func errorCode(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// plainLabel reports whether s is short printable ASCII without quotes or spaces,
// the form of a route or loader name a caller gives.
func plainLabel(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Endpoint names the LL2 endpoint of a path for labels and span names: the path below
// the version root with ids replaced, "spacecraft/12/" → "spacecraft/{id}/". It
// accepts the client's relative paths ("agencies/3/") and full URL paths
// ("/2.3.0/agencies/3/"), and returns Other for anything that does not look like an
// LL2 path, since a path is as varied as the ids in it.
func Endpoint(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if versionSegment(s) {
			segs = segs[i+1:]
			break
		}
	}
	if len(segs) == 0 || len(segs) == 1 && segs[0] == "" {
		return "/"
	}
	if len(segs) > maxEndpointSegs {
		return Other
	}
	for i, s := range segs {
		switch {
		case s != "" && isDigits(s):
			segs[i] = "{id}"
		case !pathSegment(s):
			return Other
		}
	}
	out := strings.Join(segs, "/") + "/"
	if len(out) > maxEndpointLen {
		return Other
	}
	return out
}

// versionSegment reports whether s is an API version such as "2.3.0".
func versionSegment(s string) bool {
	if s == "" || !strings.Contains(s, ".") {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" || !isDigits(part) {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// pathSegment reports whether s is a word of an LL2 path ("spacecraft_configurations").
func pathSegment(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// statusLabel is an HTTP status as a label; codes outside 100..599 are Other and a
// call that got no answer is "error".
func statusLabel(status int) string {
	switch {
	case status == 0:
		return "error"
	case status < 100 || status > 599:
		return Other
	}
	return strconv.Itoa(status)
}

// Cache layers, for CacheOutcome.
const (
	// LayerAnswer is the upstream transport's cache of LL2 answers.
	LayerAnswer = "answer"
	// LayerResponse is the whole-response cache of /graphql.
	LayerResponse = "response"
	// LayerEntity is the catalog's entity cache.
	LayerEntity = "entity"
)

// Cache outcomes, for CacheOutcome; they are economy.Event's outcomes, so that the
// answer cache's events pass through unchanged.
const (
	// OutcomeHit is a fresh answer from the cache.
	OutcomeHit = "hit"
	// OutcomeMiss is an answer the cache did not have: for the answer cache, a call
	// that reached LL2.
	OutcomeMiss = "miss"
	// OutcomeStale is an answer past its freshness, served while a refresh runs.
	OutcomeStale = "stale"
	// OutcomeStaleIfError is a stale answer standing in for a failed or refused call.
	OutcomeStaleIfError = "stale-if-error"
	// OutcomeBudget is a call the budget refused, with no copy to stand in.
	OutcomeBudget = "budget"
	// OutcomeError is a lookup or call that failed.
	OutcomeError = "error"
)

func cacheLayerLabel(l string) string {
	switch l {
	case LayerAnswer, LayerResponse, LayerEntity:
		return l
	}
	return Other
}

func cacheOutcomeLabel(o string) string {
	switch o {
	case OutcomeHit, OutcomeMiss, OutcomeStale, OutcomeStaleIfError, OutcomeBudget, OutcomeError:
		return o
	}
	return Other
}
