// Package errs is the gateway's one error type: an error with a code, created where
// the fault is known, and the one table that turns codes into GraphQL
// `extensions.code` values and HTTP statuses.
package errs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"spacegraph/economy"
	"spacegraph/ll2"
)

// Code is a machine-readable error class, as the API contract spells it.
type Code string

// The codes of the public contract.
const (
	BadUserInput           Code = "BAD_USER_INPUT"
	NotFound               Code = "NOT_FOUND"
	UpstreamRateLimited    Code = "UPSTREAM_RATE_LIMITED"
	UpstreamUnavailable    Code = "UPSTREAM_UNAVAILABLE"
	UpstreamBadResponse    Code = "UPSTREAM_BAD_RESPONSE"
	UpstreamTimeout        Code = "UPSTREAM_TIMEOUT"
	QueryTooComplex        Code = "QUERY_TOO_COMPLEX"
	PersistedQueryNotFound Code = "PERSISTED_QUERY_NOT_FOUND"
	ResponseTooLarge       Code = "RESPONSE_TOO_LARGE"
	Internal               Code = "INTERNAL"
	// NotInSnapshot is data that the snapshot being served does not hold (its records
	// are held below the level of detail that carries it): a field answered null, or
	// an argument that filters, searches or orders by it refused. LL2 itself has it.
	NotInSnapshot Code = "NOT_IN_SNAPSHOT"
)

// Error is an error with a code and a message fit for the client. Err, when set, is
// the cause, for logs only: it never reaches the client.
type Error struct {
	Code    Code
	Message string
	// Argument names the GraphQL argument at fault, for BAD_USER_INPUT and
	// NOT_IN_SNAPSHOT.
	Argument string
	// Field names the field the snapshot does not hold ("Agency.foundingYear"), and
	// Count how many objects lacked it, for NOT_IN_SNAPSHOT.
	Field string
	Count int
	// RetryAfter is how long the client should wait, for UPSTREAM_RATE_LIMITED.
	RetryAfter time.Duration
	// Limit and Maximum name the limit a QUERY_TOO_COMPLEX field error ran into and
	// its value.
	Limit   string
	Maximum int
	Err     error
}

// LimitUpstreamCalls names the limit on a request's LL2 calls in `extensions.limit`.
const LimitUpstreamCalls = "upstreamCalls"

// Error returns the client-facing message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E returns an error with code and a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Arg returns a BAD_USER_INPUT error about argument arg.
func Arg(arg, format string, args ...any) *Error {
	return &Error{Code: BadUserInput, Argument: arg, Message: fmt.Sprintf("argument %q: %s", arg, fmt.Sprintf(format, args...))}
}

// CodeOf returns the code of err: its own if it is (or wraps) an *Error, a code
// derived from an upstream error, INTERNAL otherwise.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return From(err).Code
}

// From returns err as an *Error, classifying upstream and context errors on the way.
// Errors it does not know become INTERNAL with a generic message; the cause is kept.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	// A refused call reaches here wrapped in the LL2 client's error: look for it first.
	var cl *economy.CallLimitError
	if errors.As(err, &cl) {
		return &Error{Code: QueryTooComplex, Limit: LimitUpstreamCalls, Maximum: cl.Limit, Err: err,
			Message: fmt.Sprintf("query too complex: this field needs LL2 calls past the limit of %d per request, so it was not fetched", cl.Limit)}
	}
	var le *ll2.Error
	if errors.As(err, &le) {
		return fromLL2(le)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: UpstreamTimeout, Message: "the request ran out of time waiting for LL2", Err: err}
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Code: UpstreamUnavailable, Message: "the request was cancelled", Err: err}
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

func fromLL2(le *ll2.Error) *Error {
	e := &Error{Err: le}
	switch le.Kind {
	case ll2.KindNotFound:
		e.Code, e.Message = NotFound, "LL2 has no such object"
	case ll2.KindRateLimited:
		e.Code, e.Message = UpstreamRateLimited, "LL2's rate limit is reached"
		e.RetryAfter = le.RetryAfter
		if !le.RetryKnown {
			e.RetryAfter = DefaultRetryAfter
		}
	case ll2.KindUnavailable:
		if le.Timeout {
			e.Code, e.Message = UpstreamTimeout, "LL2 did not answer in time"
		} else {
			e.Code, e.Message = UpstreamUnavailable, "LL2 is unavailable"
		}
		if le.Status != 0 {
			e.Message += fmt.Sprintf(" (HTTP %d)", le.Status)
		}
	case ll2.KindBadResponse:
		e.Code, e.Message = UpstreamBadResponse, "LL2 sent an answer the gateway cannot use: "+le.Detail
	case ll2.KindNotInSnapshot:
		e.Code, e.Message = NotInSnapshot, "the snapshot being served does not hold what this query filters, searches or orders by; "+HowToGetIt
	default:
		// A 400 from LL2 means the gateway built a bad request: our bug, not the client's.
		e.Code, e.Message = Internal, "internal error"
	}
	return e
}

// HowToGetIt tells a client where data that the snapshot being served lacks is found.
const HowToGetIt = "crawl LL2 into a snapshot with `spacegraph snapshot DIR` and serve it with `--snapshot DIR`, or serve the live API with `--upstream https://ll.thespacedevs.com/2.3.0`"

// DefaultRetryAfter is the wait reported when LL2 throttles without saying for how long.
const DefaultRetryAfter = time.Minute

// Extensions returns the GraphQL `extensions` of err: the code, and what goes with it.
// This is the one place where codes meet the wire.
func Extensions(e *Error) map[string]any {
	ext := map[string]any{"code": string(e.Code)}
	switch e.Code {
	case UpstreamRateLimited:
		ext["retryAfterSeconds"] = int(math.Ceil(e.RetryAfter.Seconds()))
	case BadUserInput:
		if e.Argument != "" {
			ext["argument"] = e.Argument
		}
	case QueryTooComplex:
		if e.Limit != "" {
			ext["limit"], ext["maximum"] = e.Limit, e.Maximum
		}
	case NotInSnapshot:
		if e.Argument != "" {
			ext["argument"] = e.Argument
		}
		if e.Field != "" {
			ext["field"] = e.Field
		}
		if e.Count > 0 {
			ext["count"] = e.Count
		}
	}
	return ext
}
