// Package protect is the gateway's protection middleware, one job a file: panic
// recovery (Recover), the bound on how long writing an answer may stall
// (WriteDeadline), the request body limit with its drained 413 (BodyLimit), the
// per-request deadline with its 504 backstop (Deadline), CORS and gzip. Refusals are
// GraphQL-shaped errors written by graphqlhttp, so that clients read them as they read
// the transport's own. The query limits themselves are in graph (limits.go); the knobs
// that set all of them are the gateway's Protection.
package protect
