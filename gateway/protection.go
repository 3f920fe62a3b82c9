package gateway

import (
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"spacegraph/graph"
	"spacegraph/graphqlhttp"
)

// This file is the knobs of the gateway's protection (Protection) and their defaults.
// What applies them: the HTTP middleware in package protect, the query limits in
// graph, trusted documents and the refusals of GraphQL over HTTP in graphqlhttp.

// The defaults of the protection knobs. Every example of the README, every playground
// tab and every query of the gateway's tests fits them with room to spare
// (TestLegitimateQueriesFitTheDefaults measures them); a 200-alias flood or a query
// nested twelve levels deep through reverse connections does not.
const (
	DefaultMaxDepth         = 10
	DefaultMaxComplexity    = 10000
	DefaultMaxAliases       = 50
	DefaultMaxRootFields    = 30
	DefaultMaxTokens        = 2000
	DefaultMaxDocumentBytes = 64 << 10
	DefaultMaxBodyBytes     = 256 << 10
	DefaultMaxResponseBytes = 4 << 20
	DefaultRequestTimeout   = 30 * time.Second
	DefaultCORSMaxAge       = time.Hour
	defaultCORSAllowOrigin  = "*"
)

// DefaultMaxUpstreamCalls is the default bound on one request's LL2 calls: at most two
// thirds of LL2's anonymous budget of 15 calls an hour, and room for the heaviest
// query of the upstream-call table (8 calls: twelve ids of four kinds).
const DefaultMaxUpstreamCalls = 10

// Protection configures what the gateway refuses and how it guards itself. The zero
// value is the defaults. For the query limits, the body limit and the timeout, zero
// means the default and a negative value means none.
type Protection struct {
	// MaxDepth bounds the nesting of fields (default DefaultMaxDepth).
	MaxDepth int
	// MaxComplexity bounds the estimated cost of an operation: each field costs 1
	// plus its selection, a connection its page size (first/last, default 10) times
	// its selection (default DefaultMaxComplexity).
	MaxComplexity int
	// MaxAliases bounds the number of aliased fields (default DefaultMaxAliases).
	MaxAliases int
	// MaxRootFields bounds the fields at the top of an operation (default
	// DefaultMaxRootFields).
	MaxRootFields int
	// MaxTokens bounds the tokens of a document, comments included, checked by the
	// parser as it reads (default DefaultMaxTokens).
	MaxTokens int
	// MaxUpstreamCalls bounds the LL2 calls of one request: an operation that can
	// need more (graph.PlanCalls) is refused before it runs, and the calls of one that
	// runs stop there, answers from the caches not counted (default
	// DefaultMaxUpstreamCalls).
	MaxUpstreamCalls int
	// MaxDocumentBytes bounds the length of a document's text, whitespace and
	// comments included (a comment is one token however long), before it is parsed
	// (default DefaultMaxDocumentBytes: a document of the most tokens allowed, one
	// token a line and deeply indented, still fits).
	MaxDocumentBytes int
	// MaxBodyBytes bounds a POST body and a GET query string; larger requests get 413
	// (or 414) (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxResponseBytes bounds the encoded data of one answer: a larger one is
	// dropped whole for a RESPONSE_TOO_LARGE error (data null), which is never cached
	// (default DefaultMaxResponseBytes: more than ten times the largest answer the
	// complexity limit lets a legitimate query have, pages of a hundred objects with
	// every field and their nested objects, and less than what aliased introspection
	// would produce were its complexity not measured).
	MaxResponseBytes int
	// RequestTimeout is the deadline of a whole GraphQL request: LL2 calls still
	// pending then fail with UPSTREAM_TIMEOUT and the rest of the answer is sent; if
	// the answer is still not ready a second later, the gateway answers 504 with an
	// UPSTREAM_TIMEOUT error (default DefaultRequestTimeout).
	RequestTimeout time.Duration
	// IntrospectionOff refuses `__schema` and `__type` and removes the "Did you
	// mean …" suggestions from validation errors.
	IntrospectionOff bool
	// CORSOrigins are the origins browsers may call /graphql from ("*" for any;
	// "https://*.example.com" patterns allowed). Nil means any origin; an empty,
	// non-nil list allows no cross-origin calls.
	CORSOrigins []string
	// CORSMaxAge is how long browsers may cache a preflight's answer
	// (Access-Control-Max-Age; default DefaultCORSMaxAge).
	CORSMaxAge time.Duration
	// TrustedDocuments, when set, is the only documents the gateway runs (see
	// graphqlhttp.LoadTrustedDocuments); anything else is refused with PERSISTED_QUERY_NOT_FOUND
	// and status 400. Automatic persisted queries are off then.
	TrustedDocuments *graphqlhttp.TrustedDocuments
	// GzipOff turns off the compression of responses (gzip when the client accepts
	// it, for bodies of 1 KiB or more).
	GzipOff bool
}

// withDefaults returns p with its zero knobs set to their defaults.
func (p Protection) withDefaults() Protection {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&p.MaxDepth, DefaultMaxDepth)
	def(&p.MaxComplexity, DefaultMaxComplexity)
	def(&p.MaxAliases, DefaultMaxAliases)
	def(&p.MaxRootFields, DefaultMaxRootFields)
	def(&p.MaxTokens, DefaultMaxTokens)
	def(&p.MaxUpstreamCalls, DefaultMaxUpstreamCalls)
	def(&p.MaxDocumentBytes, DefaultMaxDocumentBytes)
	def(&p.MaxResponseBytes, DefaultMaxResponseBytes)
	if p.MaxBodyBytes == 0 {
		p.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if p.RequestTimeout == 0 {
		p.RequestTimeout = DefaultRequestTimeout
	}
	if p.CORSOrigins == nil {
		p.CORSOrigins = []string{defaultCORSAllowOrigin}
	}
	if p.CORSMaxAge == 0 {
		p.CORSMaxAge = DefaultCORSMaxAge
	}
	return p
}

// limits returns the query limits of graph.Limits (zero or less: none), measured on
// schema.
func (p Protection) limits(schema *ast.Schema) graph.Limits {
	return graph.Limits{MaxDepth: p.MaxDepth, MaxComplexity: p.MaxComplexity, MaxAliases: p.MaxAliases,
		MaxRootFields: p.MaxRootFields, MaxDocumentBytes: p.MaxDocumentBytes, Schema: schema}
}
