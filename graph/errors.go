package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

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
