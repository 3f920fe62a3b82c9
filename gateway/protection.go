package gateway

import (
	"flag"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"spacegraph/graph"
	"spacegraph/graphqlhttp"
	"spacegraph/internal/envflag"
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
	// every field and their nested objects, and less than what aliases in
	// introspection made before introspection was measured).
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

// ProtectionFlags defines the flags of the Protection knobs on fs, each with an
// environment variable twin (SPACEGRAPH_ and the flag's name in capitals, dashes as
// underscores) read through lookupEnv; a flag given on the command line wins. After
// fs.Parse, the returned function gives the Protection, with the trusted-documents
// manifest loaded, or the first bad value.
func ProtectionFlags(fs *flag.FlagSet, lookupEnv func(string) (string, bool)) func() (Protection, error) {
	var (
		p        Protection
		origins  string
		trusted  string
		noIntro  bool
		noGzip   bool
		haveOrig bool
	)
	flags := envflag.New(fs, lookupEnv)
	define := func(name, def, usage string, boolean bool, set func(string) error) {
		flags.Define(name, def, usage, envflag.Options{Bool: boolean}, set)
	}
	intFlag := func(name string, v *int, def int, usage string) {
		define(name, strconv.Itoa(def), usage, false, func(s string) error {
			n, err := strconv.Atoi(s)
			*v = n
			return err
		})
	}
	intFlag("max-depth", &p.MaxDepth, DefaultMaxDepth, "at most `n` levels of field nesting in a query; -1 for none")
	intFlag("max-complexity", &p.MaxComplexity, DefaultMaxComplexity, "at most `n` of estimated cost in a query (a connection costs first/last, default 10, times its selection); -1 for none")
	intFlag("max-aliases", &p.MaxAliases, DefaultMaxAliases, "at most `n` aliased fields in a query; -1 for none")
	intFlag("max-root-fields", &p.MaxRootFields, DefaultMaxRootFields, "at most `n` fields at the top of a query; -1 for none")
	intFlag("max-tokens", &p.MaxTokens, DefaultMaxTokens, "at most `n` tokens in a query document, comments included; -1 for none")
	intFlag("max-document-bytes", &p.MaxDocumentBytes, DefaultMaxDocumentBytes, "at most `n` bytes in a query document, whitespace and comments included; -1 for none")
	intFlag("max-response-bytes", &p.MaxResponseBytes, DefaultMaxResponseBytes, "at most `n` bytes in one answer: a larger one is refused with RESPONSE_TOO_LARGE; -1 for none")
	intFlag("max-upstream-calls", &p.MaxUpstreamCalls, DefaultMaxUpstreamCalls, "at most `n` LL2 calls for one request, counted before it runs (cold caches) and while it runs (cache misses); -1 for none")
	define("max-body-bytes", strconv.Itoa(DefaultMaxBodyBytes), "at most `n` bytes in a request body (and a GET query string); -1 for none", false, func(s string) error {
		n, err := strconv.ParseInt(s, 10, 64)
		p.MaxBodyBytes = n
		return err
	})
	durationFlag := func(name string, v *time.Duration, def time.Duration, usage string) {
		define(name, def.String(), usage, false, func(s string) error {
			d, err := time.ParseDuration(s)
			*v = d
			return err
		})
	}
	durationFlag("request-timeout", &p.RequestTimeout, DefaultRequestTimeout, "the `duration` a whole GraphQL request may take")
	define("introspection", "true", "answer introspection queries (__schema, __type) and suggest field names in errors", true, func(s string) error {
		on, err := strconv.ParseBool(s)
		noIntro = !on
		return err
	})
	define("cors-origins", defaultCORSAllowOrigin, "the `origins` (comma-separated) browsers may call /graphql from: * for any, empty for none", false, func(s string) error {
		origins, haveOrig = s, true
		return nil
	})
	durationFlag("cors-max-age", &p.CORSMaxAge, DefaultCORSMaxAge, "the `duration` browsers may cache a CORS preflight answer")
	define("trusted-documents", "", "run only the documents of this manifest `file` (Apollo persisted-query manifest JSON, or {\"id\": \"document\"})", false, func(s string) error {
		trusted = s
		return nil
	})
	define("gzip", "true", "compress responses with gzip when the client accepts it", true, func(s string) error {
		on, err := strconv.ParseBool(s)
		noGzip = !on
		return err
	})
	return func() (Protection, error) {
		if err := flags.Err(); err != nil {
			return Protection{}, err
		}
		out := p
		out.IntrospectionOff, out.GzipOff = noIntro, noGzip
		if haveOrig {
			out.CORSOrigins = []string{}
			for o := range strings.SplitSeq(origins, ",") {
				if o = strings.TrimSpace(o); o != "" {
					out.CORSOrigins = append(out.CORSOrigins, o)
				}
			}
		}
		if trusted != "" {
			docs, err := graphqlhttp.LoadTrustedDocuments(trusted)
			if err != nil {
				return Protection{}, err
			}
			out.TrustedDocuments = docs
		}
		return out, nil
	}
}
