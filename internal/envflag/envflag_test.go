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

// TestDefinitionsForDocs checks what docs/configuration.md's tables are made from:
// the flags in the order they were defined, each with its variable (a named one when
// given), its default and its usage as written; and that a URL's credentials from the
// environment never reach the usage text or an error.
func TestDefinitionsForDocs(t *testing.T) {
	env := map[string]string{"SPACEGRAPH_UPSTREAM": "https://user:pw@ll.example/2.3.0", "LL2_ADDR": ":1", "SPACEGRAPH_WINDOW": "https://u:pw@x:port/"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	s := New(fs, lookup)
	none := func(string) error { return nil }
	s.Define("zeta", "1", "the `n` of zetas", Options{}, none)
	s.Define("upstream", "embedded", "an upstream `URL`", Options{}, none)
	s.Define("addr", ":8081", "listen `address`", Options{Env: "LL2_ADDR"}, none)
	s.Define("window", "1h", "a window", Options{}, func(string) error { return strconv.ErrSyntax })
	var names, envs, defs, usages []string
	for _, f := range s.Flags() {
		names, envs, defs, usages = append(names, f.Name), append(envs, s.Env(f.Name)), append(defs, f.DefValue), append(usages, s.Usage(f))
	}
	if strings.Join(names, ",") != "zeta,upstream,addr,window" ||
		strings.Join(envs, ",") != "SPACEGRAPH_ZETA,SPACEGRAPH_UPSTREAM,LL2_ADDR,SPACEGRAPH_WINDOW" ||
		strings.Join(defs, ",") != "1,https://xxxxx@ll.example/2.3.0,:1,https://xxxxx@x:port/" ||
		strings.Join(usages, "|") != "the n of zetas|an upstream URL|listen address|a window" {
		t.Errorf("flags %q\nvariables %q\ndefaults %q\nusages %q", names, envs, defs, usages)
	}
	if err := s.Err(); err == nil || strings.Contains(err.Error(), ":pw@") {
		t.Errorf("the error of a malformed variable holding a URL: %v", err)
	}
}
