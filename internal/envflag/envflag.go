// Package envflag registers command-line flags whose defaults come from environment
// variables (SPACEGRAPH_ and the flag's name in capitals, dashes as underscores), so
// that every setting of the gateway can be given either way, with the flag winning.
package envflag

import (
	"flag"
	"fmt"
	"strings"
)

// Set registers flags on a FlagSet. A malformed variable is kept as Err rather than
// ignored, so that a typo in a deployment's environment stops the process instead of
// silently running with the defaults.
type Set struct {
	fs     *flag.FlagSet
	lookup func(string) (string, bool)
	err    error
}

// New returns a Set over fs that reads variables with lookup (os.LookupEnv, or a map
// in tests).
func New(fs *flag.FlagSet, lookup func(string) (string, bool)) *Set {
	return &Set{fs: fs, lookup: lookup}
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
}

// Define registers a flag: set parses a value into its destination, and runs first
// with the variable's value, when the variable is set, then with the flag's. def is
// the default shown in the usage text when the variable is not set.
func (s *Set) Define(name, def, usage string, o Options, set func(string) error) {
	env := Name(name)
	usage += " (" + env + ")"
	if v, ok := s.lookup(env); ok {
		if err := set(v); err != nil && s.err == nil {
			if o.Secret {
				s.err = fmt.Errorf("%s: %w", env, err)
			} else {
				s.err = fmt.Errorf("%s=%q: %w", env, v, err)
			}
		}
		if !o.Secret {
			def = v
		}
	}
	if def != "" {
		usage += " (default " + def + ")"
	}
	if o.Bool {
		s.fs.BoolFunc(name, usage, set)
		return
	}
	s.fs.Func(name, usage, set)
}

// Err returns the first malformed variable, or nil.
func (s *Set) Err() error { return s.err }
