package ll2

import (
	"encoding/json"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// v1Semantics makes json v2 decode exactly as encoding/json does: field names matched
// case-insensitively, the last of duplicate names kept, invalid UTF-8 replaced,
// UnmarshalJSON methods and json.RawMessage honoured.
var v1Semantics = jsonv1.DefaultOptionsV1()

// decodeBody decodes an LL2 answer into a new T as encoding/json would, in about half
// its time and with a fifth fewer allocations (BenchmarkDecodeLibraries):
// go-json-experiment's json v2, which is already in the module graph, with
// encoding/json's semantics (TestDecodeLibrariesAgree holds it to the same values on
// every page of every collection). A body it rejects is decoded again by encoding/json,
// so that a failure returns encoding/json's value and error (a *json.SyntaxError, a
// *json.UnmarshalTypeError) as before; failures are rare, and they are not kept.
func decodeBody[T any](body []byte) (T, error) {
	var v T
	if jsonv2.Unmarshal(body, &v, v1Semantics) == nil {
		return v, nil
	}
	var old T
	err := json.Unmarshal(body, &old)
	return old, err
}
