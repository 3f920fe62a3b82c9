package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"spacegraph/errs"
)

// RequestIDFunc returns the id of the request a context belongs to, for error reports.
type RequestIDFunc func(context.Context) string

// ErrorPresenter returns gqlgen's error presenter: every error leaves with an
// `extensions.code` from errs' table, a message fit for clients, and, for internal
// errors, the request id that finds the logged detail.
func ErrorPresenter(log *slog.Logger, requestID RequestIDFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		cause := gerr.Err
		if cause == nil {
			// gqlgen's own errors (parse, validation, argument coercion, null
			// violations) carry their message and, mostly, their code already.
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
			id := requestID(ctx)
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
		name = argumentAt(graphql.GetOperationContext(ctx).RawQuery, gerr.Locations[0])
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

// argumentAt names the argument (with the input fields down to the value, e.g.
// "orderBy.field") whose value sits at loc in the query text; "" if none does.
func argumentAt(query string, loc gqlerror.Location) string {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return ""
	}
	var walkValue func(v *ast.Value, name string) string
	walkValue = func(v *ast.Value, name string) string {
		if v == nil {
			return ""
		}
		if v.Position != nil && v.Position.Line == loc.Line && v.Position.Column == loc.Column {
			return name
		}
		for _, c := range v.Children {
			child := name
			if c.Name != "" {
				child += "." + c.Name
			}
			if found := walkValue(c.Value, child); found != "" {
				return found
			}
		}
		return ""
	}
	var walk func(ast.SelectionSet) string
	walk = func(set ast.SelectionSet) string {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				for _, a := range s.Arguments {
					if found := walkValue(a.Value, a.Name); found != "" {
						return found
					}
				}
				if found := walk(s.SelectionSet); found != "" {
					return found
				}
			case *ast.InlineFragment:
				if found := walk(s.SelectionSet); found != "" {
					return found
				}
			}
		}
		return ""
	}
	for _, op := range doc.Operations {
		if found := walk(op.SelectionSet); found != "" {
			return found
		}
	}
	for _, f := range doc.Fragments {
		if found := walk(f.SelectionSet); found != "" {
			return found
		}
	}
	return ""
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
func Recover(log *slog.Logger, requestID RequestIDFunc) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in a resolver", "request_id", requestID(ctx), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		return &errs.Error{Code: errs.Internal, Message: "internal error", Err: fmt.Errorf("%w: %v", errPanic, v)}
	}
}
