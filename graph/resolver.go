// Package graph is the GraphQL layer: the executable schema gqlgen generates from
// schema.graphqls, and the resolvers, which plan LL2 calls from the selection set and
// load nested objects through the per-request loaders.
package graph

//go:generate go tool gqlgen generate

import "spacegraph/catalog"

// Resolver is the dependency-injection root of the resolvers.
type Resolver struct {
	Catalog *catalog.Catalog
}
