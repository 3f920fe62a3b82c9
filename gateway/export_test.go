package gateway

import "context"

// This file exports internals to the gateway's external tests. It is compiled only
// into the test binary: nothing outside `go test` can reach these.

// PlaygroundExample is a playground tab's document and variables (JSON, "" for none).
type PlaygroundExample struct{ Query, Variables string }

// PlaygroundExamples are the playground's example tabs.
func PlaygroundExamples() []PlaygroundExample {
	out := make([]PlaygroundExample, len(playgroundExamples))
	for i, ex := range playgroundExamples {
		out[i] = PlaygroundExample(ex)
	}
	return out
}

// PanicInMiddleware and PanicInResolver name where SetTestPanic's hook is called:
// in the HTTP middleware, and in every root field's resolver middleware.
const (
	PanicInMiddleware = panicInMiddleware
	PanicInResolver   = panicInResolver
)

// SetTestPanic installs a hook that the gateway calls at each stage of a request, so
// that a test can panic there.
func SetTestPanic(p *Protection, hook func(ctx context.Context, stage string)) { p.testPanic = hook }
