package main

import (
	"flag"
	"fmt"
	"io"

	"spacegraph/gateway"
)

// runSchema is `spacegraph schema [--json]`: it prints the contract without serving
// it, for the schema snapshot tests of frontend repositories. The SDL is
// api/schema.graphql and the JSON api/introspection.json, byte for byte
// (TestSchemaCommand).
func runSchema(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("spacegraph schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the result of the standard introspection query (JSON) instead of the SDL")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: spacegraph schema [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("schema: unexpected argument %q", fs.Arg(0))
	}
	out := gateway.SchemaSDL()
	if *asJSON {
		var err error
		if out, err = gateway.IntrospectionJSON(); err != nil {
			return err
		}
	}
	_, err := stdout.Write(out)
	return err
}
