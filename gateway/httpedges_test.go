package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"spacegraph/gateway"
)

// TestStrictJSONParameters checks that JSON in a request is read strictly, and alike
// over GET and POST: trailing data after a value, a name given twice in an object (at
// the top or deep in the variables) and invalid UTF-8 are refused with 400,
// BAD_USER_INPUT and a message in the client's terms, where a lenient reader would
// run one of the two meanings.
func TestStrictJSONParameters(t *testing.T) {
	h := newHarness(t, emptyConfig())
	const q = `query($id: Int) { spacecraft(ll2Id: $id) { name } }`
	get := func(params string) string {
		return "/graphql?query=" + url.QueryEscape(q) + "&" + params
	}
	for _, tc := range []struct {
		name, method, path, body string
		want                     string // in the message
	}{
		{"GET variables with trailing data", "GET", get("variables=" + url.QueryEscape(`{"id":242}junk`)), "",
			"the variables parameter is not valid JSON: more follows the JSON value (at byte 10)"},
		{"GET variables followed by a second object", "GET", get("variables=" + url.QueryEscape(`{"id":242} {"id":569}`)), "",
			"the variables parameter is not valid JSON: more follows the JSON value"},
		{"GET extensions with trailing data", "GET", get("extensions=" + url.QueryEscape(`{}x`)), "",
			"the extensions parameter is not valid JSON: more follows the JSON value (at byte 2)"},
		{"GET a variable twice", "GET", get("variables=" + url.QueryEscape(`{"id":242,"id":569}`)), "",
			`the variables parameter is not valid JSON: the name "id" appears twice in one object`},
		{"GET a name twice deep in the variables", "GET", get("variables=" + url.QueryEscape(`{"f":{"a":[{"b":1,"b":2}]}}`)), "",
			`the variables parameter is not valid JSON: the name "b" appears twice in one object in /f/a/0`},
		{"POST query twice", "POST", "/graphql", `{"query": "{ __typename }", "query": "` + q + `"}`,
			`the request body is not valid JSON: the name "query" appears twice in one object`},
		{"POST a variable twice", "POST", "/graphql", `{"query": "` + q + `", "variables": {"id": 242, "id": 569}}`,
			`the request body is not valid JSON: the name "id" appears twice in one object in /variables`},
		{"POST a name twice deep in the extensions", "POST", "/graphql", `{"query": "{ __typename }", "extensions": {"x": {"y": 1, "y": 1}}}`,
			`the request body is not valid JSON: the name "y" appears twice in one object in /extensions/x`},
		{"POST with trailing data", "POST", "/graphql", `{"query": "{ __typename }"} {"query": "` + q + `"}`,
			"the request body is not valid JSON: more follows the JSON value (at byte 28)"},
		{"POST invalid UTF-8", "POST", "/graphql", "{\"query\": \"{ __typename }\", \"operationName\": \"\xff\"}",
			"the request body is not valid JSON: invalid UTF-8"},
		{"POST cut short", "POST", "/graphql", `{"query": "{ __typename }"`,
			"the request body is not valid JSON: it ends before the JSON value does (at byte 26)"},
		{"POST variables that are not an object", "POST", "/graphql", `{"query": "{ __typename }", "variables": [1]}`,
			"the variables parameter must be an object"},
		{"GET variables that are not an object", "GET", get("variables=" + url.QueryEscape(`[1]`)), "",
			"the variables parameter must be an object"},
		{"POST a number for the query", "POST", "/graphql", `{"query": 1}`,
			"the query parameter must be a string"},
		{"POST a batch", "POST", "/graphql", `[{"query": "{ __typename }"}]`,
			"batches of operations (a JSON array) are not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var header http.Header
			if tc.method == "POST" {
				header = postJSON
			}
			resp, raw := h.send(tc.method, tc.path, header, tc.body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", resp.StatusCode, raw)
			}
			r := decodeResponse(t, resp, raw)
			e := r.errorWith(t, "BAD_USER_INPUT")
			if !strings.Contains(e.Message, tc.want) {
				t.Errorf("message %q, want it to contain %q", e.Message, tc.want)
			}
			if r.Data != nil || strings.Contains(e.Message, "Go ") || strings.Contains(e.Message, "jsontext") {
				t.Errorf("answer %s", raw)
			}
		})
	}
	// The strict reader keeps what the lenient one accepted: whitespace around the
	// value, null parameters.
	for _, ok := range []struct{ method, path, body string }{
		{"GET", get("variables=" + url.QueryEscape(" {\"id\": 242}\n")), ""},
		{"POST", "/graphql", " {\"query\": \"" + q + "\", \"variables\": {\"id\": 242}, \"extensions\": null, \"operationName\": null}\n"},
	} {
		var header http.Header
		if ok.method == "POST" {
			header = postJSON
		}
		resp, raw := h.send(ok.method, ok.path, header, ok.body)
		if r := decodeResponse(t, resp, raw); resp.StatusCode != 200 || len(r.Errors) > 0 || !strings.Contains(string(raw), `"name"`) {
			t.Errorf("%s %s: %d %s", ok.method, ok.path, resp.StatusCode, raw)
		}
	}
}

// TestTooLargeBodyIsAnswered413 sends bodies of 6 MiB, four times the default limit,
// as Python's urllib and other simple clients do: the whole body first, then reading
// the answer. Closing the connection while the body still arrives makes the kernel
// reset it, and such a client sees "connection reset by peer" instead of the status:
// the client must get to send its body, then read a 413 with a GraphQL error. It
// checks a declared Content-Length (refused before reading) and a chunked body
// (refused once the limit is read), each over a raw TCP connection.
func TestTooLargeBodyIsAnswered413(t *testing.T) {
	h := newHarness(t, emptyConfig())
	addr := strings.TrimPrefix(h.srv.URL, "http://")
	body := jsonBody("{ __typename }"+strings.Repeat(" ", 6<<20), nil, nil)
	chunked := func() string {
		var b strings.Builder
		for rest := body; rest != ""; {
			n := min(len(rest), 64<<10)
			fmt.Fprintf(&b, "%x\r\n%s\r\n", n, rest[:n])
			rest = rest[n:]
		}
		b.WriteString("0\r\n\r\n")
		return b.String()
	}
	for _, tc := range []struct{ name, header, body string }{
		{"declared length", fmt.Sprintf("Content-Length: %d\r\n", len(body)), body},
		{"chunked", "Transfer-Encoding: chunked\r\n", chunked()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
			req := "POST /graphql HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\n" + tc.header + "\r\n" + tc.body
			if _, err := io.WriteString(conn, req); err != nil {
				t.Fatalf("sending the body: %v", err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("reading the answer: %v", err)
			}
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("reading the answer's body: %v", err)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413: %s", resp.StatusCode, raw)
			}
			e := decodeResponse(t, resp, raw).errorWith(t, "BAD_USER_INPUT")
			if !strings.Contains(e.Message, "262144") {
				t.Errorf("message %q does not name the limit", e.Message)
			}
		})
	}
}

// smallBufferListener gives each accepted connection a small send buffer, so that an
// answer of a few hundred kilobytes fills what the kernel holds for a client that
// does not read.
type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

// TestStalledReaderIsCut asks for a large answer and never reads it: the write that
// stalls must fail within the stall allowance (the request timeout), so that the
// handler returns and the server closes the connection, instead of holding the
// goroutine and the buffered answer for ever. A client that reads slowly but steadily
// is served in full.
func TestStalledReaderIsCut(t *testing.T) {
	d := llScale()
	g, err := gateway.New(gateway.Config{Snapshot: &d, Protection: gateway.Protection{RequestTimeout: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan string, 16)
	srv := httptest.NewUnstartedServer(g.Handler)
	srv.Listener = smallBufferListener{srv.Listener}
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed <- c.RemoteAddr().String()
		}
	}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		_ = g.Close()
	})
	// About 150 KB: six aliases of a page of a hundred spacecraft.
	var q strings.Builder
	q.WriteString("{")
	for i := range 6 {
		fmt.Fprintf(&q, " a%d: allSpacecraft(first: 100) { nodes { id name serialNumber description inSpace timeInSpace spacecraftConfig { name } } }", i)
	}
	q.WriteString(" }")
	req := "GET /graphql?query=" + url.QueryEscape(q.String()) + " HTTP/1.1\r\nHost: x\r\n\r\n"
	dial := func() net.Conn {
		t.Helper()
		conn, err := (&net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
		}}).Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		return conn
	}

	// A slow reader: 16 KiB every 20 ms, a chunk of the answer within the allowance.
	slow := dial()
	defer slow.Close()
	_ = slow.SetDeadline(time.Now().Add(60 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReaderSize(readSlowly{slow}, 64<<10), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || len(raw) < 128<<10 || strings.Contains(string(raw), `"errors"`) {
		t.Fatalf("the slow reader: status %d, %d bytes, %v: %.300s", resp.StatusCode, len(raw), err, raw)
	}

	// A reader that stops: its connection is closed by the server.
	stalled := dial()
	defer stalled.Close()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case addr := <-closed:
			if addr == stalled.LocalAddr().String() {
				return
			}
		case <-timeout:
			t.Fatal("the server still holds the connection of a client that stopped reading")
		}
	}
}

// readSlowly reads at most 16 KiB every 20 ms.
type readSlowly struct{ r io.Reader }

func (s readSlowly) Read(p []byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	return s.r.Read(p[:min(len(p), 16<<10)])
}
