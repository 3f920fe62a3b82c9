// Package envflag registers command-line flags whose defaults come from environment
// variables (SPACEGRAPH_ and the flag's name in capitals, dashes as underscores), so
// that every setting of spacegraph can be given either way, with the flag winning. It
// is the one way the commands define flags; the configuration tables of
// docs/configuration.md are made from the flags it defines.
package envflag

import (
	"flag"
	"fmt"
	"net/url"
	"strings"
)

// Set registers flags on a FlagSet. A malformed variable is kept as Err rather than
// ignored, so that a typo in a deployment's environment stops the process instead of
// silently running with the defaults.
type Set struct {
	fs     *flag.FlagSet
	lookup func(string) (string, bool)
	err    error
	names  []string
	envs   map[string]string
}

// New returns a Set over fs that reads variables with lookup (os.LookupEnv, or a map
// in tests; nil reads none).
func New(fs *flag.FlagSet, lookup func(string) (string, bool)) *Set {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	return &Set{fs: fs, lookup: lookup, envs: map[string]string{}}
}

// Name returns the variable twin of a flag: "max-depth" is SPACEGRAPH_MAX_DEPTH.
func Name(flagName string) string {
	return "SPACEGRAPH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Options say how a flag shows itself.
type Options struct {
	// Bool makes a flag that may be given without a value (-name means true).
	Bool bool
	// Secret keeps the variable's value out of the usage text and of errors: usage
	// text and startup errors end up in logs, and a URL or a key may hold a password.
	Secret bool
	// Env names the variable twin when Name's would be ambiguous (two commands'
	// flags of one name that must not share a variable).
	Env string
}

// Define registers a flag: set parses a value into its destination, and runs first
// with the variable's value, when the variable is set, then with the flag's. def is
// the default shown in the usage text (the flag's DefValue) when the variable is not
// set; when it is, its value is shown instead, with the credentials of a URL hidden,
// unless the flag is Secret.
func (s *Set) Define(name, def, usage string, o Options, set func(string) error) {
	env := o.Env
	if env == "" {
		env = Name(name)
	}
	usage += " (" + env + ")"
	if v, ok := s.lookup(env); ok {
		if err := set(v); err != nil && s.err == nil {
			if o.Secret {
				s.err = fmt.Errorf("%s: %w", env, err)
			} else {
				s.err = fmt.Errorf("%s=%q: %w", env, redactURL(v), err)
			}
		}
		if !o.Secret {
			def = redactURL(v)
		}
	}
	if o.Bool {
		s.fs.BoolFunc(name, usage, set)
	} else {
		s.fs.Func(name, usage, set)
	}
	s.fs.Lookup(name).DefValue = def
	s.names = append(s.names, name)
	s.envs[name] = env
}

// Err returns the first malformed variable, or nil.
func (s *Set) Err() error { return s.err }

// Flags returns the flags defined, in the order they were.
func (s *Set) Flags() []*flag.Flag {
	out := make([]*flag.Flag, len(s.names))
	for i, n := range s.names {
		out[i] = s.fs.Lookup(n)
	}
	return out
}

// Env returns the variable twin of a flag defined here ("" for another).
func (s *Set) Env(flagName string) string { return s.envs[flagName] }

// Usage returns a flag's usage text as written: without its variable twin, and with
// the back quotes that name its value (see flag.UnquoteUsage) removed.
func (s *Set) Usage(f *flag.Flag) string {
	_, usage := flag.UnquoteUsage(f)
	return strings.TrimSuffix(usage, " ("+s.envs[f.Name]+")")
}

// redactURL returns s with the user information of a URL in it replaced, or s when it
// holds none: an upstream or a collector may be given as https://user:password@host.
// A URL that does not parse (a port that is not a number) is cut by its text, since
// it is shown in the error that refuses it.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		if u.User == nil {
			return s
		}
		u.User = url.User("xxxxx")
		return u.String()
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	authority := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		authority = rest[:end]
	}
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		return scheme + "://xxxxx" + rest[at:]
	}
	return s
}
