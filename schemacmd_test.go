package main

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// TestSchemaCommand: `spacegraph schema` prints api/schema.graphql and `spacegraph
// schema --json` api/introspection.json, byte for byte (the gateway's tests keep those
// files the executable schema's), so that a frontend's CI can snapshot the contract
// without running a server; anything else is refused.
func TestSchemaCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		file string
	}{
		{[]string{"schema"}, "api/schema.graphql"},
		{[]string{"schema", "--json"}, "api/introspection.json"},
	} {
		want, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		if err := run(context.Background(), tc.args, &out, &errOut); err != nil {
			t.Fatalf("%v: %v (%s)", tc.args, err, errOut.String())
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%v printed %d bytes that differ from %s (%d bytes)", tc.args, out.Len(), tc.file, len(want))
		}
	}
	for _, args := range [][]string{{"schema", "extra"}, {"schema", "--yaml"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil || out.Len() > 0 {
			t.Errorf("%v: error %v, %d bytes printed; want a refusal", args, err, out.Len())
		}
	}
}
