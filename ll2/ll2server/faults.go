package ll2server

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// FaultKind is a way for the server to misbehave.
type FaultKind int8

// The faults the server can inject.
const (
	FaultNone FaultKind = iota
	// FaultServerError answers 502 or 503 with an HTML page, as a proxy in front of
	// LL2 would.
	FaultServerError
	// FaultHTML answers 200 with an HTML page instead of JSON.
	FaultHTML
	// FaultMalformed answers 200 with the JSON body cut in half.
	FaultMalformed
	// FaultDrop sends the headers and half the body, then cuts the connection.
	FaultDrop
	// FaultStall waits Fault.Stall (or until the caller gives up) before answering.
	FaultStall
	// FaultWrongObjects answers a list call as if its filters and search were ignored,
	// as LL2 does with a parameter it does not know.
	FaultWrongObjects
	// FaultWrongID answers a detail call with another object (on a list call it
	// changes nothing).
	FaultWrongID
	// FaultErrorBody answers 200 with an error body, `{"detail": …}`, as a proxy or a
	// misconfigured server may: valid JSON that is no answer.
	FaultErrorBody
	// FaultShortPage answers a list call with its last result missing (count and
	// links unchanged).
	FaultShortPage
	// FaultShiftedPage answers a list call past the first page as if an object had
	// been added before it since the previous page: the window starts one earlier, so
	// the page repeats the previous page's last object and the crawl misses one. Each
	// page alone is well formed; only the whole crawl does not add up.
	FaultShiftedPage
)

// String names the fault.
func (k FaultKind) String() string {
	names := [...]string{"none", "server-error", "html", "malformed", "drop", "stall", "wrong-objects", "wrong-id", "error-body", "short-page", "shifted-page"}
	if k < 0 || int(k) >= len(names) {
		return "fault(" + strconv.Itoa(int(k)) + ")"
	}
	return names[k]
}

// Fault is one injected failure.
type Fault struct {
	Kind  FaultKind
	Stall time.Duration
}

// Faults configures fault injection. Script is played first, one fault per call
// (FaultNone lets a call through); then each call draws from the rates, which are
// shares between 0 and 1, with a generator seeded by Seed so that runs repeat.
type Faults struct {
	Script      []Fault
	Seed        uint64
	ServerError float64
	HTML        float64
	Malformed   float64
	Drop        float64
	Stall       float64
	// StallFor is how long a drawn stall lasts; 0 means 5 s.
	StallFor time.Duration
	// Rates of the answers that are well-formed JSON but wrong.
	WrongID     float64
	ErrorBody   float64
	ShortPage   float64
	ShiftedPage float64
}

type faultPicker struct {
	f      Faults
	script []Fault
	rng    *rand.Rand
}

func newFaultPicker(f Faults) *faultPicker {
	return &faultPicker{f: f, script: append([]Fault(nil), f.Script...), rng: rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))}
}

// next picks the fault for one call. Callers hold the server's lock.
func (p *faultPicker) next() Fault {
	if len(p.script) > 0 {
		f := p.script[0]
		p.script = p.script[1:]
		return f
	}
	x := p.rng.Float64()
	for _, c := range []struct {
		rate float64
		kind FaultKind
	}{
		{p.f.ServerError, FaultServerError},
		{p.f.HTML, FaultHTML},
		{p.f.Malformed, FaultMalformed},
		{p.f.Drop, FaultDrop},
		{p.f.Stall, FaultStall},
		{p.f.WrongID, FaultWrongID},
		{p.f.ErrorBody, FaultErrorBody},
		{p.f.ShortPage, FaultShortPage},
		{p.f.ShiftedPage, FaultShiftedPage},
	} {
		if x < c.rate {
			stall := p.f.StallFor
			if stall <= 0 {
				stall = 5 * time.Second
			}
			return Fault{Kind: c.kind, Stall: stall}
		}
		x -= c.rate
	}
	return Fault{}
}

const htmlErrorPage = `<!DOCTYPE html>
<html><head><title>%d %s</title></head>
<body><h1>%d %s</h1><p>The upstream server is not answering.</p></body></html>
`

// serveWithFault writes the answer, spoilt as the fault says.
func serveWithFault(w http.ResponseWriter, r *http.Request, status int, body []byte, f Fault) {
	switch f.Kind {
	case FaultServerError:
		code := http.StatusBadGateway
		if len(r.URL.RawQuery)%2 == 1 {
			code = http.StatusServiceUnavailable
		}
		writeHTML(w, code)
	case FaultHTML:
		writeHTML(w, http.StatusOK)
	case FaultMalformed:
		writeBody(w, status, body[:len(body)/2])
	case FaultErrorBody:
		writeBody(w, http.StatusOK, []byte(`{"detail":"A server error occurred."}`))
	case FaultDrop:
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		// The standard library's way to cut a connection from a handler.
		panic(http.ErrAbortHandler)
	default:
		writeBody(w, status, body)
	}
}

func writeHTML(w http.ResponseWriter, code int) {
	text := http.StatusText(code)
	page := []byte(fmt.Sprintf(htmlErrorPage, code, text, code, text))
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(code)
	_, _ = w.Write(page)
}
