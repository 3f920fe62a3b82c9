package graph

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"spacegraph/ll2"
	"spacegraph/loaders"
)

// embeddedObject answers a field that returns one object its parent embeds, for the
// fields that are still resolvers rather than plain fields the upgrade fills in (a
// flight's spacecraft, a docking event's flight, a launch's service provider): the
// embedded object when its level meets the field's selection, else one load at the
// level the selection needs; either way with its own embedded objects upgraded (add).
// These run once per parent, so a page of flights batches them through the loaders.
func embeddedObject[E any](ctx context.Context, typ string, have *E, id int, level ll2.Level, ld *dataloader.Loader[loaders.Key, *E], add func(*frontier, *E, *need)) (*E, error) {
	n := rootNeed(ctx, typ)
	if level >= n.level {
		return upgradeOne(ctx, have, n, add), nil
	}
	v, err := load(ctx, ld, id, n.level)
	if err != nil {
		return nil, err
	}
	return upgradeOne(ctx, v, n, add), nil
}
