package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"spacegraph/graph"
	"spacegraph/snapshot/synthetic"
)

// newPlaygroundGateway is a gateway over the embedded snapshot, the one the
// playground's examples are written for.
func newPlaygroundGateway(t testing.TB) *Gateway {
	t.Helper()
	g, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// playgroundGet serves a GET of target by h.
func playgroundGet(h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// exampleRootFields returns the names of the root fields an example's operation selects.
func exampleRootFields(t *testing.T, query string) []string {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("example does not parse: %v\n%s", err, query)
	}
	if len(doc.Operations) != 1 {
		t.Fatalf("example has %d operations, want 1 (a tab runs one):\n%s", len(doc.Operations), query)
	}
	var names []string
	for _, sel := range doc.Operations[0].SelectionSet {
		if f, ok := sel.(*ast.Field); ok && !strings.HasPrefix(f.Name, "__") {
			names = append(names, f.Name)
		}
	}
	return names
}

func TestPlaygroundExamplesCoverEveryRootField(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var want []string
	for _, f := range schema.Query.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			want = append(want, f.Name)
		}
	}
	var got []string
	for _, ex := range playgroundExamples {
		fields := exampleRootFields(t, ex.Query)
		if len(fields) != 1 {
			t.Errorf("example selects root fields %v, want exactly one (one tab per root field):\n%s", fields, ex.Query)
		}
		got = append(got, fields...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("examples' root fields = %v\nwant the schema's, in its order: %v", got, want)
	}
}

// notEmbedded are the example tabs whose data the embedded snapshot does not hold (no
// flight, docking event or country): they run against the synthetic snapshot with
// flights, as against a crawled one.
var notEmbedded = map[string]bool{"spacecraftFlight": true, "allSpacecraftFlights": true, "dockingEvent": true,
	"allDockingEvents": true, "countries": true}

func TestPlaygroundExamplesRun(t *testing.T) {
	embedded := newPlaygroundGateway(t)
	flights := synthetic.Generate(synthetic.LL2ScaleFlights())
	crawled, err := New(Config{Snapshot: &flights})
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range playgroundExamples {
		field := exampleRootFields(t, ex.Query)[0]
		g := embedded
		if notEmbedded[field] {
			g = crawled
		}
		t.Run(field, func(t *testing.T) {
			body := map[string]any{"query": ex.Query}
			if ex.Variables != "" {
				var vars map[string]any
				if err := json.Unmarshal([]byte(ex.Variables), &vars); err != nil {
					t.Fatalf("variables are not a JSON object: %v\n%s", err, ex.Variables)
				}
				body["variables"] = vars
			}
			payload, _ := json.Marshal(body)
			r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(payload))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			g.Handler.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var resp struct {
				Data   map[string]any    `json:"data"`
				Errors []json.RawMessage `json:"errors"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatalf("response is not JSON: %v\n%s", err, w.Body)
			}
			if len(resp.Errors) > 0 {
				t.Fatalf("errors: %s", w.Body)
			}
			checkExampleData(t, field, resp.Data[field], w.Body.String())
		})
	}
}

// checkExampleData fails unless v, an example's root field, shows snapshot data: an
// object, a list with no null, a connection with items.
func checkExampleData(t *testing.T, field string, v any, body string) {
	t.Helper()
	switch v := v.(type) {
	case nil:
		t.Fatalf("data.%s is null: %s", field, body)
	case []any:
		if len(v) == 0 || slices.Contains(v, nil) {
			t.Fatalf("data.%s is empty or has a null: %s", field, body)
		}
	case map[string]any:
		for _, list := range []string{"edges", "nodes"} {
			if items, ok := v[list].([]any); ok && len(items) == 0 {
				t.Fatalf("data.%s.%s is empty: %s", field, list, body)
			}
		}
	default:
		t.Fatalf("data.%s is %T, want an object or a list: %s", field, v, body)
	}
}

// playgroundAssetURLs are the script and stylesheet URLs of the playground page.
var playgroundAssetURLs = regexp.MustCompile(`(?:src|href)="([^"]+)"`)

func TestPlaygroundPage(t *testing.T) {
	g := newPlaygroundGateway(t)
	w := playgroundGet(g.Handler, "/")
	if w.Code != http.StatusOK {
		t.Fatalf("GET / = %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	page := w.Body.String()
	// Offline means the page names no other host: every URL in it is a path.
	if m := regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}`).FindString(page); m != "" {
		t.Errorf("page refers to another host (%s):\n%s", m, page)
	}
	for _, want := range []string{
		`GraphiQL.createFetcher({ url: "/graphql" })`,
		`defaultTabs: [{"query":"# Refetches any object`,
		`ReactDOM.createRoot(`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}

	urls := playgroundAssetURLs.FindAllStringSubmatch(page, -1)
	if len(urls) != 4 {
		t.Fatalf("page loads %d assets, want 4 (GraphiQL's script and styles, React, ReactDOM):\n%s", len(urls), page)
	}
	for _, m := range urls {
		u := m[1]
		if !strings.HasPrefix(u, playgroundAssetsPrefix) {
			t.Errorf("asset %s is not under %s", u, playgroundAssetsPrefix)
			continue
		}
		w := playgroundGet(g.Handler, u)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s = %d", u, w.Code)
			continue
		}
		wantType := "text/javascript; charset=utf-8"
		if strings.HasSuffix(u, ".css") {
			wantType = "text/css; charset=utf-8"
		}
		if ct := w.Header().Get("Content-Type"); ct != wantType {
			t.Errorf("GET %s: Content-Type %q, want %q", u, ct, wantType)
		}
		if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s: Cache-Control %q, want a year, immutable", u, cc)
		}
		name := u[strings.LastIndexByte(u, '/')+1:]
		want, err := fs.ReadFile(playgroundFiles, "playground/"+name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w.Body.Bytes(), want) {
			t.Errorf("GET %s: body differs from playground/%s", u, name)
		}
		// A revalidation by ETag costs no body.
		if etag := w.Header().Get("ETag"); etag == "" {
			t.Errorf("GET %s: no ETag", u)
		} else if w := playgroundGet(g.Handler, u, "If-None-Match", etag); w.Code != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match = %d, want 304", u, w.Code)
		}
		// A URL with another hash names other content: it must not be served as this.
		stale := playgroundAssetsPrefix + "0000000000000000/" + name
		if w := playgroundGet(g.Handler, stale); w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", stale, w.Code)
		}
	}
	if w := playgroundGet(g.Handler, playgroundAssetsPrefix+"x/fetch.sh"); w.Code != http.StatusNotFound {
		t.Errorf("GET of a file that is not an asset = %d, want 404", w.Code)
	}
}

// TestPlaygroundReadmeHashes keeps playground/README.md true: it must give the
// sha256 of each embedded file, as fetch.sh prints it.
func TestPlaygroundReadmeHashes(t *testing.T) {
	readme, err := os.ReadFile("playground/README.md")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(playgroundFiles, "playground")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		t.Errorf("%d embedded files, want 4", len(entries))
	}
	for _, e := range entries {
		data, err := fs.ReadFile(playgroundFiles, "playground/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		line := hex.EncodeToString(sum[:]) + "  " + e.Name()
		if !bytes.Contains(readme, []byte(line)) {
			t.Errorf("playground/README.md lacks the line %q", line)
		}
	}
}
