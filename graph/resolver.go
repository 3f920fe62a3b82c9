// Package graph is the GraphQL layer: the executable schema gqlgen generates from
// schema.graphqls, and the resolvers, which plan LL2 calls from the selection set and
// load nested objects through the per-request loaders.
package graph

//go:generate go run ./internal/fastgen/cmd

// Resolver is the root of the resolvers. It holds nothing: every resolver reads the
// catalog through the request's loaders (loaders.For), which batch its lookups and
// remember what its pages brought.
type Resolver struct{}
