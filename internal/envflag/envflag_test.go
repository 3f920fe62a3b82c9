package envflag

import (
	"flag"
	"io"
	"strconv"
	"strings"
	"testing"
)

func TestDefine(t *testing.T) {
	env := map[string]string{"SPACEGRAPH_MAX_DEPTH": "7", "SPACEGRAPH_URL": "redis://:pw@host/0", "SPACEGRAPH_BAD": "x"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var usage strings.Builder
	fs.SetOutput(&usage)
	s := New(fs, lookup)
	var depth int
	var url string
	var on bool
	s.Define("max-depth", "10", "depth", Options{}, func(v string) (err error) { depth, err = strconv.Atoi(v); return err })
	s.Define("url", "", "url", Options{Secret: true}, func(v string) error { url = v; return nil })
	s.Define("on", "false", "on", Options{Bool: true}, func(v string) (err error) { on, err = strconv.ParseBool(v); return err })
	if err := fs.Parse([]string{"--on"}); err != nil {
		t.Fatal(err)
	}
	if depth != 7 || url != "redis://:pw@host/0" || !on || s.Err() != nil {
		t.Errorf("depth %d url %q on %v err %v", depth, url, on, s.Err())
	}
	// A flag wins over its variable.
	if err := fs.Parse([]string{"--max-depth", "3"}); err != nil || depth != 3 {
		t.Errorf("flag after variable: depth %d, %v", depth, err)
	}
	fs.PrintDefaults()
	if !strings.Contains(usage.String(), "(default 7)") || strings.Contains(usage.String(), ":pw@") {
		t.Errorf("usage shows the variable's value only for non-secrets:\n%s", usage.String())
	}

	bad := New(flag.NewFlagSet("t", flag.ContinueOnError), lookup)
	bad.fs.SetOutput(io.Discard)
	bad.Define("bad", "1", "bad", Options{}, func(v string) error { _, err := strconv.Atoi(v); return err })
	bad.Define("url", "", "url", Options{Secret: true}, func(string) error { return strconv.ErrSyntax })
	if err := bad.Err(); err == nil || !strings.Contains(err.Error(), `SPACEGRAPH_BAD="x"`) {
		t.Errorf("first malformed variable: %v", err)
	}
	secret := New(flag.NewFlagSet("t", flag.ContinueOnError), lookup)
	secret.Define("url", "", "url", Options{Secret: true}, func(string) error { return strconv.ErrSyntax })
	if err := secret.Err(); err == nil || strings.Contains(err.Error(), ":pw@") {
		t.Errorf("a secret's error: %v", err)
	}
}
