package ll2

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrorKind classifies what went wrong with a call to LL2, which is all a caller
// needs to decide what to do next (retry later, give up, report a bug upstream).
type ErrorKind int8

// The kinds of failure.
const (
	// KindNotFound is LL2's 404: the object does not exist.
	KindNotFound ErrorKind = iota + 1
	// KindRateLimited is LL2's 429; Error.RetryAfter says how long to wait when LL2 said.
	KindRateLimited
	// KindUnavailable covers network failures, timeouts and 5xx answers.
	KindUnavailable
	// KindBadResponse is an answer that cannot be used: malformed JSON, the wrong shape,
	// or objects that do not match what was asked.
	KindBadResponse
	// KindBadRequest is LL2 refusing the request itself (400, 401, 403): a bug on our
	// side or a bad key, not something a retry mends.
	KindBadRequest
	// KindNotInSnapshot is a built-in server over a partial snapshot refusing to
	// filter, search or order by data its records do not hold (NotInSnapshotBody);
	// Error.Lacking names what. LL2 itself never answers it.
	KindNotInSnapshot
)

// String names the kind.
func (k ErrorKind) String() string {
	switch k {
	case KindNotFound:
		return "not found"
	case KindRateLimited:
		return "rate limited"
	case KindUnavailable:
		return "unavailable"
	case KindBadResponse:
		return "bad response"
	case KindBadRequest:
		return "bad request"
	case KindNotInSnapshot:
		return "not in snapshot"
	}
	return "unknown"
}

// Error is every failure of the client. It is comparable with errors.Is against the
// Err* sentinels by kind.
type Error struct {
	Kind ErrorKind
	// Op is the call, e.g. "GET spacecraft/?limit=10".
	Op string
	// Status is the HTTP status, 0 when no answer came.
	Status int
	// RetryAfter is how long LL2 asked us to wait (429 only); RetryKnown is false when
	// LL2 said neither in a Retry-After header nor in its body.
	RetryAfter time.Duration
	RetryKnown bool
	// Detail is LL2's `detail` text, or a description of what was wrong.
	Detail string
	// Timeout is true when the call ran out of time.
	Timeout bool
	// Lacking counts, by parameter (a filter's name, "search" or "ordering"), the
	// snapshot records that lack what the parameter reads (KindNotInSnapshot only).
	Lacking map[string]int
	// Err is the underlying error, if any.
	Err error
}

// Error describes the failure in one line.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ll2: %s: %s", e.Op, e.Kind)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	if e.Kind == KindRateLimited && e.RetryKnown {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAfter)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the kind sentinels, so that errors.Is(err, ll2.ErrNotFound) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Op == "" && t.Kind == e.Kind
}

// Sentinels for errors.Is, one per kind.
var (
	ErrNotFound      = &Error{Kind: KindNotFound}
	ErrRateLimited   = &Error{Kind: KindRateLimited}
	ErrUnavailable   = &Error{Kind: KindUnavailable}
	ErrBadResponse   = &Error{Kind: KindBadResponse}
	ErrBadRequest    = &Error{Kind: KindBadRequest}
	ErrNotInSnapshot = &Error{Kind: KindNotInSnapshot}
)

// KindOf returns the kind of an error from this package, or 0.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// throttleBody matches LL2's 429 text: "Request was throttled. Expected available in 2429 seconds."
var throttleBody = regexp.MustCompile(`(?i)available in\s+(\d+(?:\.\d+)?)\s+second`)

// MaxRetryAfter bounds the wait ParseRetryAfter returns: far past any window LL2 (an
// hour) or an operator's budget uses, so that a garbled figure stays a long wait
// rather than overflowing a time.Duration into a negative one. The budget cuts it
// further, to its window.
const MaxRetryAfter = 7 * 24 * time.Hour

// ParseRetryAfter reads how long to wait from a 429: the Retry-After header (seconds or
// an HTTP date) first, then LL2's body text. ok is false when neither says. The wait is
// at most MaxRetryAfter.
func ParseRetryAfter(h http.Header, detail string, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		switch {
		case err == nil:
			return time.Duration(min(n, uint64(MaxRetryAfter/time.Second))) * time.Second, true
		case errors.Is(err, strconv.ErrRange):
			return MaxRetryAfter, true
		}
		if t, err := http.ParseTime(v); err == nil {
			return min(max(0, t.Sub(now)).Round(time.Second), MaxRetryAfter), true
		}
	}
	if m := throttleBody.FindStringSubmatch(detail); m != nil {
		if f, err := strconv.ParseFloat(m[1], 64); err == nil {
			return time.Duration(min(f, MaxRetryAfter.Seconds()) * float64(time.Second)), true
		}
	}
	return 0, false
}

// ThrottleDetail is the body text LL2 sends with a 429: DRF's Throttled, which rounds
// the wait up to whole seconds and says "1 second" in the singular (ngettext).
func ThrottleDetail(wait time.Duration) string {
	secs := int((wait + time.Second - 1) / time.Second)
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	return fmt.Sprintf("Request was throttled. Expected available in %d %s.", secs, unit)
}
