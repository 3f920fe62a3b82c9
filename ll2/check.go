package ll2

import "context"

// BodyCheck tells whether the body of a 200 answer is a usable answer to the request
// it came for: it decodes and checks the body as the client does (the ids, levels,
// paging and filters asked for) and returns why not, or nil.
type BodyCheck func(body []byte) error

type bodyCheckKey struct{}

// WithBodyCheck returns ctx carrying check. The client puts one on the context of
// every request it makes, so that a transport that keeps answers can refuse to keep
// one the client would reject (and then reject again on every read until it
// expired), without the transport knowing what was asked or the client knowing
// that answers are kept.
func WithBodyCheck(ctx context.Context, check BodyCheck) context.Context {
	return context.WithValue(ctx, bodyCheckKey{}, check)
}

// BodyCheckFrom returns the check ctx carries, or nil.
func BodyCheckFrom(ctx context.Context) BodyCheck {
	c, _ := ctx.Value(bodyCheckKey{}).(BodyCheck)
	return c
}
