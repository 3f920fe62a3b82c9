package graphqlhttp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
)

// TrustedDocuments is a manifest of the documents a gateway in trusted-documents
// mode runs, by id (as clients send it in `extensions.persistedQuery.sha256Hash`)
// and by the SHA-256 of their text (a client may also send the text itself).
type TrustedDocuments struct {
	byID   map[string]string
	byHash map[string]bool
}

// Len is the number of documents in the manifest.
func (t *TrustedDocuments) Len() int { return len(t.byID) }

// All yields the manifest's documents, id and text, in the order of their ids, so
// that what is computed from them (the response cache's fingerprint) does not depend
// on the order of a map.
func (t *TrustedDocuments) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, id := range slices.Sorted(maps.Keys(t.byID)) {
			if !yield(id, t.byID[id]) {
				return
			}
		}
	}
}

// LoadTrustedDocuments reads a manifest file; see ParseTrustedDocuments.
func LoadTrustedDocuments(path string) (*TrustedDocuments, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trusted documents: %w", err)
	}
	t, err := ParseTrustedDocuments(b)
	if err != nil {
		return nil, fmt.Errorf("trusted documents %s: %w", path, err)
	}
	return t, nil
}

// ParseTrustedDocuments parses a manifest: either Apollo's persisted-query manifest
// ({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id",
// "name", "type", "body"}]}) or a plain JSON object from ids (usually the SHA-256 of
// the text, in hex) to document texts.
func ParseTrustedDocuments(b []byte) (*TrustedDocuments, error) {
	t := &TrustedDocuments{byID: map[string]string{}, byHash: map[string]bool{}}
	add := func(id, body string) error {
		if id == "" || strings.TrimSpace(body) == "" {
			return fmt.Errorf("an operation without id or body (id %q)", id)
		}
		t.byID[id] = body
		t.byHash[sha256Hex(body)] = true
		return nil
	}
	var apollo struct {
		Format     string `json:"format"`
		Version    int    `json:"version"`
		Operations []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Type string `json:"type"`
			Body string `json:"body"`
		} `json:"operations"`
	}
	if err := json.Unmarshal(b, &apollo); err == nil && apollo.Format != "" {
		if apollo.Format != "apollo-persisted-query-manifest" || apollo.Version != 1 {
			return nil, fmt.Errorf("unsupported manifest format %q version %d", apollo.Format, apollo.Version)
		}
		for _, op := range apollo.Operations {
			if err := add(op.ID, op.Body); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
	var plain map[string]string
	if err := json.Unmarshal(b, &plain); err != nil {
		return nil, errors.New("neither an Apollo persisted-query manifest nor a JSON object of id to document")
	}
	for id, body := range plain {
		if err := add(id, body); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// errNotTrusted is the message of a refused document in trusted-documents mode.
const errNotTrusted = "this server runs trusted documents only, and this document is not one of them"

// resolve gives the text of a trusted request: the manifest's document for the id in
// extensions.persistedQuery.sha256Hash, or the text sent when it is in the manifest.
// ok is false, with a message, for anything else.
func (t *TrustedDocuments) resolve(query string, extensions map[string]any) (text, msg string, ok bool) {
	id := ""
	if pq, _ := extensions["persistedQuery"].(map[string]any); pq != nil {
		id, _ = pq["sha256Hash"].(string)
	}
	switch {
	case id != "" && query == "":
		if body, found := t.byID[id]; found {
			return body, "", true
		}
		return "", "PersistedQueryNotFound: no trusted document has the id " + strconv.Quote(id), false
	case query != "" && t.byHash[sha256Hex(query)]:
		if id != "" && t.byID[id] != query && sha256Hex(query) != id {
			return "", "the persisted query id does not match the document sent", false
		}
		return query, "", true
	}
	return "", errNotTrusted, false
}
