package observe

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"spacegraph/economy"
	"spacegraph/errs"
	"spacegraph/reqscope"
)

// Outcomes of a GraphQL operation.
const (
	// OpOK is a response without errors.
	OpOK = "ok"
	// OpPartial is a response with data and errors (some fields failed).
	OpPartial = "partial"
	// OpError is a response without data: a request error, or a failed root field.
	OpError = "error"
)

// maxLogName bounds the operation name written to logs: logs take any name, but not
// any length.
const maxLogName = 128

// GraphQLExtension is a gqlgen extension that records every GraphQL operation: the
// operations metric and its duration (Metrics may be nil), the operation's name,
// outcome and code in the request's record (reqscope) for the log line, and with tracing on
// a span around the operation, the parent of the loader batches and upstream calls it
// causes. Requests that fail before they run (a document that does not parse or
// validate, a limit exceeded) are recorded too, with a short span of their own.
//
// Register it first (srv.Use before any other extension), so that it is the
// outermost: it then sees the response the client gets and times everything.
type GraphQLExtension struct {
	m *Metrics
}

var (
	_ graphql.HandlerExtension     = GraphQLExtension{}
	_ graphql.OperationInterceptor = GraphQLExtension{}
	_ graphql.ResponseInterceptor  = GraphQLExtension{}
)

// NewGraphQLExtension returns the extension, recording into m.
func NewGraphQLExtension(m *Metrics) GraphQLExtension { return GraphQLExtension{m: m} }

// ExtensionName names the extension in gqlgen's list.
func (GraphQLExtension) ExtensionName() string { return "Observe" }

// Validate accepts every schema: the extension reads responses, not the schema.
func (GraphQLExtension) Validate(graphql.ExecutableSchema) error { return nil }

// opState is one operation's record, shared by the interceptors through the context.
type opState struct {
	start    time.Time
	span     trace.Span
	recorded atomic.Bool
}

type opKey struct{}

// InterceptOperation starts the operation's span, so that resolvers, loaders and
// upstream calls run under it, and ends it once the response is made.
func (e GraphQLExtension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	st := &opState{start: opStart(oc)}
	if ts := tracer(); ts != nil {
		ctx, st.span = startOpSpan(ctx, ts, oc, st.start)
	}
	ctx = context.WithValue(ctx, opKey{}, st)
	h := next(ctx)
	subscription := oc.Operation != nil && oc.Operation.Operation == ast.Subscription
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if resp == nil && !subscription {
			// The executor made no response: the request's context ended before
			// it ran. The transport then answers an error, which is what is
			// recorded.
			code := errs.UpstreamUnavailable
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				code = errs.UpstreamTimeout
			}
			e.record(ctx, oc, st, OpError, string(code), true)
		}
		if st.span != nil && (resp == nil || !subscription) {
			st.span.End()
		}
		return resp
	}
}

// InterceptResponse records the operation once its response is made; for requests
// that failed before running, it is the only hook gqlgen calls.
func (e GraphQLExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	var oc *graphql.OperationContext
	if graphql.HasOperationContext(ctx) {
		oc = graphql.GetOperationContext(ctx)
	}
	outcome, code := responseOutcome(resp)
	if st, ok := ctx.Value(opKey{}).(*opState); ok {
		e.record(ctx, oc, st, outcome, code, true)
		return resp
	}
	st := &opState{start: opStart(oc)}
	if ts := tracer(); ts != nil {
		ctx, st.span = startOpSpan(ctx, ts, oc, st.start)
		defer st.span.End()
	}
	e.record(ctx, oc, st, outcome, code, false)
	return resp
}

// record writes the operation's metrics, span status and the request's record, once. admit
// says whether the operation's name may take a new place among the labels: only
// operations that ran may, as names from documents that failed to parse are anyone's.
func (e GraphQLExtension) record(ctx context.Context, oc *graphql.OperationContext, st *opState, outcome, code string, admit bool) {
	if !st.recorded.CompareAndSwap(false, true) {
		return
	}
	name := operationName(oc)
	d := time.Since(st.start)
	if m := e.m; m != nil {
		codeLabel := ""
		if code != "" {
			codeLabel = Other
			if errorCode(code) {
				codeLabel = m.codes.get(code, true)
			}
		}
		write := func(label string) {
			m.ops.WithLabelValues(label, outcome, codeLabel).Inc()
			m.opDuration.WithLabelValues(label, outcome).Observe(d.Seconds())
		}
		switch {
		case name == "":
			write(Anonymous)
		case !graphQLName(name):
			write(Other)
		case name == Other || name == Anonymous:
			// Shared series: such a name takes no place, so releasing it can never
			// delete what every other overflowing name counts in.
			write(name)
		default:
			m.opNames.with(name, admit, write)
		}
	}
	logName := name
	if len(logName) > maxLogName {
		logName = logName[:maxLogName]
	}
	reqscope.From(ctx).SetOperation(logName, outcome, code)
	if st.span != nil {
		sum := economy.ReportFrom(ctx).Summary()
		st.span.SetAttributes(
			attribute.String("spacegraph.outcome", outcome),
			attribute.Int("spacegraph.upstream.calls", sum.Calls),
			attribute.Int("spacegraph.upstream.cache_hits", sum.Hits),
			attribute.Int("spacegraph.upstream.stale", sum.Stale),
		)
		if code != "" {
			st.span.SetAttributes(attribute.String("graphql.error.code", code))
		}
		if outcome != OpOK {
			st.span.SetStatus(codes.Error, code)
		}
	}
}

// startOpSpan starts an operation's span, named as OpenTelemetry's GraphQL
// conventions say ("query Name", or "GraphQL Operation" while the operation is not
// known).
func startOpSpan(ctx context.Context, ts *tracingState, oc *graphql.OperationContext, start time.Time) (context.Context, trace.Span) {
	if ts.trustIncoming && oc != nil && oc.Headers != nil && !trace.SpanContextFromContext(ctx).IsValid() {
		ctx = ts.propagator.Extract(ctx, propagation.HeaderCarrier(oc.Headers))
	}
	spanName := "GraphQL Operation"
	attrs := make([]attribute.KeyValue, 0, 2)
	if oc != nil && oc.Operation != nil {
		kind := string(oc.Operation.Operation)
		spanName = kind
		if name := operationName(oc); name != "" {
			spanName += " " + truncate(name, maxNameLen)
			attrs = append(attrs, attribute.String("graphql.operation.name", truncate(name, maxLogName)))
		}
		attrs = append(attrs, attribute.String("graphql.operation.type", kind))
	}
	ctx, span := ts.tracer.Start(ctx, spanName, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start), trace.WithAttributes(attrs...))
	if sc := span.SpanContext(); sc.IsValid() {
		reqscope.From(ctx).SetTraceID(sc.TraceID().String())
	}
	return ctx, span
}

// opStart is when the request was read: the transports set it, and it makes the
// duration include parsing and validation.
func opStart(oc *graphql.OperationContext) time.Time {
	if oc != nil {
		if t := oc.Stats.Read.Start; !t.IsZero() {
			return t
		}
		if t := oc.Stats.OperationStart; !t.IsZero() {
			return t
		}
	}
	return time.Now()
}

// operationName is the name the client gave, else the name of the operation that
// ran (a document with one named operation needs no operationName).
func operationName(oc *graphql.OperationContext) string {
	if oc == nil {
		return ""
	}
	if oc.OperationName != "" {
		return oc.OperationName
	}
	if oc.Operation != nil {
		return oc.Operation.Name
	}
	// The document did not parse or validate: find the name in its text.
	return documentName(oc.RawQuery)
}

// Bounds on documentName's reading: names come first, and a document that failed
// deserves no more than a glance.
const (
	maxScanBytes  = 64 << 10
	maxScanTokens = 4096
)

// documentName returns the name of the first operation in the text of a document that
// did not parse or validate (gqlgen keeps no operation then), so that the metrics and
// log of a failed request still say which operation failed. It reads tokens only up to
// the first operation keyword outside braces, and at most a bounded prefix.
func documentName(query string) string {
	if len(query) > maxScanBytes {
		query = query[:maxScanBytes]
	}
	lx := lexer.New(&ast.Source{Input: query})
	depth := 0
	for range maxScanTokens {
		tok, err := lx.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return ""
		}
		switch tok.Kind {
		case lexer.BraceL:
			depth++
		case lexer.BraceR:
			depth--
		case lexer.Name:
			if depth == 0 && (tok.Value == "query" || tok.Value == "mutation" || tok.Value == "subscription") {
				next, err := lx.ReadToken()
				if err == nil && next.Kind == lexer.Name {
					return next.Value
				}
				return ""
			}
		}
	}
	return ""
}

// responseOutcome classifies a response and finds the code of its first error.
func responseOutcome(resp *graphql.Response) (outcome, code string) {
	if len(resp.Errors) == 0 {
		return OpOK, ""
	}
	for _, e := range resp.Errors {
		if c, ok := e.Extensions["code"].(string); ok && c != "" {
			code = c
			break
		}
	}
	if code == "" {
		code = "UNKNOWN"
	}
	if d := resp.Data; len(d) == 0 || string(d) == "null" {
		return OpError, code
	}
	return OpPartial, code
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
