package graph

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"spacegraph/catalog"
	"spacegraph/errs"
	"spacegraph/graph/model"
	"spacegraph/ll2"
	"spacegraph/relay"
)

// This file turns GraphQL arguments into LL2 queries: filters into LL2 parameters,
// orderings into LL2 ordering keys (ties always broken by id where LL2 allows), and
// Relay paging arguments into an offset window.

// Paging bounds of the contract.
const (
	defaultPageSize = 10
	maxPageSize     = ll2.MaxLimit
	maxSearchLength = 200
)

// connArgs are the Relay paging arguments of a connection field.
type connArgs struct {
	first, last   *int
	after, before *string
}

// pageRequest is the LL2 call that answers one connection page: the Relay paging
// arguments turned into an offset window of the connection's query.
type pageRequest struct {
	query ll2.ListParams
	// reverse: fetched in the opposite order (`last` without `before`), so that the
	// last items come first; positions are mapped back once the count is known.
	reverse bool
	// keep is how many items `last` asks for when reverse is set.
	keep int
	// from drops items before this forward offset (after a cursor, when reverse is set).
	from int
	fp   string
}

// newPageRequest validates the paging arguments and returns the window to fetch. base
// holds the query's filters, search, order and level.
func newPageRequest(a connArgs, fp string, base ll2.ListParams) (pageRequest, error) {
	if a.first != nil && a.last != nil {
		return pageRequest{}, errs.Arg("first", "give first or last, not both")
	}
	for _, c := range []struct {
		name string
		v    *int
	}{{"first", a.first}, {"last", a.last}} {
		if c.v != nil && (*c.v < 0 || *c.v > maxPageSize) {
			return pageRequest{}, errs.Arg(c.name, "%d is out of range 0..%d", *c.v, maxPageSize)
		}
	}
	start, end := 0, -1 // end < 0: up to the end of the collection
	if a.after != nil {
		off, err := parseCursor("after", *a.after, fp)
		if err != nil {
			return pageRequest{}, err
		}
		start = off + 1
	}
	if a.before != nil {
		off, err := parseCursor("before", *a.before, fp)
		if err != nil {
			return pageRequest{}, err
		}
		end = off
	}
	req := pageRequest{query: base, fp: fp}
	switch {
	case a.last != nil && end < 0:
		req.reverse, req.keep, req.from = true, *a.last, start
		req.query.Ordering = reversed(base.Ordering)
		req.query.Offset, req.query.Limit = 0, *a.last
	case a.last != nil:
		req.query.Offset = max(start, end-*a.last)
		req.query.Limit = max(0, end-req.query.Offset)
	default:
		n := defaultPageSize
		if a.first != nil {
			n = *a.first
		}
		req.query.Offset, req.query.Limit = start, n
		if end >= 0 {
			req.query.Limit = max(0, min(n, end-start))
		}
	}
	return req, nil
}

func parseCursor(arg, s, fp string) (int, error) {
	off, err := relay.ParseCursor(s, fp)
	switch {
	case errors.Is(err, relay.ErrForeignCursor):
		return 0, errs.Arg(arg, "%v", err)
	case err != nil:
		return 0, errs.Arg(arg, "not a cursor of this API (%v)", err)
	}
	return off, nil
}

// fetchPage runs a page request with fetch and returns the connection's window. An
// empty window still asks LL2 for one item, because the count and page info need a call.
func fetchPage[E any](ctx context.Context, req pageRequest, fetch func(context.Context, ll2.ListParams) (*catalog.Page[E], error)) (model.Window[E], error) {
	q := req.query
	want := q.Limit
	q.Limit = max(1, q.Limit)
	page, err := fetch(ctx, q)
	if err != nil {
		return model.Window[E]{}, err
	}
	w := model.Window[E]{Count: page.Count, Fingerprint: req.fp}
	if !req.reverse {
		w.Offset = q.Offset
		w.Items = page.Items[:min(want, len(page.Items))]
		return w, nil
	}
	// A copy: the page may be shared (the loaders hand one page to every field that
	// asks for it), and reversing it in place made a second alias read it backwards.
	items := slices.Clone(page.Items[:min(req.keep, len(page.Items))])
	slices.Reverse(items)
	w.Offset = page.Count - len(items)
	if w.Offset < req.from {
		drop := min(len(items), req.from-w.Offset)
		items, w.Offset = items[drop:], w.Offset+drop
	}
	w.Items = items
	return w, nil
}

// reversed flips every key of an ordering. With the id tie-break included, the flipped
// ordering is the exact reverse of the original, nulls included (PostgreSQL puts nulls
// last ascending and first descending).
func reversed(order []ll2.OrderKey) []ll2.OrderKey {
	out := make([]ll2.OrderKey, len(order))
	for i, k := range order {
		out[i] = ll2.OrderKey{Field: k.Field, Desc: !k.Desc}
	}
	return out
}

// withIDTieBreak appends the id to an ordering unless it is there already.
func withIDTieBreak(order []ll2.OrderKey) []ll2.OrderKey {
	for _, k := range order {
		if k.Field == "id" {
			return order
		}
	}
	return append(order, ll2.OrderKey{Field: "id"})
}

func searchArg(s *string) (string, error) {
	if s == nil {
		return "", nil
	}
	t := strings.TrimSpace(*s)
	if len(t) > maxSearchLength {
		return "", errs.Arg("search", "longer than %d characters", maxSearchLength)
	}
	return t, nil
}

// parseRef reads a reference argument: a global id of type want, or an LL2 id as a
// decimal string.
func parseRef(arg, s, want string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 {
			return 0, errs.Arg(arg, "LL2 ids are positive")
		}
		return n, nil
	}
	typ, id, err := relay.ParseGlobalID(s)
	if err != nil {
		return 0, errs.Arg(arg, "not a global id or an LL2 id")
	}
	if typ != want {
		return 0, errs.Arg(arg, "a %s id where a %s id is expected", typ, want)
	}
	return id, nil
}

// llQuery is a connection's LL2 query with, for each LL2 parameter it sets, the
// GraphQL argument that set it, so that a refusal naming a parameter (NOT_IN_SNAPSHOT)
// can name the argument instead.
type llQuery struct {
	ll2.ListParams
	args map[string]string
}

func newLLQuery() llQuery {
	return llQuery{ListParams: ll2.ListParams{Filter: url.Values{}}, args: map[string]string{"search": "search", "ordering": "orderBy"}}
}

func (q *llQuery) set(param, arg, v string) {
	q.Filter.Set(param, v)
	q.args[param] = arg
}

func (q *llQuery) setBool(param, arg string, p *bool) {
	if p != nil {
		q.set(param, arg, strconv.FormatBool(*p))
	}
}

func (q *llQuery) setInt(param, arg string, p *int) {
	if p != nil {
		q.set(param, arg, strconv.Itoa(*p))
	}
}

func (q *llQuery) setStr(param, arg string, p *string) {
	if p != nil {
		q.set(param, arg, *p)
	}
}

func (q *llQuery) setRef(param, arg string, p *string, want string) error {
	if p == nil {
		return nil
	}
	id, err := parseRef(arg, *p, want)
	if err != nil {
		return err
	}
	q.set(param, arg, strconv.Itoa(id))
	return nil
}

func (q *llQuery) setRange(arg, name string, r *model.IntRange) {
	if r == nil {
		return
	}
	q.setInt(name, arg+".eq", r.Eq)
	q.setInt(name+"__gt", arg+".gt", r.Gt)
	q.setInt(name+"__gte", arg+".gte", r.Gte)
	q.setInt(name+"__lt", arg+".lt", r.Lt)
	q.setInt(name+"__lte", arg+".lte", r.Lte)
}

// notInSnapshot turns a refusal by a partial snapshot into NOT_IN_SNAPSHOT naming the
// arguments at fault, or, when what the snapshot lacks is the link between the
// connection field's parent and its items (a family whose manufacturer it does not
// know, for Agency.families), the field; other errors pass.
func (q *llQuery) notInSnapshot(err error, field string) error {
	var le *ll2.Error
	if !errors.As(err, &le) || le.Kind != ll2.KindNotInSnapshot {
		return err
	}
	out := &errs.Error{Code: errs.NotInSnapshot, Err: err}
	var parts []string
	for _, p := range slices.Sorted(maps.Keys(le.Lacking)) {
		n := le.Lacking[p]
		verb := "lacks"
		if n != 1 {
			verb = "lack"
		}
		arg, ok := q.args[p]
		if !ok {
			out.Field = field
			parts = append(parts, fmt.Sprintf("%s cannot be answered from the snapshot being served: %d of the objects it lists from %s LL2's %s, which links them to the parent (the snapshot holds them at a lower level of detail)", field, n, verb, p))
			continue
		}
		if out.Argument == "" {
			out.Argument = arg
		}
		parts = append(parts, fmt.Sprintf("argument %q cannot be answered from the snapshot being served: %d of its objects %s what it reads (the snapshot holds them at a lower level of detail)", arg, n, verb))
	}
	out.Message = fmt.Sprintf("%s; to use it, %s", strings.Join(parts, "; "), errs.HowToGetIt)
	return out
}

// spacecraftQuery builds the LL2 query of a spacecraft connection. parentParam, when
// set, is the filter the parent supplies and the client may not.
func spacecraftQuery(f *model.SpacecraftFilter, search *string, o *model.SpacecraftOrder, parentParam string) (llQuery, error) {
	q := newLLQuery()
	if f != nil {
		if parentParam != "" && f.SpacecraftConfig != nil {
			return q, errs.Arg("filter.spacecraftConfig", "is set by the parent configuration")
		}
		q.setBool("in_space", "filter.inSpace", f.InSpace)
		q.setBool("is_placeholder", "filter.isPlaceholder", f.IsPlaceholder)
		q.setStr("name", "filter.name", f.Name)
		if err := q.setRef("spacecraft_config", "filter.spacecraftConfig", f.SpacecraftConfig, relay.TypeSpacecraftConfig); err != nil {
			return q, err
		}
		q.setInt("status", "filter.status", f.Status)
	}
	var err error
	if q.Search, err = searchArg(search); err != nil {
		return q, err
	}
	field, desc := "id", false
	if o != nil {
		field = map[model.SpacecraftOrderField]string{
			model.SpacecraftOrderFieldID:               "id",
			model.SpacecraftOrderFieldFlightsCount:     "flights_count",
			model.SpacecraftOrderFieldMissionEndsCount: "mission_ends_count",
			model.SpacecraftOrderFieldTimeDocked:       "time_docked",
			model.SpacecraftOrderFieldTimeInSpace:      "time_in_space",
		}[o.Field]
		desc = o.Direction == model.OrderDirectionDesc
	}
	q.Ordering = withIDTieBreak([]ll2.OrderKey{{Field: field, Desc: desc}})
	return q, nil
}

// configQuery builds the LL2 query of a configuration connection. LL2 orders
// configurations by name only; it documents no id ordering to break ties with.
func configQuery(f *model.SpacecraftConfigFilter, search *string, o *model.SpacecraftConfigOrder, parentParam string) (llQuery, error) {
	q := newLLQuery()
	if f != nil {
		if parentParam == "agency" && f.Agency != nil {
			return q, errs.Arg("filter.agency", "is set by the parent agency")
		}
		if err := q.setRef("agency", "filter.agency", f.Agency, relay.TypeAgency); err != nil {
			return q, err
		}
		q.setBool("human_rated", "filter.humanRated", f.HumanRated)
		q.setBool("in_use", "filter.inUse", f.InUse)
		q.setStr("name", "filter.name", f.Name)
	}
	var err error
	if q.Search, err = searchArg(search); err != nil {
		return q, err
	}
	q.Ordering = []ll2.OrderKey{{Field: "name", Desc: o != nil && o.Direction == model.OrderDirectionDesc}}
	return q, nil
}

// familyQuery builds the LL2 query of a family connection.
func familyQuery(f *model.FamilyFilter, search *string, o *model.FamilyOrder, parentParam string) (llQuery, error) {
	q := newLLQuery()
	if f != nil {
		if parentParam == "manufacturer" && f.Manufacturer != nil {
			return q, errs.Arg("filter.manufacturer", "is set by the parent agency")
		}
		if err := q.setRef("manufacturer", "filter.manufacturer", f.Manufacturer, relay.TypeAgency); err != nil {
			return q, err
		}
		q.setStr("name", "filter.name", f.Name)
	}
	var err error
	if q.Search, err = searchArg(search); err != nil {
		return q, err
	}
	q.Ordering = []ll2.OrderKey{{Field: "name", Desc: o != nil && o.Direction == model.OrderDirectionDesc}}
	return q, nil
}

var agencyOrderFields = map[model.AgencyOrderField]string{
	model.AgencyOrderFieldID:                            "id",
	model.AgencyOrderFieldName:                          "name",
	model.AgencyOrderFieldFeatured:                      "featured",
	model.AgencyOrderFieldTotalLaunchCount:              "total_launch_count",
	model.AgencyOrderFieldSuccessfulLaunches:            "successful_launches",
	model.AgencyOrderFieldFailedLaunches:                "failed_launches",
	model.AgencyOrderFieldPendingLaunches:               "pending_launches",
	model.AgencyOrderFieldAttemptedLandings:             "attempted_landings",
	model.AgencyOrderFieldSuccessfulLandings:            "successful_landings",
	model.AgencyOrderFieldFailedLandings:                "failed_landings",
	model.AgencyOrderFieldConsecutiveSuccessfulLaunches: "consecutive_successful_launches",
	model.AgencyOrderFieldConsecutiveSuccessfulLandings: "consecutive_successful_landings",
}

// agencyQuery builds the LL2 query of an agency connection.
func agencyQuery(f *model.AgencyFilter, search *string, o *model.AgencyOrder) (llQuery, error) {
	q := newLLQuery()
	if f != nil {
		q.setStr("name", "filter.name", f.Name)
		q.setStr("name__contains", "filter.nameContains", f.NameContains)
		q.setStr("abbrev", "filter.abbrev", f.Abbrev)
		q.setStr("abbrev__contains", "filter.abbrevContains", f.AbbrevContains)
		q.setStr("description__contains", "filter.descriptionContains", f.DescriptionContains)
		q.setBool("featured", "filter.featured", f.Featured)
		q.setBool("spacecraft", "filter.spacecraft", f.Spacecraft)
		q.setInt("type__id", "filter.type", f.Type)
		if err := q.setRef("parent__id", "filter.parent", f.Parent, relay.TypeAgency); err != nil {
			return q, err
		}
		if len(f.CountryCode) > 0 {
			for i, c := range f.CountryCode {
				if c == "" || strings.ContainsAny(c, ", ") {
					return q, errs.Arg("filter.countryCode", "item %d: %q is not a country code", i, c)
				}
			}
			q.set("country_code", "filter.countryCode", strings.Join(f.CountryCode, ","))
		}
		if f.FoundingYear != nil && ((f.FoundingYearGte != nil && f.FoundingYear.Gte != nil) || (f.FoundingYearLte != nil && f.FoundingYear.Lte != nil)) {
			return q, errs.Arg("filter.foundingYear", "give foundingYearGte/foundingYearLte or foundingYear's bounds, not both")
		}
		q.setRange("filter.foundingYear", "founding_year", f.FoundingYear)
		q.setInt("founding_year__gte", "filter.foundingYearGte", f.FoundingYearGte)
		q.setInt("founding_year__lte", "filter.foundingYearLte", f.FoundingYearLte)
		for _, r := range []struct {
			arg, name string
			r         *model.IntRange
		}{
			{"totalLaunchCount", "total_launch_count", f.TotalLaunchCount},
			{"successfulLaunches", "successful_launches", f.SuccessfulLaunches},
			{"failedLaunches", "failed_launches", f.FailedLaunches},
			{"pendingLaunches", "pending_launches", f.PendingLaunches},
			{"consecutiveSuccessfulLaunches", "consecutive_successful_launches", f.ConsecutiveSuccessfulLaunches},
			{"successfulLandings", "successful_landings", f.SuccessfulLandings},
			{"failedLandings", "failed_landings", f.FailedLandings},
			{"attemptedLandings", "attempted_landings", f.AttemptedLandings},
			{"consecutiveSuccessfulLandings", "consecutive_successful_landings", f.ConsecutiveSuccessfulLandings},
		} {
			q.setRange("filter."+r.arg, r.name, r.r)
		}
	}
	var err error
	if q.Search, err = searchArg(search); err != nil {
		return q, err
	}
	field, desc := "id", false
	if o != nil {
		field, desc = agencyOrderFields[o.Field], o.Direction == model.OrderDirectionDesc
	}
	q.Ordering = withIDTieBreak([]ll2.OrderKey{{Field: field, Desc: desc}})
	return q, nil
}

// fingerprint identifies a connection's query for its cursors: the field, the parent
// (0 for root fields) and the key of what the query selects (its window and level
// left out, so that every page of the connection shares the fingerprint).
func fingerprint(field string, parent int, q ll2.ListParams) string {
	return relay.Fingerprint(field, strconv.Itoa(parent), string(q.Selection().Key()))
}
