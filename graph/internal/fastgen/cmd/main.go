// Command cmd runs gqlgen with the fastgen plugin: `go generate ./graph` runs it, so
// that graph/generated.go and graph/fast.generated.go come from one reading of the
// schema and gqlgen.yml.
package main

import (
	"fmt"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"

	"spacegraph/graph/internal/fastgen"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		fmt.Fprintln(os.Stderr, "failed to load config:", err)
		os.Exit(2)
	}
	if err := api.Generate(cfg, api.AddPlugin(fastgen.Plugin{})); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}
