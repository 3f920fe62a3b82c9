package ll2

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Paging limits of LL2's LimitOffsetPagination.
const (
	DefaultLimit = 10
	MaxLimit     = 100
)

// OrderKey is one term of `ordering`: a field, ascending unless Desc.
type OrderKey struct {
	Field string
	Desc  bool
}

// String renders the key as LL2's ordering parameter writes it (`-field` for descending).
func (k OrderKey) String() string {
	if k.Desc {
		return "-" + k.Field
	}
	return k.Field
}

// FormatOrdering joins keys into one `ordering` value.
func FormatOrdering(keys []OrderKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, ",")
}

// parseOrdering splits an `ordering` value into its keys, as FormatOrdering joined
// them; empty terms are dropped.
func parseOrdering(s string) []OrderKey {
	var keys []OrderKey
	for _, term := range strings.Split(s, ",") {
		if term = strings.TrimSpace(term); term != "" {
			keys = append(keys, OrderKey{Field: strings.TrimPrefix(term, "-"), Desc: strings.HasPrefix(term, "-")})
		}
	}
	return keys
}

// FilterValue is one parsed filter parameter.
type FilterValue struct {
	Param string
	Kind  FilterKind
	Bool  bool
	Int   int
	Str   string
	Codes []string
	Time  time.Time
}

// Query is a list request parsed with LL2's rules: what the endpoint would do with
// the query string, unknown parameters dropped.
type Query struct {
	Limit   int
	Offset  int
	Mode    Level
	Search  []string
	Order   []OrderKey
	Filters []FilterValue
}

// ParamError is LL2's 400 answer to a filter value it cannot parse, such as
// `{"status": ["Enter a whole number."]}`.
type ParamError map[string][]string

// Error lists the parameters and their messages in a stable order.
func (e ParamError) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("ll2: bad parameters:")
	for _, k := range keys {
		fmt.Fprintf(&b, " %s: %s;", k, strings.Join(e[k], " "))
	}
	return strings.TrimSuffix(b.String(), ";")
}

// lastValue returns the value Django's QueryDict.get would: the last one given.
func lastValue(v url.Values, key string) (string, bool) {
	vs, ok := v[key]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// parsePositiveInt follows DRF's _positive_int: Python's int() on the trimmed text,
// an error for negatives (and for zero when strict), capped at cutoff when cutoff > 0.
func parsePositiveInt(s string, strict bool, cutoff int) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || (strict && n == 0) {
		return 0, false
	}
	if cutoff > 0 && n > cutoff {
		n = cutoff
	}
	return n, true
}

// decimalSuffix is what Django's IntegerField strips before int(): "5.0" is 5.
var decimalSuffix = regexp.MustCompile(`\.0*\s*$`)

// ParseFilterInt parses an integer filter value as Django's IntegerField does.
func ParseFilterInt(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(decimalSuffix.ReplaceAllString(s, "")))
	return n, err == nil
}

// ParseFilterBool parses a boolean filter value as django-filter's BooleanWidget does;
// ok is false when the filter is to be ignored.
func ParseFilterBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// SplitSearch splits a search value into terms as DRF's SearchFilter does: on spaces
// and commas, keeping quoted phrases together; NUL characters are dropped.
func SplitSearch(s string) []string {
	s = strings.ReplaceAll(s, "\x00", "")
	var terms []string
	for len(s) > 0 {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			break
		}
		if q := s[0]; q == '"' || q == '\'' {
			if end := strings.IndexByte(s[1:], q); end >= 0 {
				if phrase := s[1 : end+1]; phrase != "" {
					terms = append(terms, phrase)
				}
				s = s[end+2:]
				continue
			}
		}
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			end = len(s)
		}
		for _, t := range strings.Split(s[:end], ",") {
			if t = strings.TrimSpace(t); t != "" {
				terms = append(terms, t)
			}
		}
		s = s[end:]
	}
	return terms
}

// ParseQuery reads a list request's query string with LL2's rules: limit capped at
// 100 (bad values give the default), offset defaulting to 0, unknown parameters and
// unknown ordering fields ignored, a mode the endpoint lacks giving its default, and
// unparsable integer filters reported as a ParamError.
func (e *Endpoint[T]) ParseQuery(v url.Values) (Query, error) {
	q := Query{Limit: DefaultLimit, Mode: e.DefaultMode}
	if s, ok := lastValue(v, "limit"); ok {
		if n, ok := parsePositiveInt(s, true, MaxLimit); ok {
			q.Limit = n
		}
	}
	if s, ok := lastValue(v, "offset"); ok {
		if n, ok := parsePositiveInt(s, false, 0); ok {
			q.Offset = n
		}
	}
	if s, ok := lastValue(v, "mode"); ok {
		if l, ok := ParseLevel(s); ok && e.ServesMode(l) {
			q.Mode = l
		}
	}
	// Django REST framework's SearchFilter ignores search on a view without search
	// fields.
	if s, ok := lastValue(v, "search"); ok && len(e.Search) > 0 {
		q.Search = SplitSearch(s)
	}
	if s, ok := lastValue(v, "ordering"); ok {
		for _, k := range parseOrdering(s) {
			if e.Ordering(k.Field) != nil {
				q.Order = append(q.Order, k)
			}
		}
	}
	perr := ParamError{}
	for i := range e.Filters {
		f := &e.Filters[i]
		s, ok := lastValue(v, f.Param)
		if !ok || s == "" {
			continue
		}
		fv := FilterValue{Param: f.Param, Kind: f.Kind}
		switch f.Kind {
		case FilterBool:
			b, ok := ParseFilterBool(s)
			if !ok {
				continue
			}
			fv.Bool = b
		case FilterInt, FilterIntGt, FilterIntGte, FilterIntLt, FilterIntLte:
			n, ok := ParseFilterInt(s)
			if !ok {
				perr[f.Param] = []string{"Enter a whole number."}
				continue
			}
			fv.Int = n
		case FilterTimeGt, FilterTimeGte, FilterTimeLt, FilterTimeLte:
			t, ok := ParseFilterDateTime(s)
			if !ok {
				perr[f.Param] = []string{"Enter a valid date/time."}
				continue
			}
			fv.Time = t
		case FilterCodes:
			for _, c := range strings.Split(s, ",") {
				if c = strings.TrimSpace(c); c != "" {
					fv.Codes = append(fv.Codes, c)
				}
			}
			if len(fv.Codes) == 0 {
				continue
			}
		default:
			fv.Str = s
		}
		q.Filters = append(q.Filters, fv)
	}
	if len(perr) > 0 {
		return q, perr
	}
	return q, nil
}

// Values renders the query as LL2 parameters, so that a parsed query can be sent on.
func (q Query) Values() url.Values {
	v := url.Values{}
	v.Set("limit", strconv.Itoa(q.Limit))
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	if q.Mode != LevelNone {
		v.Set("mode", q.Mode.String())
	}
	if len(q.Search) > 0 {
		v.Set("search", strings.Join(q.Search, " "))
	}
	if len(q.Order) > 0 {
		v.Set("ordering", FormatOrdering(q.Order))
	}
	for _, f := range q.Filters {
		switch f.Kind {
		case FilterBool:
			v.Set(f.Param, strconv.FormatBool(f.Bool))
		case FilterInt, FilterIntGt, FilterIntGte, FilterIntLt, FilterIntLte:
			v.Set(f.Param, strconv.Itoa(f.Int))
		case FilterCodes:
			v.Set(f.Param, strings.Join(f.Codes, ","))
		case FilterTimeGt, FilterTimeGte, FilterTimeLt, FilterTimeLte:
			v.Set(f.Param, f.Time.UTC().Format(time.RFC3339Nano))
		default:
			v.Set(f.Param, f.Str)
		}
	}
	return v
}

// matchFilter evaluates one filter on one record: known is false when the record does
// not carry the value.
func (e *Endpoint[T]) matchFilter(fv *FilterValue, t *T) (match, known bool) {
	f := e.Filter(fv.Param)
	if f == nil {
		return true, false
	}
	switch f.Kind {
	case FilterBool:
		b := f.Bool(t)
		if b == nil {
			return false, false
		}
		return *b == fv.Bool, true
	case FilterInt, FilterIntGt, FilterIntGte, FilterIntLt, FilterIntLte:
		p := f.Int(t)
		if p == nil {
			return false, false
		}
		n := *p
		switch f.Kind {
		case FilterIntGt:
			return n > fv.Int, true
		case FilterIntGte:
			return n >= fv.Int, true
		case FilterIntLt:
			return n < fv.Int, true
		case FilterIntLte:
			return n <= fv.Int, true
		}
		return n == fv.Int, true
	case FilterIExact, FilterExact, FilterIContains:
		p := f.Str(t)
		if p == nil {
			return false, false
		}
		switch f.Kind {
		case FilterIExact:
			return strings.EqualFold(*p, fv.Str), true
		case FilterExact:
			return *p == fv.Str, true
		}
		return containsFold(*p, fv.Str), true
	case FilterTimeGt, FilterTimeGte, FilterTimeLt, FilterTimeLte:
		p := f.Time(t)
		if p == nil {
			return false, false
		}
		c := p.Time().Compare(fv.Time)
		switch f.Kind {
		case FilterTimeGt:
			return c > 0, true
		case FilterTimeGte:
			return c >= 0, true
		case FilterTimeLt:
			return c < 0, true
		}
		return c <= 0, true
	case FilterCodes:
		codes := f.Codes(t)
		if codes == nil {
			return false, false
		}
		for _, have := range codes {
			for _, want := range fv.Codes {
				if strings.EqualFold(have, want) {
					return true, true
				}
			}
		}
		return false, true
	}
	return false, false
}

// containsFold reports whether sub is in s, ignoring case. ASCII text, nearly all of
// LL2's, is compared in place without allocating; other text is lower-cased first.
func containsFold(s, sub string) bool {
	if !isASCII(s) || !isASCII(sub) {
		return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
	}
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n && lowerASCII(s[i+j]) == lowerASCII(sub[j]) {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// matchSearch reports whether every term is found in one of the search fields; known
// is false when no field that could decide a failing term is known.
func (e *Endpoint[T]) matchSearch(terms []string, t *T) (match, known bool) {
	known = true
	for _, term := range terms {
		found, anyUnknown := false, false
		for _, f := range e.Search {
			p := f.Get(t)
			if p == nil {
				anyUnknown = true
				continue
			}
			if containsFold(*p, term) {
				found = true
				break
			}
		}
		if !found {
			if anyUnknown {
				known = false
				continue
			}
			return false, true
		}
	}
	return known, known
}

// Match reports whether a record is in the query's results, with SQL's semantics: a
// value the record does not carry matches no filter.
func (e *Endpoint[T]) Match(q *Query, t *T) bool {
	for i := range q.Filters {
		if ok, _ := e.matchFilter(&q.Filters[i], t); !ok {
			return false
		}
	}
	if len(q.Search) > 0 {
		ok, _ := e.matchSearch(q.Search, t)
		return ok
	}
	return true
}

// orderFields resolves an ordering's fields once, so that a sort does not look them
// up by name at every comparison. Unknown fields were dropped by ParseQuery.
func (e *Endpoint[T]) orderFields(order []OrderKey) []*OrderField[T] {
	fs := make([]*OrderField[T], len(order))
	for i, k := range order {
		fs[i] = e.Ordering(k.Field)
	}
	return fs
}

// compare orders two records by the query's ordering, then by id, so that pages are
// stable whatever the ordering. With no ordering the order is by id, ascending.
func (e *Endpoint[T]) compare(order []OrderKey, fields []*OrderField[T], a, b *T) int {
	for i, k := range order {
		c := fields[i].Compare(a, b)
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	ia, ib := e.ID(a), e.ID(b)
	switch {
	case ia < ib:
		return -1
	case ia > ib:
		return 1
	}
	return 0
}

// Select returns every record that matches the query, in the query's order. The
// server pages the result; it is returned whole so that it can be memoised. The id
// tie-break makes the order total, so an unstable sort gives the same result.
func (e *Endpoint[T]) Select(q *Query, items []*T) []*T {
	out := make([]*T, 0, len(items))
	for _, t := range items {
		if e.Match(q, t) {
			out = append(out, t)
		}
	}
	fields := e.orderFields(q.Order)
	slices.SortFunc(out, func(a, b *T) int { return e.compare(q.Order, fields, a, b) })
	return out
}

// Window cuts the page [offset, offset+limit) out of a selection.
func Window[T any](all []T, offset, limit int) []T {
	if offset >= len(all) {
		return all[:0:0]
	}
	end := min(len(all), offset+limit)
	return all[offset:end]
}

// Check verifies that a page LL2 returned honours the query: each result matches every
// filter and the search where its fields tell, the page is ordered by the first
// ordering key where values are comparable, and no more results came than asked. It
// returns a description of the first violation, or nil.
func (e *Endpoint[T]) Check(q *Query, results []*T) error {
	if len(results) > q.Limit {
		return fmt.Errorf("asked for at most %d results, got %d", q.Limit, len(results))
	}
	for _, t := range results {
		for i := range q.Filters {
			fv := &q.Filters[i]
			if ok, known := e.matchFilter(fv, t); known && !ok {
				return fmt.Errorf("result %d does not match filter %s=%s (LL2 ignored the filter?)", e.ID(t), fv.Param, q.Values().Get(fv.Param))
			}
		}
		if len(q.Search) > 0 {
			if ok, known := e.matchSearch(q.Search, t); known && !ok {
				return fmt.Errorf("result %d does not match search %q", e.ID(t), strings.Join(q.Search, " "))
			}
		}
	}
	if len(q.Order) > 0 {
		k := q.Order[0]
		f := e.Ordering(k.Field)
		// Text is ordered by the database's collation, which this package can only
		// approximate; only numbers, booleans and durations are checked.
		if f != nil && f.Name != "name" {
			for i := 1; i < len(results); i++ {
				a, b := results[i-1], results[i]
				if !f.Known(a) || !f.Known(b) {
					continue
				}
				c := f.Compare(a, b)
				if k.Desc {
					c = -c
				}
				if c > 0 {
					return fmt.Errorf("results %d and %d are not ordered by %s", e.ID(a), e.ID(b), k)
				}
			}
		}
	}
	return nil
}
