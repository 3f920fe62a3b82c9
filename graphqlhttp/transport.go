// Package graphqlhttp is GraphQL over HTTP
// (https://graphql.github.io/graphql-over-http/draft/) for the gateway's /graphql: one
// gqlgen transport that negotiates the media type, reads the request's parameters
// strictly, runs automatic persisted queries or, in trusted-documents mode, only the
// documents of a manifest, and answers what it refuses with the spec's status codes and
// a GraphQL-shaped error. The layers in front of it (the protection middleware, the
// response cache) read requests and write errors with its functions, so that a request
// means one thing to all of them.
package graphqlhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"spacegraph/errs"
	"spacegraph/graph"
	"spacegraph/internal/bufpool"
	"spacegraph/reqscope"
)

// Transport replaces gqlgen's GET, POST and Options transports, whose status codes and
// media types do not follow the spec:
//
//   - POST with Content-Type application/json (charset utf-8 if given; else 415), a
//     JSON object body with string query and operationName and object variables and
//     extensions, each possibly null (else 400; over the body limit, 413), read
//     strictly (see strictJSON: nothing after the value, no name twice in an object);
//   - GET with the same parameters in the query string, variables and extensions as
//     strictly read JSON, for queries only: a mutation (or subscription) over GET is
//     405 with Allow: POST;
//   - the answer is application/graphql-response+json when Accept prefers it, else
//     application/json (also for a missing Accept or */*), and 406 when Accept names
//     neither;
//   - a request error (a document that does not parse or validate, variables that do
//     not coerce, a limit exceeded, an unknown persisted query) is 200 in
//     application/json and 400 in application/graphql-response+json, with no data
//     entry; an executed operation is 200, field errors and all (an answer over the
//     response limit too: its data is null, see graph.ResponseLimit);
//   - OPTIONS without a CORS preflight is 204 with Allow; other methods are 405.

// The media types of GraphQL responses.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// allowedMethods is the Allow header of /graphql.
const allowedMethods = "GET, POST, OPTIONS"

// Transport is the gateway's only gqlgen transport. It reports at most
// graph.MaxErrors errors.
type Transport struct {
	// Trusted, when set, is the only documents the transport runs; automatic
	// persisted queries are then off (the server does not install them).
	Trusted *TrustedDocuments
	// TokenLimit bounds the tokens of a GET's document, read to refuse a mutation
	// over GET before the executor parses it (0: none).
	TokenLimit int
	// Variables is the spec's coercion of variables, which is handed the variables as
	// sent (the executor's own coercion is lenient, see graph/vars.go).
	Variables graph.VariableCoercion
}

var _ graphql.Transport = Transport{}

// Supports takes every request: this transport answers the ones it cannot serve
// with the right status.
func (Transport) Supports(*http.Request) bool { return true }

// Do serves one request.
func (t Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if refuseHTTP(w, r) {
		return
	}
	media, _ := Negotiate(r.Header.Values("Accept"))
	ct := media + "; charset=utf-8"
	start := graphql.Now()
	params, status, msg := Params(r)
	if status != 0 {
		WriteError(w, status, ct, msg, badInput())
		return
	}
	if r.Method == http.MethodGet && t.notAQuery(params.Query, params.OperationName) {
		refuseGET(w, ct)
		return
	}
	if t.Trusted != nil {
		text, why, ok := t.Trusted.resolve(params.Query, params.Extensions)
		if !ok {
			WriteError(w, http.StatusBadRequest, ct, why, map[string]any{"code": string(errs.PersistedQueryNotFound)})
			return
		}
		params.Query = text
	} else if params.Query == "" && params.Extensions["persistedQuery"] == nil {
		WriteError(w, http.StatusBadRequest, ct, "the request has no query", badInput())
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	ctx := graph.WithInputNames(graph.WithRawVariables(r.Context(), params.Variables))
	opCtx, gerrs := exec.CreateOperationContext(ctx, params)
	if gerrs != nil {
		var retry map[string]any
		if gerrs, retry = t.Variables.Review(ctx, opCtx, gerrs); retry != nil {
			// The executor's coercion refused values that the spec's accepts (1e2
			// for an Int): create the operation with the spec's.
			params.Variables = retry
			opCtx, gerrs = exec.CreateOperationContext(ctx, params)
		}
	}
	if gerrs != nil {
		status := http.StatusOK
		if media == mediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), graph.CapErrors(gerrs))
		writeJSON(w, status, ct, requestError{Errors: resp.Errors, Extensions: resp.Extensions})
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		refuseGET(w, ct)
		return
	}
	// The answer's data may be written into a lent buffer, given back once the
	// response is written below.
	ctx, giveBack := graph.LendAnswer(ctx)
	defer giveBack()
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	if resp == nil {
		// The executor runs nothing for a request whose context has ended. The answer
		// must still be an error, or the response cache would keep an empty one.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			WriteError(w, http.StatusGatewayTimeout, ct, "the request ran out of time before it ran",
				map[string]any{"code": string(errs.UpstreamTimeout)})
			return
		}
		WriteError(w, http.StatusServiceUnavailable, ct, "the request was cancelled before it ran",
			map[string]any{"code": string(errs.UpstreamUnavailable)})
		return
	}
	buf := bufpool.Get()
	defer bufpool.Put(buf)
	if err := responseJSON(buf, resp); err != nil {
		// As in writeJSON: a bug, which the panic recovery answers.
		panic(fmt.Errorf("encoding a GraphQL answer: %w", err))
	}
	reqscope.From(r.Context()).SetAnswer(len(resp.Errors) > 0)
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	// Write does not keep its argument, so the buffer goes back to the pool after it.
	_, _ = w.Write(buf.Bytes())
}

// responseJSON encodes an executed operation's response into b, to the same bytes as
// json.Marshal, without json.Marshal's pass over the data: gqlgen has written the data
// compact and valid, and json.Marshal would revalidate and compact it byte by byte,
// for nothing, on every answer. What json.Marshal would still change, it does: it
// escapes <, >, & and U+2028/U+2029 in strings. A response with errors, or
// an empty data entry, takes json.Marshal's path.
func responseJSON(b *bytes.Buffer, resp *graphql.Response) error {
	marshal := func() error {
		out, err := json.Marshal(resp)
		b.Write(out)
		return err
	}
	if len(resp.Errors) > 0 || len(resp.Data) == 0 {
		return marshal()
	}
	// The rest of the response with a placeholder for the data, which json.Marshal
	// puts first when there are no errors (it keeps the struct's field order).
	rest := *resp
	rest.Data = json.RawMessage("0")
	tail, err := json.Marshal(&rest)
	const head = `{"data":0`
	if err != nil || !bytes.HasPrefix(tail, []byte(head)) {
		return marshal()
	}
	b.Grow(len(resp.Data) + len(tail) + 64)
	b.WriteString(head[:len(head)-1])
	if needsHTMLEscape(resp.Data) {
		json.HTMLEscape(b, resp.Data)
	} else {
		b.Write(resp.Data)
	}
	b.Write(tail[len(head):])
	return nil
}

// needsHTMLEscape reports whether data holds a byte json.Marshal escapes for HTML:
// <, >, &, or the first byte of U+2028 and U+2029 (0xE2, which other characters
// share; HTMLEscape then copies them as they are).
func needsHTMLEscape(data []byte) bool {
	return bytes.IndexByte(data, '<') >= 0 || bytes.IndexByte(data, '>') >= 0 ||
		bytes.IndexByte(data, '&') >= 0 || bytes.IndexByte(data, 0xE2) >= 0
}

// refuseHTTP answers what /graphql refuses on the method and headers alone: other
// methods than GET and POST (405; OPTIONS, when no CORS preflight, is 204), an Accept
// with nothing this server produces (406), a POST whose Content-Type is not JSON in
// UTF-8 (415). It reports whether it answered. The transport calls it, and so does
// Precheck in front of the response cache, whose key does not tell such requests
// from good ones.
func refuseHTTP(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodPost:
	case http.MethodOptions:
		w.Header().Set("Allow", allowedMethods)
		w.WriteHeader(http.StatusNoContent)
		return true
	default:
		w.Header().Set("Allow", allowedMethods)
		WriteError(w, http.StatusMethodNotAllowed, ErrorMediaType(r),
			fmt.Sprintf("method %s is not allowed on /graphql: use GET (queries only) or POST", r.Method), badInput())
		return true
	}
	if _, ok := Negotiate(r.Header.Values("Accept")); !ok {
		WriteError(w, http.StatusNotAcceptable, mediaJSON+"; charset=utf-8",
			"the Accept header names no media type this server produces: use "+mediaGraphQLResponse+" or "+mediaJSON, badInput())
		return true
	}
	if r.Method == http.MethodPost {
		if msg := checkContentType(r.Header.Get("Content-Type")); msg != "" {
			WriteError(w, http.StatusUnsupportedMediaType, ErrorMediaType(r), msg, badInput())
			return true
		}
	}
	return false
}

// Precheck applies refuseHTTP in front of the handlers that come before the
// transport.
func Precheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !refuseHTTP(w, r) {
			next.ServeHTTP(w, r)
		}
	})
}

// checkContentType returns why a POST's Content-Type is refused, or "".
func checkContentType(ctype string) string {
	if ctype == "" {
		return "a POST needs Content-Type: application/json"
	}
	mt, mparams, err := mime.ParseMediaType(ctype)
	if err != nil || mt != mediaJSON {
		return fmt.Sprintf("Content-Type %q is not supported: send application/json", ctype)
	}
	if cs, ok := mparams["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return fmt.Sprintf("charset %q is not supported: send utf-8", cs)
	}
	return ""
}

// requestError is the answer to a request that did not run: errors and extensions,
// no data entry.
type requestError struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// refuseGET answers a mutation sent over GET.
func refuseGET(w http.ResponseWriter, ct string) {
	w.Header().Set("Allow", http.MethodPost)
	WriteError(w, http.StatusMethodNotAllowed, ct, "only queries can be sent with GET: send mutations with POST", badInput())
}

// notAQuery reports whether a GET's document selects an operation other than a
// query. Documents that do not parse are left to the executor, which reports them.
func (t Transport) notAQuery(query, operationName string) bool {
	if !strings.Contains(query, "mutation") && !strings.Contains(query, "subscription") {
		return false
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, t.TokenLimit)
	if err != nil {
		return false
	}
	op := doc.Operations.ForName(operationName)
	return op != nil && op.Operation != ast.Query
}

type paramsKey struct{}

// WithParams returns r carrying p, the parameters ReadParams read from it, for the
// transport to take rather than read them again: the response cache reads them to key
// the request, and a second reading of a large document was 2% of a new query's CPU.
func WithParams(r *http.Request, p *graphql.RawParams) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), paramsKey{}, p))
}

// Params returns the parameters WithParams gave r, or else reads them (ReadParams).
func Params(r *http.Request) (*graphql.RawParams, int, string) {
	if p, ok := r.Context().Value(paramsKey{}).(*graphql.RawParams); ok && p != nil {
		return p, 0, ""
	}
	return ReadParams(r)
}

// ReadParams reads the parameters of a GET (from its query string) or a POST (from its
// body, its Content-Type checked already), or gives the status and message to refuse
// the request with. The response cache keys requests on what it returns, so that a
// request means to the cache what it means to the transport.
func ReadParams(r *http.Request) (*graphql.RawParams, int, string) {
	if r.Method == http.MethodPost {
		return readPOST(r)
	}
	return readGET(r)
}

// readPOST reads a POST's parameters (its Content-Type checked already), or gives the
// status and message to refuse it.
func readPOST(r *http.Request) (*graphql.RawParams, int, string) {
	if r.Body == nil {
		return nil, http.StatusBadRequest, "the request body is empty"
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, http.StatusRequestEntityTooLarge, BodyTooLargeMessage(tooLarge.Limit)
		}
		return nil, http.StatusBadRequest, "the request body could not be read"
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, http.StatusBadRequest, "the request body is empty"
	}
	var p wireParams
	if err := jsonv2.Unmarshal(body, &p, strictJSON); err != nil {
		return nil, http.StatusBadRequest, jsonError("the request body", err)
	}
	return &graphql.RawParams{Query: p.Query, OperationName: p.OperationName, Variables: p.Variables, Extensions: p.Extensions}, 0, ""
}

// wireParams are a request's parameters as JSON has them. A member of another name,
// or another case ("Query"), is ignored; null is as good as absent.
type wireParams struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

// strictJSON is how request parameters are read: as encoding/json/v2 reads JSON (one
// value and nothing after it, no name twice in an object at any depth, valid UTF-8),
// so that a parameter cannot mean one thing to the gateway and another to a cache or
// a proxy in front of it that keeps the first of two names; and with numbers kept as
// json.Number, as gqlgen expects them, so that 9007199254740993 is not rounded
// through a float64 before the variable's type is checked.
var strictJSON = jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *any) error {
	if dec.PeekKind() != '0' {
		return jsonv2.SkipFunc
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	*v = json.Number(tok.String())
	return nil
}))

// BodyTooLargeMessage is the message of a 413: the transport's when the body turns out
// larger than the limit as it is read, the body limit's when its declared length is.
func BodyTooLargeMessage(limit int64) string {
	return fmt.Sprintf("the request body is larger than the limit of %d bytes", limit)
}

func badInput() map[string]any { return map[string]any{"code": string(errs.BadUserInput)} }

// readGET reads a GET's parameters from the query string, the JSON ones (variables
// and extensions) as strictly as a POST body.
func readGET(r *http.Request) (*graphql.RawParams, int, string) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, http.StatusBadRequest, "the query string is malformed: " + err.Error()
	}
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	for _, f := range []struct {
		name string
		into *map[string]any
	}{
		{"variables", &p.Variables},
		{"extensions", &p.Extensions},
	} {
		if v := q.Get(f.name); v != "" {
			if err := jsonv2.Unmarshal([]byte(v), f.into, strictJSON); err != nil {
				return nil, http.StatusBadRequest, jsonError("the "+f.name+" parameter", err)
			}
		}
	}
	return p, 0, ""
}

// jsonError says what is wrong with the JSON of what (the request body, or a GET
// parameter), in the client's terms: the decoder's own messages name Go types and
// JSON pointers, which say nothing to a GraphQL client.
func jsonError(what string, err error) string {
	var sem *jsonv2.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &sem):
		// Every JSON value fits a variable, so a value of the wrong kind is a
		// parameter's (or, for the body, the whole body's).
		name := strings.TrimPrefix(string(sem.JSONPointer), "/")
		if what != "the request body" {
			name = strings.TrimSuffix(strings.TrimPrefix(what, "the "), " parameter")
		}
		switch name {
		case "":
			if sem.JSONKind == '[' {
				return "the request body must be a JSON object; batches of operations (a JSON array) are not supported"
			}
			return "the request body must be a JSON object with a query"
		case "query", "operationName":
			return fmt.Sprintf("the %s parameter must be a string", name)
		default:
			return fmt.Sprintf("the %s parameter must be an object", name)
		}
	case errors.As(err, &syn):
		return what + " is not valid JSON: " + syntaxProblem(syn)
	}
	return what + " is not valid JSON"
}

// syntaxProblem describes a syntax error, with where it is.
func syntaxProblem(e *jsontext.SyntacticError) string {
	in := func(p jsontext.Pointer) string {
		if p == "" {
			return ""
		}
		s := string(p)
		if len(s) > 100 {
			s = s[:100] + "…"
		}
		return " in " + s
	}
	switch {
	case errors.Is(e.Err, jsontext.ErrDuplicateName):
		return fmt.Sprintf("the name %q appears twice in one object%s", e.JSONPointer.LastToken(), in(e.JSONPointer.Parent()))
	case errors.Is(e.Err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("it ends before the JSON value does (at byte %d)", e.ByteOffset)
	case e.Err != nil && strings.Contains(e.Err.Error(), "after top-level value"):
		return fmt.Sprintf("more follows the JSON value (at byte %d)", e.ByteOffset)
	case e.Err != nil:
		return fmt.Sprintf("%s at byte %d%s", e.Err, e.ByteOffset, in(e.JSONPointer))
	}
	return fmt.Sprintf("a syntax error at byte %d", e.ByteOffset)
}

// Negotiate picks the response media type from the Accept headers: the one with the
// highest quality, application/graphql-response+json on a tie when named, and
// application/json for wildcards or no Accept at all. ok is false when Accept allows
// neither.
func Negotiate(accept []string) (media string, ok bool) {
	qGR, qJSON, qWild := -1.0, -1.0, -1.0
	seen := false
	for _, header := range accept {
		for part := range strings.SplitSeq(header, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			seen = true
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			q := 1.0
			if s, has := params["q"]; has {
				if q, err = strconv.ParseFloat(s, 64); err != nil {
					continue
				}
			}
			switch mt {
			case mediaGraphQLResponse:
				qGR = max(qGR, q)
			case mediaJSON:
				qJSON = max(qJSON, q)
			case "*/*", "application/*":
				qWild = max(qWild, q)
			}
		}
	}
	if !seen {
		return mediaJSON, true
	}
	if qJSON < 0 {
		qJSON = qWild
	}
	switch {
	case qGR > 0 && qGR >= qJSON:
		return mediaGraphQLResponse, true
	case qJSON > 0:
		return mediaJSON, true
	}
	return "", false
}

// ErrorMediaType is the media type for an error answer: the negotiated one, or
// application/json when negotiation fails.
func ErrorMediaType(r *http.Request) string {
	media, ok := Negotiate(r.Header.Values("Accept"))
	if !ok {
		media = mediaJSON
	}
	return media + "; charset=utf-8"
}

// WriteError answers with a GraphQL-shaped error and no data.
func WriteError(w http.ResponseWriter, status int, contentType, message string, extensions map[string]any) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, contentType, requestError{Errors: gqlerror.List{{Message: message, Extensions: extensions}}})
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Answers hold JSON-encodable values only: this is a bug, which the panic
		// recovery of the protection middleware answers.
		panic(fmt.Errorf("encoding a GraphQL answer: %w", err))
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
