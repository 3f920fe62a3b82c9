package bench

import (
	"sync"

	"spacegraph/gateway"
	"spacegraph/snapshot"
	"spacegraph/snapshot/synthetic"
)

// LL2ScaleFlights returns LL2Scale with every spacecraft's flights, launches, landings
// and docking events (synthetic.LL2ScaleFlights), generated once.
var LL2ScaleFlights = sync.OnceValue(func() snapshot.Data { return synthetic.Generate(synthetic.LL2ScaleFlights()) })

// NewFlightsGateway is NewGateway over LL2ScaleFlights.
func NewFlightsGateway(cfg gateway.Config) (*gateway.Gateway, error) {
	data := LL2ScaleFlights()
	cfg.Snapshot = &data
	return gateway.New(cfg)
}

// newGatewayFor returns a gateway over the data a call-table query runs on.
func newGatewayFor(q CallQuery, cfg gateway.Config) (*gateway.Gateway, error) {
	if q.Flights {
		return NewFlightsGateway(cfg)
	}
	return NewGateway(cfg)
}

// NestedFlightsQuery is the page of 50 spacecraft with their first 3 flights' launches
// and landings: one call at LL2's detailed level, which lists every flight.
const NestedFlightsQuery = `{ allSpacecraft(first: 50) { nodes { name flights(first: 3) { totalCount nodes { launch { name net } landing { success } } } } } }`

// LookupQueries are the five lookup lists, a query each.
var LookupQueries = []struct{ Name, Query string }{
	{"spacecraftStatuses", `{ spacecraftStatuses { ll2Id name } }`},
	{"spacecraftConfigTypes", `{ spacecraftConfigTypes { ll2Id name } }`},
	{"agencyTypes", `{ agencyTypes { ll2Id name } }`},
	{"countries", `{ countries { ll2Id name alpha3Code } }`},
	{"imageLicenses", `{ imageLicenses { ll2Id name link } }`},
}

// flightCallTable is the call table's rows for flights, docking events and lookup
// lists, over LL2ScaleFlights.
func flightCallTable() []CallQuery {
	rows := []CallQuery{
		{
			Name:    "50 spacecraft with their first 3 flights' launches (one call at the detailed level, which lists every flight)",
			Query:   NestedFlightsQuery,
			Calls:   1,
			Flights: true,
		},
		{
			Name:    "the flights of one spacecraft by ll2Id",
			Query:   `{ spacecraft(ll2Id: 12) { name flights(orderBy: {field: MISSION_END, direction: DESC}) { totalCount nodes { missionEnd launch { name } } } } }`,
			Calls:   1,
			Flights: true,
		},
		{
			Name:    "the docking events of 20 flights (one page of detailed flights)",
			Query:   `{ allSpacecraftFlights(first: 20) { nodes { ll2Id dockingEvents { nodes { docking departure spaceStation { name } } } } } }`,
			Calls:   1,
			Flights: true,
		},
		{
			Name:    "the docking events of a spacecraft's 20 flights (one detailed flights call for the spacecraft)",
			Query:   `{ spacecraft(ll2Id: 3) { flights(first: 20) { nodes { ll2Id dockingEvents { nodes { docking spaceStation { name } } } } } } }`,
			Calls:   2,
			AtMost:  true,
			Flights: true,
		},
	}
	for _, l := range LookupQueries {
		rows = append(rows, CallQuery{Name: "the lookup list " + l.Name, Query: l.Query, Calls: 1, Flights: true})
	}
	return rows
}
