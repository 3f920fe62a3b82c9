// Command genembedded builds the embedded default snapshot (snapshot/data) from the
// real LL2 pages in snapshot/samples. It runs from `go generate ./...` in the snapshot
// package directory.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"spacegraph/snapshot"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "genembedded:", err)
		os.Exit(1)
	}
}

func run() error {
	files, err := filepath.Glob("samples/*.json")
	if err != nil {
		return err
	}
	slices.Sort(files)
	var pages [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		pages = append(pages, b)
	}
	d, err := snapshot.FromPages(pages...)
	if err != nil {
		return err
	}
	if err := os.RemoveAll("data"); err != nil {
		return err
	}
	return snapshot.Save("data", d, snapshot.Meta{
		Source: "LL2 2.3.0 samples: " + fmt.Sprint(baseNames(files)),
		Note:   "Built by go generate from snapshot/samples: each record holds the level of detail its snapshot_mode names (the richest the samples show it at); the fields above it are null because the samples do not show them.",
	})
}

func baseNames(files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Base(f)
	}
	return out
}
