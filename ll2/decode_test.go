package ll2

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestDecodeBodyAsEncodingJSON holds decodeBody to encoding/json's value and error on
// good and bad bodies: callers see the same *json.SyntaxError and
// *json.UnmarshalTypeError (and the same partial value) as before json v2 decoded them.
func TestDecodeBodyAsEncodingJSON(t *testing.T) {
	for _, c := range []struct {
		name, body string
		wantErr    bool
	}{
		{"a page", `{"count": 1, "next": null, "previous": null, "results": [{"id": 7, "Name": "Soyuz", "response_mode": "list", "time_in_space": "P1DT2H"}]}`, false},
		{"malformed", `{"count": 1, "results": [`, true},
		{"not JSON", `<html>`, true},
		{"a wrong type", `{"count": 2, "results": [{"id": 1}, {"id": "2"}, {"id": 3}]}`, true},
		{"a bad duration", `{"count": 1, "results": [{"id": 1, "time_in_space": "a while"}]}`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var want Page[*SpacecraftDetailed]
			wantErr := json.Unmarshal([]byte(c.body), &want)
			got, err := decodeBody[Page[*SpacecraftDetailed]]([]byte(c.body))
			if (wantErr != nil) != c.wantErr {
				t.Fatalf("encoding/json: %v", wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("value %+v, encoding/json %+v", got, want)
			}
			if reflect.TypeOf(err) != reflect.TypeOf(wantErr) || (err != nil && err.Error() != wantErr.Error()) {
				t.Errorf("error %T %v, encoding/json %T %v", err, err, wantErr, wantErr)
			}
		})
	}
}
