package ll2_test

import (
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"spacegraph/ll2"
)

func parseSpacecraftQuery(t *testing.T, raw string) (ll2.Query, error) {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return ll2.SpacecraftEndpoint.ParseQuery(v)
}

func TestParseQueryPaging(t *testing.T) {
	tests := []struct {
		raw           string
		limit, offset int
	}{
		{"", ll2.DefaultLimit, 0},
		{"limit=20", 20, 0},
		{"limit=100", 100, 0},
		{"limit=101", 100, 0},
		{"limit=5000", 100, 0},
		{"limit=+7", 7, 0},
		{"limit=%2012%20", 12, 0}, // trimmed, as Python's int() does
		{"limit=abc", ll2.DefaultLimit, 0},
		{"limit=0", ll2.DefaultLimit, 0}, // strict: zero is invalid for limit
		{"limit=-5", ll2.DefaultLimit, 0},
		{"limit=2.5", ll2.DefaultLimit, 0},
		{"limit=", ll2.DefaultLimit, 0},
		{"limit=5&limit=7", 7, 0}, // the last value wins, as QueryDict.get
		{"offset=30", ll2.DefaultLimit, 30},
		{"offset=0", ll2.DefaultLimit, 0},
		{"offset=-3", ll2.DefaultLimit, 0},
		{"offset=abc", ll2.DefaultLimit, 0},
		{"offset=100000", ll2.DefaultLimit, 100000}, // offset is not capped
		{"limit=50&offset=550", 50, 550},
	}
	for _, tt := range tests {
		q, err := parseSpacecraftQuery(t, tt.raw)
		if err != nil {
			t.Errorf("%q: %v", tt.raw, err)
			continue
		}
		if q.Limit != tt.limit || q.Offset != tt.offset {
			t.Errorf("%q: limit %d offset %d, want %d and %d", tt.raw, q.Limit, q.Offset, tt.limit, tt.offset)
		}
	}
}

func TestParseQueryModeSearchOrdering(t *testing.T) {
	tests := []struct {
		raw    string
		mode   ll2.Level
		search []string
		order  []ll2.OrderKey
	}{
		{raw: "", mode: ll2.LevelNormal},
		{raw: "mode=detailed", mode: ll2.LevelDetailed},
		{raw: "mode=list", mode: ll2.LevelNormal}, // spacecraft/ has no list mode
		{raw: "mode=DETAILED", mode: ll2.LevelNormal},
		{raw: "search=soyuz%20progress", mode: ll2.LevelNormal, search: []string{"soyuz", "progress"}},
		{raw: "ordering=time_in_space", mode: ll2.LevelNormal, order: []ll2.OrderKey{{Field: "time_in_space"}}},
		{raw: "ordering=-time_docked", mode: ll2.LevelNormal, order: []ll2.OrderKey{{Field: "time_docked", Desc: true}}},
		{raw: "ordering=bogus,-mission_ends_count,%20id%20,name", mode: ll2.LevelNormal,
			order: []ll2.OrderKey{{Field: "mission_ends_count", Desc: true}, {Field: "id"}}},
		{raw: "ordering=bogus", mode: ll2.LevelNormal},
	}
	for _, tt := range tests {
		q, err := parseSpacecraftQuery(t, tt.raw)
		if err != nil {
			t.Errorf("%q: %v", tt.raw, err)
			continue
		}
		if q.Mode != tt.mode {
			t.Errorf("%q: mode %v, want %v", tt.raw, q.Mode, tt.mode)
		}
		if !slices.Equal(q.Search, tt.search) {
			t.Errorf("%q: search %q, want %q", tt.raw, q.Search, tt.search)
		}
		if !slices.Equal(q.Order, tt.order) {
			t.Errorf("%q: order %v, want %v", tt.raw, q.Order, tt.order)
		}
	}
	// Families do serve the list mode.
	q, err := ll2.FamilyEndpoint.ParseQuery(url.Values{"mode": {"list"}})
	if err != nil || q.Mode != ll2.LevelList {
		t.Errorf("families mode=list: %v, %v", q.Mode, err)
	}
}

func TestParseQueryFilters(t *testing.T) {
	tests := []struct {
		raw  string
		want []ll2.FilterValue
	}{
		{"in_space=true", []ll2.FilterValue{{Param: "in_space", Kind: ll2.FilterBool, Bool: true}}},
		{"in_space=False", []ll2.FilterValue{{Param: "in_space", Kind: ll2.FilterBool, Bool: false}}},
		{"in_space=TRUE", []ll2.FilterValue{{Param: "in_space", Kind: ll2.FilterBool, Bool: true}}},
		{"in_space=1", []ll2.FilterValue{{Param: "in_space", Kind: ll2.FilterBool, Bool: true}}},
		{"is_placeholder=0", []ll2.FilterValue{{Param: "is_placeholder", Kind: ll2.FilterBool, Bool: false}}},
		{"in_space=garbage", nil},
		{"in_space=yes", nil},
		{"in_space=", nil},
		{"status=4", []ll2.FilterValue{{Param: "status", Kind: ll2.FilterInt, Int: 4}}},
		{"status=5.0", []ll2.FilterValue{{Param: "status", Kind: ll2.FilterInt, Int: 5}}},
		{"status=5.", []ll2.FilterValue{{Param: "status", Kind: ll2.FilterInt, Int: 5}}},
		{"status=%205%20", []ll2.FilterValue{{Param: "status", Kind: ll2.FilterInt, Int: 5}}},
		{"status=-2", []ll2.FilterValue{{Param: "status", Kind: ll2.FilterInt, Int: -2}}},
		{"status=", nil},
		{"status=1&status=3", []ll2.FilterValue{{Param: "status", Kind: ll2.FilterInt, Int: 3}}},
		{"name=Soyuz%2015", []ll2.FilterValue{{Param: "name", Kind: ll2.FilterIExact, Str: "Soyuz 15"}}},
		{"unknown=1&format=json", nil},
		{"status=4&in_space=false&spacecraft_config=33", []ll2.FilterValue{
			// in the endpoint's order of filters, not the query's
			{Param: "in_space", Kind: ll2.FilterBool, Bool: false},
			{Param: "spacecraft_config", Kind: ll2.FilterInt, Int: 33},
			{Param: "status", Kind: ll2.FilterInt, Int: 4},
		}},
	}
	for _, tt := range tests {
		q, err := parseSpacecraftQuery(t, tt.raw)
		if err != nil {
			t.Errorf("%q: %v", tt.raw, err)
			continue
		}
		if !reflect.DeepEqual(q.Filters, tt.want) {
			t.Errorf("%q: filters %+v, want %+v", tt.raw, q.Filters, tt.want)
		}
	}
}

func TestParseQueryIntErrors(t *testing.T) {
	tests := []struct {
		raw  string
		want ll2.ParamError
	}{
		{"status=abc", ll2.ParamError{"status": {"Enter a whole number."}}},
		{"status=5.5", ll2.ParamError{"status": {"Enter a whole number."}}},
		{"status=1e3", ll2.ParamError{"status": {"Enter a whole number."}}},
		{"status=abc&spacecraft_config=x&in_space=true", ll2.ParamError{
			"status":            {"Enter a whole number."},
			"spacecraft_config": {"Enter a whole number."},
		}},
	}
	for _, tt := range tests {
		q, err := parseSpacecraftQuery(t, tt.raw)
		var perr ll2.ParamError
		if !errors.As(err, &perr) {
			t.Errorf("%q: error %v, want a ParamError", tt.raw, err)
			continue
		}
		if !reflect.DeepEqual(perr, tt.want) {
			t.Errorf("%q: %v, want %v", tt.raw, perr, tt.want)
		}
		for p := range tt.want {
			if !strings.Contains(err.Error(), p+": Enter a whole number.") {
				t.Errorf("%q: message %q does not name %s", tt.raw, err, p)
			}
		}
		if q.Limit != ll2.DefaultLimit {
			t.Errorf("%q: the rest of the query was not parsed: %+v", tt.raw, q)
		}
	}
	// The message lists parameters in a stable order.
	e := ll2.ParamError{"status": {"Enter a whole number."}, "agency": {"Enter a whole number."}}
	if got, want := e.Error(), "ll2: bad parameters: agency: Enter a whole number.; status: Enter a whole number."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseFilterIntAndBool(t *testing.T) {
	ints := []struct {
		in   string
		want int
		ok   bool
	}{
		{"5", 5, true}, {"5.0", 5, true}, {"5.000", 5, true}, {" 12 ", 12, true}, {"-3", -3, true},
		{"5.5", 0, false}, {"abc", 0, false}, {"", 0, false}, {"0x10", 0, false}, {".0", 0, false},
	}
	for _, tt := range ints {
		if n, ok := ll2.ParseFilterInt(tt.in); n != tt.want || ok != tt.ok {
			t.Errorf("ParseFilterInt(%q) = %d, %v; want %d, %v", tt.in, n, ok, tt.want, tt.ok)
		}
	}
	bools := []struct {
		in    string
		v, ok bool
	}{
		{"true", true, true}, {"True", true, true}, {"1", true, true},
		{"false", false, true}, {"FALSE", false, true}, {"0", false, true},
		{"", false, false}, {"yes", false, false}, {"2", false, false}, {" true", false, false},
	}
	for _, tt := range bools {
		if v, ok := ll2.ParseFilterBool(tt.in); v != tt.v || ok != tt.ok {
			t.Errorf("ParseFilterBool(%q) = %v, %v; want %v, %v", tt.in, v, ok, tt.v, tt.ok)
		}
	}
}

func TestQueryValuesRoundTrip(t *testing.T) {
	raw := "limit=25&offset=50&mode=detailed&search=soyuz&ordering=-time_in_space,id&status=4&in_space=false&name=Soyuz"
	q, err := parseSpacecraftQuery(t, raw)
	if err != nil {
		t.Fatal(err)
	}
	v := q.Values()
	want := url.Values{
		"limit": {"25"}, "offset": {"50"}, "mode": {"detailed"}, "search": {"soyuz"},
		"ordering": {"-time_in_space,id"}, "status": {"4"}, "in_space": {"false"}, "name": {"Soyuz"},
	}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("Values() = %v, want %v", v, want)
	}
	q2, err := ll2.SpacecraftEndpoint.ParseQuery(v)
	if err != nil || !reflect.DeepEqual(q, q2) {
		t.Errorf("re-parsed %+v, %v; want %+v", q2, err, q)
	}
}

func TestSplitSearch(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"soyuz", []string{"soyuz"}},
		{"  soyuz   progress ", []string{"soyuz", "progress"}},
		{"soyuz,progress", []string{"soyuz", "progress"}},
		{"a, b,,c ,", []string{"a", "b", "c"}},
		{`"progress ms" soyuz`, []string{"progress ms", "soyuz"}},
		{`'crew dragon',shenzhou`, []string{"crew dragon", "shenzhou"}},
		{`"a,b" c`, []string{"a,b", "c"}},
		{`""`, nil},
		{`"unterminated phrase`, []string{`"unterminated`, "phrase"}},
		{"so\x00yuz", []string{"soyuz"}},
		{"\x00", nil},
		{"dragon\tc213\n", []string{"dragon", "c213"}},
	}
	for _, tt := range tests {
		if got := ll2.SplitSearch(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("SplitSearch(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOrderKeyFormat(t *testing.T) {
	keys := []ll2.OrderKey{{Field: "time_in_space", Desc: true}, {Field: "id"}}
	if got := ll2.FormatOrdering(keys); got != "-time_in_space,id" {
		t.Errorf("FormatOrdering = %q", got)
	}
	if got := ll2.FormatOrdering(nil); got != "" {
		t.Errorf("FormatOrdering(nil) = %q", got)
	}
}

// craft builds a small spacecraft record for the query engine.
func craft(id int, name, config, timeInSpace string, status int, inSpace *bool) *ll2.SpacecraftDetailed {
	s := &ll2.SpacecraftDetailed{}
	if config != "" {
		s.SpacecraftConfig = &ll2.SpacecraftConfigDetailed{}
		s.SpacecraftConfig.Name = config
	}
	s.ID = id
	s.Name = name
	s.ResponseMode = "normal"
	if timeInSpace != "" {
		s.TimeInSpace = ptrTo(ll2.MustDuration(timeInSpace))
	}
	if status != 0 {
		s.Status = &ll2.SpacecraftStatus{ID: status}
	}
	s.InSpace = inSpace
	return s
}

func ids(items []*ll2.SpacecraftDetailed) []int {
	out := make([]int, len(items))
	for i, s := range items {
		out[i] = s.ID
	}
	return out
}

func selectionFixture() []*ll2.SpacecraftDetailed {
	yes, no := ptrTo(true), ptrTo(false)
	return []*ll2.SpacecraftDetailed{
		craft(7, "Soyuz 15", "Soyuz 7K-T", "P2DT12M11S", 4, no),
		craft(3, "Progress MS-02", "Progress MS", "P196DT21H15M2S", 4, no),
		craft(9, "Unknown A", "", "", 1, nil),
		craft(1, "Ship 34", "Starship", "PT13M", 3, no),
		craft(5, "Unknown B", "", "", 1, yes),
		craft(4, "Soyuz 16", "Soyuz 7K-T", "PT13M", 4, yes), // ties with 1 on time_in_space
		craft(2, "Progress MS-30", "Progress MS", "P73DT4H53M24S", 4, yes),
	}
}

func TestSelect(t *testing.T) {
	items := selectionFixture()
	tests := []struct {
		raw  string
		want []int
	}{
		{"", []int{1, 2, 3, 4, 5, 7, 9}},
		// Ascending: nulls last, ties by id.
		{"ordering=time_in_space", []int{1, 4, 7, 2, 3, 5, 9}},
		// Descending: nulls first, ties still by id ascending.
		{"ordering=-time_in_space", []int{5, 9, 3, 2, 7, 1, 4}},
		{"ordering=-id", []int{9, 7, 5, 4, 3, 2, 1}},
		{"ordering=bogus", []int{1, 2, 3, 4, 5, 7, 9}},
		{"status=4", []int{2, 3, 4, 7}},
		{"status=4&ordering=-time_in_space", []int{3, 2, 7, 4}},
		// A record without the value matches neither true nor false.
		{"in_space=true", []int{2, 4, 5}},
		{"in_space=false", []int{1, 3, 7}},
		{"in_space=maybe", []int{1, 2, 3, 4, 5, 7, 9}},
		{"name=soyuz%2015", []int{7}},
		{"search=soyuz", []int{4, 7}},
		{"search=progress%20ms-0", []int{3}},
		{"search=%22ms-30%22", []int{2}},
		{"search=nothing", []int{}},
		{"search=starship", []int{1}}, // found in the configuration's name
		{"search=soyuz%2C7k", []int{4, 7}},
		{"status=2", []int{}},
	}
	for _, tt := range tests {
		q, err := parseSpacecraftQuery(t, tt.raw)
		if err != nil {
			t.Fatalf("%q: %v", tt.raw, err)
		}
		got := ll2.SpacecraftEndpoint.Select(&q, items)
		if g := ids(got); !slices.Equal(g, tt.want) {
			t.Errorf("%q: selected %v, want %v", tt.raw, g, tt.want)
		}
	}
	if g := ids(items); !slices.Equal(g, []int{7, 3, 9, 1, 5, 4, 2}) {
		t.Errorf("Select reordered its input: %v", g)
	}
}

func TestWindow(t *testing.T) {
	all := []int{10, 11, 12, 13, 14, 15, 16}
	tests := []struct {
		offset, limit int
		want          []int
	}{
		{0, 3, []int{10, 11, 12}},
		{3, 3, []int{13, 14, 15}},
		{6, 3, []int{16}},
		{5, 100, []int{15, 16}},
		{7, 3, []int{}},
		{100, 10, []int{}},
		{0, 0, []int{}},
		{0, 7, all},
	}
	for _, tt := range tests {
		got := ll2.Window(all, tt.offset, tt.limit)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Window(offset %d, limit %d) = %v, want %v", tt.offset, tt.limit, got, tt.want)
		}
	}
	// A page past the end cannot grow into the selection it was cut from.
	if past := ll2.Window(all, 7, 3); cap(past) != 0 {
		t.Errorf("past-the-end window has capacity %d", cap(past))
	}
	if got := ll2.Window([]int(nil), 0, 10); len(got) != 0 {
		t.Errorf("Window(nil) = %v", got)
	}
}

func TestCheck(t *testing.T) {
	items := selectionFixture()
	byID := map[int]*ll2.SpacecraftDetailed{}
	for _, s := range items {
		byID[s.ID] = s
	}
	pick := func(ids ...int) []*ll2.SpacecraftDetailed {
		out := make([]*ll2.SpacecraftDetailed, len(ids))
		for i, id := range ids {
			out[i] = byID[id]
		}
		return out
	}
	tests := []struct {
		raw     string
		results []int
		wantErr string // "" for no error
	}{
		{"status=4", []int{2, 3, 4, 7}, ""},
		{"status=4", []int{2, 1}, "result 1 does not match filter status=4"},
		{"in_space=true", []int{2, 9}, ""}, // 9 does not say: not checkable
		{"in_space=true", []int{2, 7}, "result 7 does not match filter in_space=true"},
		{"search=soyuz", []int{4, 7}, ""},
		{"search=soyuz", []int{4, 3}, `result 3 does not match search "soyuz"`},
		{"search=soyuz", []int{4, 9}, ""}, // 9's configuration is not known: not checkable
		{"ordering=time_in_space", []int{1, 4, 7, 2, 3, 5, 9}, ""},
		{"ordering=time_in_space", []int{4, 1}, ""},    // ties in any order
		{"ordering=time_in_space", []int{7, 9, 1}, ""}, // null values are not compared
		{"ordering=time_in_space", []int{7, 1}, "results 7 and 1 are not ordered by time_in_space"},
		{"ordering=-time_in_space", []int{3, 2, 7}, ""},
		{"ordering=-time_in_space", []int{2, 3}, "results 2 and 3 are not ordered by -time_in_space"},
		{"ordering=-id", []int{9, 7, 1}, ""},
		{"ordering=-id", []int{1, 9}, "not ordered by -id"},
		{"limit=2", []int{1, 2}, ""},
		{"limit=2", []int{1, 2, 3}, "asked for at most 2 results, got 3"},
	}
	for _, tt := range tests {
		q, err := parseSpacecraftQuery(t, tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		err = ll2.SpacecraftEndpoint.Check(&q, pick(tt.results...))
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%q %v: %v", tt.raw, tt.results, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%q %v: error %v, want %q", tt.raw, tt.results, err, tt.wantErr)
		}
	}
}
