package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser; .ci/run
// installs it, so the browser test runs in CI.
const chromiumPath = "/usr/bin/chromium"

// GraphiQL 4's elements, by the class names its stylesheet styles.
const (
	giTabButtons  = `.graphiql-tabs .graphiql-tab .graphiql-tab-button`
	giActiveTab   = `.graphiql-tabs .graphiql-tab-active .graphiql-tab-button`
	giExecute     = `.graphiql-execute-button`
	giQueryEditor = `.graphiql-query-editor .CodeMirror`
	giResponse    = `.graphiql-response .result-window`
)

// TestBrowserPlayground loads the playground in headless Chromium, runs the tab it
// opens with and the AllSpacecraft tab (whose paging comes from its variables), and
// checks the response pane shows the snapshot's data: what a person gets at /, with
// every file served by the gateway itself.
//
// It is skipped without Chromium unless SPACEGRAPH_REQUIRE_BROWSER=1. Set
// SPACEGRAPH_PLAYGROUND_SCREENSHOT to a .png path to keep a screenshot.
func TestBrowserPlayground(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		// CI sets this, so that a missing package fails the run instead of passing
		// it without the browser test.
		if os.Getenv("SPACEGRAPH_REQUIRE_BROWSER") == "1" {
			t.Fatalf("no browser (SPACEGRAPH_REQUIRE_BROWSER=1): %v", err)
		}
		t.Skipf("no browser: %v", err)
	}
	start := time.Now()
	srv := httptest.NewServer(newPlaygroundGateway(t).Handler)
	defer srv.Close()

	// The machine's network is closed: without these flags Chromium stalls or fails
	// reaching Google's services, or refuses to run as root with a sandbox.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// A fresh profile: tabs persisted by an earlier run would hide the defaults.
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	// Ends Chromium and waits for it, before t.TempDir removes its profile.
	defer cancelAlloc()

	var (
		mu         sync.Mutex
		requests   []string
		exceptions []string
		// abortLoad ends the wait for GraphiQL when a script throws, which would
		// otherwise leave the test waiting out its whole timeout.
		abortLoad = context.CancelFunc(func() {})
	)
	// A listener given at creation sees the tab's events from its very first request.
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf), chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			exceptions = append(exceptions, msg)
			abortLoad()
		}
	}))
	defer cancelTab()
	fail := func(step string, err error) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%s: %v\nrequests: %q\nexceptions: %q", step, err, requests, exceptions)
	}
	if path := os.Getenv("SPACEGRAPH_PLAYGROUND_SCREENSHOT"); path != "" {
		defer func() {
			if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				_ = os.WriteFile(path, png, 0o644)
			}
		}()
	}

	// The first run starts the tab, which lives as long as the context it is given:
	// ctx, not loadCtx, which a thrown exception cancels.
	if err := chromedp.Do(ctx); err != nil {
		fail("starting Chromium", err)
	}
	loadCtx, cancelLoad := context.WithCancel(ctx)
	defer cancelLoad()
	mu.Lock()
	abortLoad = cancelLoad
	mu.Unlock()
	err := chromedp.Do(loadCtx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(giExecute)),
		chromedp.WaitVisible(chromedp.CSS(giTabButtons)),
	)
	if err != nil {
		fail("loading the playground", err)
	}
	titles, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll(`+jsString(giTabButtons)+`), e => e.textContent.trim())`))
	if err != nil {
		fail("reading the tabs", err)
	}
	if len(titles) != len(playgroundExamples) || titles[0] != "Node" || titles[len(titles)-1] != "ImageLicenses" {
		t.Errorf("tabs %q, want one per example (%d), titled by operation name from Node to ImageLicenses", titles, len(playgroundExamples))
	}

	// The tab it opens with: Query.node for Spacecraft:569.
	var node struct {
		Data struct {
			Node struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"node"`
		} `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	result, shown, err := runPlaygroundTab(ctx, "", "node")
	if err != nil {
		fail("running the first tab", err)
	}
	if err := json.Unmarshal([]byte(result), &node); err != nil {
		t.Fatalf("response pane is not JSON: %v\n%s", err, result)
	}
	if len(node.Errors) > 0 || node.Data.Node.Name != "Cargo Dragon" || node.Data.Node.ID != "U3BhY2VjcmFmdDo1Njk" {
		t.Errorf("response pane holds %s, want the Cargo Dragon (Spacecraft:569) and no errors", result)
	}
	if !strings.Contains(shown, `"Cargo Dragon"`) {
		t.Errorf("response pane shows %q, want the Cargo Dragon in view", shown)
	}

	// A tab with variables: its "first": 3 must reach the gateway (the default is 10).
	var page struct {
		Data struct {
			AllSpacecraft struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						Name string `json:"name"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"allSpacecraft"`
		} `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	result, _, err = runPlaygroundTab(ctx, "AllSpacecraft", "allSpacecraft")
	if err != nil {
		fail("running the AllSpacecraft tab", err)
	}
	if err := json.Unmarshal([]byte(result), &page); err != nil {
		t.Fatalf("response pane is not JSON: %v\n%s", err, result)
	}
	if len(page.Errors) > 0 || len(page.Data.AllSpacecraft.Edges) != 3 || page.Data.AllSpacecraft.TotalCount <= 3 {
		t.Errorf("AllSpacecraft tab's response is %s, want 3 spacecraft of more than 3 and no errors", result)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(exceptions) > 0 {
		t.Errorf("the page threw: %q", exceptions)
	}
	// Offline: the page must load everything from the gateway itself.
	for _, u := range requests {
		if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s, which is not the gateway", u)
		}
	}
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}

// runPlaygroundTab switches to the tab titled title ("" for the current one), runs
// its query with the execute button and returns the response, once it holds
// errors or data for field: the whole JSON as the editor holds it, and the text the
// pane shows. Waiting for field keeps another tab's response from passing for it.
func runPlaygroundTab(ctx context.Context, title, field string) (result, shown string, err error) {
	if title != "" {
		// Clicks the tab's button by its text, which no CSS selector can match.
		clicked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
			const b = Array.from(document.querySelectorAll(`+jsString(giTabButtons)+`)).find(e => e.textContent.trim() === `+jsString(title)+`);
			if (!b) return false;
			b.click();
			return true;
		})()`))
		if err != nil {
			return "", "", err
		}
		if !clicked {
			return "", "", fmt.Errorf("no tab %q", title)
		}
		// GraphiQL updates the operation name it sends 100 ms after the editor
		// changes: a run before that sends the previous tab's name, which the
		// gateway rightly rejects. So wait for both the tab and the editor to switch.
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`(() => {
			const tab = document.querySelector(`+jsString(giActiveTab)+`);
			const cm = document.querySelector(`+jsString(giQueryEditor)+`);
			const title = `+jsString(title)+`;
			return !!tab && tab.textContent.trim() === title && !!cm && !!cm.CodeMirror && cm.CodeMirror.operationName === title;
		})()`, chromedp.WithPollingInterval(20*time.Millisecond)))
		if err != nil {
			return "", "", fmt.Errorf("tab %q did not become active: %v", title, err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(giExecute))); err != nil {
		return "", "", err
	}
	// CodeMirror keeps the whole response; the DOM holds only the lines in view.
	result, err = chromedp.Run(ctx, chromedp.Poll[string](`(() => {
		const cm = document.querySelector(`+jsString(giResponse+` .CodeMirror`)+`);
		const text = cm && cm.CodeMirror ? cm.CodeMirror.getValue() : '';
		return text.includes('"errors"') || text.includes(`+jsString(`"`+field+`"`)+`) ? text : false;
	})()`, chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		return "", "", err
	}
	shown, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(giResponse)))
	return result, shown, err
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
