package ll2

import (
	"fmt"
	"sort"
	"strings"
)

// This file is what a partial snapshot means on the wire. LL2 itself always answers
// at the level asked; a snapshot may hold an object at a lower level than that (the
// real pages the embedded snapshot is built from carry agencies at the list level
// only). The built-in server then says so in the object's snapshot_mode, and refuses
// the filters, searches and orderings it cannot answer right with a 400 that names
// them (NotInSnapshotBody). The client turns that into a KindNotInSnapshot error.
// Against the live API neither ever appears.

// LevelNever is the level of data that no level of LL2's wire format carries, such as
// the id of an agency's parent (the wire gives its name only): LL2 filters by it on its
// own side, a snapshot never can.
const LevelNever = LevelDetailed + 10

// SnapshotLevel parses a snapshot_mode; ok is false for "" (the object holds whatever
// level it was answered at) or a value that is not a level.
func SnapshotLevel(snapshotMode string) (Level, bool) {
	return ParseLevel(snapshotMode)
}

// HeldLevel is the level of detail an object answered at level asked really carries:
// asked, or less when its snapshot_mode says its record holds less.
func HeldLevel(asked Level, snapshotMode string) Level {
	if l, ok := SnapshotLevel(snapshotMode); ok && l < asked {
		return l
	}
	return asked
}

// NotInSnapshotBody is the built-in server's 400 answer to a list request that filters,
// searches or orders by data some of its records do not hold. LL2 never sends it.
type NotInSnapshotBody struct {
	Detail string `json:"detail"`
	// NotInSnapshot counts, by parameter (a filter's name, "search" or "ordering"), the
	// records that lack what the parameter reads and might be in the answer.
	NotInSnapshot map[string]int `json:"not_in_snapshot"`
}

// NewNotInSnapshotBody describes a refusal of the parameters in lacking (as
// Unanswerable returns them) on endpoint path.
func NewNotInSnapshotBody(path string, lacking map[string]int) NotInSnapshotBody {
	params := make([]string, 0, len(lacking))
	for p := range lacking {
		params = append(params, p)
	}
	sort.Strings(params)
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = fmt.Sprintf("%s (%d records lack it)", p, lacking[p])
	}
	return NotInSnapshotBody{
		Detail: fmt.Sprintf("This snapshot does not hold what %s needs for %s; a snapshot crawled at the detailed level, or LL2 itself, does.",
			strings.TrimSuffix(path, "/"), strings.Join(parts, ", ")),
		NotInSnapshot: lacking,
	}
}

// NewNotHeldBody describes a refusal on endpoint path for want of whole records: what
// names them for a reader ("the flights of 20 spacecraft"), lacking counts them by
// the parameter or relation they are missing for.
func NewNotHeldBody(path string, lacking map[string]int, what string) NotInSnapshotBody {
	return NotInSnapshotBody{
		Detail: fmt.Sprintf("This snapshot does not hold %s, which %s needs; a snapshot crawled at the detailed level, or LL2 itself, does.",
			what, strings.TrimSuffix(path, "/")),
		NotInSnapshot: lacking,
	}
}

// Needs is the level of detail a record must hold for q's filters, search and
// ordering to be decided on it.
func (e *Endpoint[T]) Needs(q *Query) Level {
	l := LevelNone
	for i := range q.Filters {
		if f := e.Filter(q.Filters[i].Param); f != nil {
			l = max(l, f.Level)
		}
	}
	if len(q.Search) > 0 {
		for _, s := range e.Search {
			l = max(l, s.Level)
		}
	}
	for _, k := range q.Order {
		if o := e.Ordering(k.Field); o != nil {
			l = max(l, o.Level)
		}
	}
	return l
}

// held is the level a record fetched at ceiling holds.
func (e *Endpoint[T]) held(t *T, ceiling Level) Level {
	if e.SnapshotMode == nil {
		return ceiling
	}
	return HeldLevel(ceiling, e.SnapshotMode(t))
}

// Unanswerable reports what keeps q from being answered right over items, records
// fetched at level ceiling whose snapshot_mode may say they hold less: a filter that a
// record which may match holds too little to be checked against, a search that cannot
// be decided on such a record, an ordering of records that lack its field. It counts,
// by parameter (the filter's name, "search" or "ordering"), the records that lack what
// the parameter reads; nil means every record can be decided. A value the record holds
// as null is no gap: it matches no filter, as in LL2.
func (e *Endpoint[T]) Unanswerable(q *Query, items []*T, ceiling Level) map[string]int {
	need := e.Needs(q)
	if need == LevelNone {
		return nil
	}
	var out map[string]int
	add := func(p string) {
		if out == nil {
			out = map[string]int{}
		}
		out[p]++
	}
	var unknown []string
	for _, t := range items {
		h := e.held(t, ceiling)
		if h >= need {
			continue
		}
		unknown = unknown[:0]
		excluded := false
		for i := range q.Filters {
			fv := &q.Filters[i]
			f := e.Filter(fv.Param)
			if f == nil {
				continue
			}
			if f.Level > h {
				unknown = append(unknown, fv.Param)
				continue
			}
			if ok, _ := e.matchFilter(fv, t); !ok {
				excluded = true
				break
			}
		}
		if excluded {
			continue
		}
		if len(q.Search) > 0 {
			switch e.searchHeld(q.Search, t, h) {
			case searchNoMatch:
				continue
			case searchUnknown:
				unknown = append(unknown, "search")
			}
		}
		for _, p := range unknown {
			add(p)
		}
		for _, k := range q.Order {
			if o := e.Ordering(k.Field); o != nil && o.Level > h {
				add("ordering")
				break
			}
		}
	}
	return out
}

type searchOutcome int8

const (
	searchMatch searchOutcome = iota
	searchNoMatch
	searchUnknown
)

// searchHeld decides a search on a record that holds level h: every term must be found
// in a field the record holds, or else it is unknown when some field it lacks might
// hold the term.
func (e *Endpoint[T]) searchHeld(terms []string, t *T, h Level) searchOutcome {
	out := searchMatch
	for _, term := range terms {
		found, lacking := false, false
		for _, s := range e.Search {
			if s.Level > h {
				lacking = true
				continue
			}
			if p := s.Get(t); p != nil && containsFold(*p, term) {
				found = true
				break
			}
		}
		switch {
		case found:
		case lacking:
			out = searchUnknown
		default:
			return searchNoMatch
		}
	}
	return out
}
