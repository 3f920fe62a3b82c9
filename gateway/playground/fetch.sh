#!/bin/sh
# fetch.sh refreshes the GraphiQL and React files that the gateway embeds for its
# playground. They come from the npm registry (npm pack, which checks each tarball
# against the registry's integrity hash), because the machines that build and test
# spacegraph reach no CDN. Run it from anywhere, then update README.md with the
# versions and the sha256 lines it prints.
#
#   GRAPHIQL_VERSION=4.1.2 REACT_VERSION=18.3.1 sh gateway/playground/fetch.sh
#
# GraphiQL 5 ships ES modules only (no graphiql.min.js UMD build), so 4.x is the
# last major this page can load without a bundler.
set -eu

GRAPHIQL_VERSION=${GRAPHIQL_VERSION:-4.1.2}
REACT_VERSION=${REACT_VERSION:-18.3.1}

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cd "$tmp"
npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION" >/dev/null
for pkg in "graphiql-$GRAPHIQL_VERSION" "react-$REACT_VERSION" "react-dom-$REACT_VERSION"; do
	mkdir "$pkg"
	tar -xzf "$pkg.tgz" -C "$pkg"
done

cp "graphiql-$GRAPHIQL_VERSION/package/graphiql.min.js" \
	"graphiql-$GRAPHIQL_VERSION/package/graphiql.min.css" \
	"react-$REACT_VERSION/package/umd/react.production.min.js" \
	"react-dom-$REACT_VERSION/package/umd/react-dom.production.min.js" \
	"$here/"
cp "graphiql-$GRAPHIQL_VERSION/package/LICENSE" "$here/LICENSE.graphiql"
cp "react-$REACT_VERSION/package/LICENSE" "$here/LICENSE.react"
cmp -s "react-$REACT_VERSION/package/LICENSE" "react-dom-$REACT_VERSION/package/LICENSE" ||
	cp "react-dom-$REACT_VERSION/package/LICENSE" "$here/LICENSE.react-dom"

cd "$here"
echo "graphiql@$GRAPHIQL_VERSION react@$REACT_VERSION react-dom@$REACT_VERSION"
sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js
