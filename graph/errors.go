package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"spacegraph/errs"
	"spacegraph/reqscope"
)

// ErrorPresenter returns gqlgen's error presenter: every error leaves with an
// `extensions.code` from errs' table, a message fit for clients, and, for internal
// errors, the request id (from the request's record) that finds the logged detail.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		cause := gerr.Err
		if cause == nil {
			// gqlgen's own errors (parse, validation, argument coercion, null
			// violations) carry their message and, mostly, their code already.
			if msg, ok := operationMessage(gerr.Message); ok && gerr.Extensions["code"] == errcode.ValidationFailed {
				out := *gerr
				out.Message = msg
				return &out
			}
			if in := inputError(ctx, gerr); in != nil {
				return in
			}
			if gerr.Extensions == nil || gerr.Extensions["code"] == nil {
				code := errs.BadUserInput
				if strings.Contains(gerr.Message, "must not be null") {
					code = errs.UpstreamBadResponse
					gerr.Message = "LL2 gave null for a field that is never null: " + gerr.Message
				}
				gerr.Extensions = withExtensions(gerr.Extensions, map[string]any{"code": string(code)})
			}
			return gerr
		}
		e := errs.From(cause)
		out := *gerr
		out.Err = cause
		out.Message = e.Message
		out.Extensions = withExtensions(gerr.Extensions, errs.Extensions(e))
		if e.Code == errs.Internal {
			id := reqscope.From(ctx).ID()
			out.Extensions["requestId"] = id
			out.Message = "internal error (request " + id + ")"
			log.ErrorContext(ctx, "internal error", "request_id", id, "path", gerr.Path.String(), "err", cause)
		}
		return &out
	}
}

// inputError recognises the validation errors that are about input values (a
// variable, or a literal argument, that does not fit its type, such as an unknown enum
// value) and presents them as BAD_USER_INPUT naming the variable or argument, as the
// contract asks. It returns nil for other errors.
func inputError(ctx context.Context, gerr *gqlerror.Error) *gqlerror.Error {
	if gerr.Extensions["code"] != errcode.ValidationFailed {
		return nil
	}
	var name string
	switch {
	case len(gerr.Path) > 1 && gerr.Path[0] == ast.PathName("variable"):
		name = "$" + pathText(gerr.Path[1:])
	case gerr.Rule == "ValuesOfCorrectType" && len(gerr.Locations) > 0 && graphql.HasOperationContext(ctx):
		names, _ := ctx.Value(inputNamesKey{}).(*inputNames)
		if names == nil {
			// No index for the whole request (WithInputNames): one for this error.
			names = &inputNames{}
		}
		name = names.at(graphql.GetOperationContext(ctx).RawQuery, gerr.Locations[0])
	default:
		return nil
	}
	out := *gerr
	if name != "" {
		out.Message = fmt.Sprintf("%s: %s", name, gerr.Message)
	}
	out.Extensions = withExtensions(gerr.Extensions, map[string]any{"code": string(errs.BadUserInput)})
	if name != "" {
		out.Extensions["argument"] = name
	}
	return &out
}

func pathText(p ast.Path) string {
	var b strings.Builder
	for i, e := range p {
		switch e := e.(type) {
		case ast.PathName:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(e))
		case ast.PathIndex:
			fmt.Fprintf(&b, "[%d]", int(e))
		}
	}
	return b.String()
}

// operationMessage gives graphql-js's message for gqlgen's errors about which
// operation to run ("operation  not found", with no name in between, when a document
// of several operations comes without an operationName).
func operationMessage(msg string) (string, bool) {
	if msg == "no operation provided" {
		return "Must provide an operation.", true
	}
	rest, found := strings.CutPrefix(msg, "operation ")
	if !found {
		return "", false
	}
	name, found := strings.CutSuffix(rest, " not found")
	if !found {
		return "", false
	}
	if name == "" {
		return "Must provide operation name if query contains multiple operations.", true
	}
	return fmt.Sprintf("Unknown operation named %q.", name), true
}

// MaxErrors is how many errors a refused request reports, as graphql-js's validation
// does; CapErrors puts one error in place of the rest.
const MaxErrors = 100

// CapErrors returns the first MaxErrors errors of a refused request and, when there
// were more, one that says so: a document that makes thousands of errors is answered
// at the cost of a hundred.
func CapErrors(list gqlerror.List) gqlerror.List {
	if len(list) <= MaxErrors {
		return list
	}
	return append(list[:MaxErrors:MaxErrors], &gqlerror.Error{
		Message:    "Too many validation errors, error limit reached. Validation aborted.",
		Extensions: map[string]any{"code": errcode.ValidationFailed},
	})
}

type inputNamesKey struct{}

// inputNames names the argument (with the input fields down to the value, e.g.
// "orderBy.field") of each value of a document by its position, indexed on first use
// from one parse of the document.
type inputNames struct {
	once  sync.Once
	names map[gqlerror.Location]string
}

// WithInputNames prepares ctx for the errors of one request: the error presenter
// parses a refused document at most once to name the arguments its errors are about,
// however many errors there are.
func WithInputNames(ctx context.Context) context.Context {
	return context.WithValue(ctx, inputNamesKey{}, &inputNames{})
}

// at names the argument whose value sits at loc in the query text; "" if none does.
func (n *inputNames) at(query string, loc gqlerror.Location) string {
	n.once.Do(func() { n.names = indexArguments(query) })
	return n.names[loc]
}

func indexArguments(query string) map[gqlerror.Location]string {
	names := map[gqlerror.Location]string{}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return names
	}
	var walkValue func(v *ast.Value, name string)
	walkValue = func(v *ast.Value, name string) {
		if v == nil {
			return
		}
		if v.Position != nil {
			loc := gqlerror.Location{Line: v.Position.Line, Column: v.Position.Column}
			if _, seen := names[loc]; !seen {
				names[loc] = name
			}
		}
		for _, c := range v.Children {
			child := name
			if c.Name != "" {
				child += "." + c.Name
			}
			walkValue(c.Value, child)
		}
	}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				for _, a := range s.Arguments {
					walkValue(a.Value, a.Name)
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}
	return names
}

func withExtensions(base, add map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(add))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range add {
		out[k] = v
	}
	return out
}

// errPanic marks a recovered panic; its text never reaches the client.
var errPanic = errors.New("panic")

// Recover returns gqlgen's recover function: a panic in a resolver becomes an INTERNAL
// error on that field, logged with its stack under the request id, and the process
// goes on serving.
func Recover(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in a resolver", "request_id", reqscope.From(ctx).ID(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		return &errs.Error{Code: errs.Internal, Message: "internal error", Err: fmt.Errorf("%w: %v", errPanic, v)}
	}
}
