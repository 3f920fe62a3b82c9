package graph

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// This file measures introspection (`__schema`, `__type`) as exactly as the schema
// allows: the schema is fixed, so the measure of an introspection field is the number
// of fields its answer will hold, every list counted at its real length in this
// schema (the types, each type's fields, each field's arguments, and so on) and every
// `ofType` chain as deep as the type really wraps. Aliases and fragments that repeat a
// selection multiply the measure as they multiply the answer, so that no small
// document can ask for megabytes, while the full introspection queries of clients
// (thousands of fields for this schema) measure what they fetch.
//
// The measure of a selection on one introspection object is computed once: the walk
// costs at most the document's fields times the schema's objects, however much the
// document repeats itself.

// introKind is the introspection type of an object.
type introKind uint8

const (
	introSchema introKind = iota
	introType
	introField
	introInputValue
	introEnumValue
	introDirective
)

// introObj is one object of an introspection answer, comparable so that the measure
// of a selection on it can be remembered.
type introObj struct {
	kind introKind
	// def is a named __Type.
	def *ast.Definition
	// typ is a wrapping __Type: NON_NULL when typ.NonNull and not bare, else LIST.
	typ  *ast.Type
	bare bool
	// field is a __Field, or an input field as an __InputValue.
	field *ast.FieldDefinition
	// arg is an argument as an __InputValue.
	arg  *ast.ArgumentDefinition
	dir  *ast.DirectiveDefinition
	enum *ast.EnumValueDefinition
}

// introKey names the measure of a selection set (that of a field, a fragment or an
// inline fragment) on an object.
type introKey struct {
	owner any
	obj   introObj
}

type introMeasurer struct {
	m      *measurer
	schema *ast.Schema
	memo   map[introKey]int
}

// introspection measures an introspection root field: 1 for itself plus the fields
// of its answer.
func (m *measurer) introspection(f *ast.Field) int {
	if m.schema == nil {
		return 1
	}
	if m.intro == nil {
		m.intro = &introMeasurer{m: m, schema: m.schema, memo: map[introKey]int{}}
	}
	im := m.intro
	switch f.Name {
	case "__schema":
		return satAdd(1, im.set(f, f.SelectionSet, introObj{kind: introSchema}))
	case "__type":
		name, _ := m.value(f.Arguments.ForName("name")).(string)
		def := m.schema.Types[name]
		if def == nil {
			return 1
		}
		return satAdd(1, im.set(f, f.SelectionSet, named(def)))
	}
	return 1
}

func named(def *ast.Definition) introObj { return introObj{kind: introType, def: def} }

// typeRef is the __Type of a type reference, as gqlgen's introspection wraps it.
func (im *introMeasurer) typeRef(t *ast.Type, bare bool) (introObj, bool) {
	switch {
	case t == nil:
		return introObj{}, false
	case t.NonNull && !bare:
		return introObj{kind: introType, typ: t}, true
	case t.Elem != nil:
		return introObj{kind: introType, typ: t, bare: true}, true
	}
	def := im.schema.Types[t.NamedType]
	return named(def), def != nil
}

func (im *introMeasurer) set(owner any, set ast.SelectionSet, obj introObj) int {
	key := introKey{owner: owner, obj: obj}
	if c, ok := im.memo[key]; ok {
		return c
	}
	cost := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			cost = satAdd(cost, im.field(s, obj))
		case *ast.InlineFragment:
			cost = satAdd(cost, im.set(s, s.SelectionSet, obj))
		case *ast.FragmentSpread:
			if s.Definition != nil {
				cost = satAdd(cost, im.set(s.Definition, s.Definition.SelectionSet, obj))
			}
		}
	}
	im.memo[key] = cost
	return cost
}

// field measures a field on obj: 1, plus its selection on each object it holds.
// `__typename` costs nothing, as everywhere else.
func (im *introMeasurer) field(f *ast.Field, obj introObj) int {
	if f.Name == "__typename" {
		return 0
	}
	cost := 1
	if len(f.SelectionSet) > 0 {
		im.each(f, obj, func(child introObj) {
			cost = satAdd(cost, im.set(f, f.SelectionSet, child))
		})
	}
	return cost
}

// includeDeprecated reads a field's includeDeprecated argument (default false); a
// value that is not a boolean counts as true, the larger answer.
func (im *introMeasurer) includeDeprecated(f *ast.Field) bool {
	v := im.m.value(f.Arguments.ForName("includeDeprecated"))
	if v == nil {
		return false
	}
	b, isBool := v.(bool)
	return b || !isBool
}

func deprecated(d ast.DirectiveList) bool { return d.ForName("deprecated") != nil }

// each calls fn with every object the field f of obj holds, as gqlgen's
// introspection answers it.
func (im *introMeasurer) each(f *ast.Field, obj introObj, fn func(introObj)) {
	s := im.schema
	switch obj.kind {
	case introSchema:
		switch f.Name {
		case "types":
			for _, def := range s.Types {
				fn(named(def))
			}
		case "queryType", "mutationType", "subscriptionType":
			root := s.Query
			switch f.Name {
			case "mutationType":
				root = s.Mutation
			case "subscriptionType":
				root = s.Subscription
			}
			if root != nil {
				fn(named(root))
			}
		case "directives":
			for _, d := range s.Directives {
				fn(introObj{kind: introDirective, dir: d})
			}
		}
	case introType:
		im.eachOfType(f, obj, fn)
	case introField:
		switch f.Name {
		case "args":
			all := im.includeDeprecated(f)
			for _, a := range obj.field.Arguments {
				if all || !deprecated(a.Directives) {
					fn(introObj{kind: introInputValue, arg: a})
				}
			}
		case "type":
			if t, ok := im.typeRef(obj.field.Type, false); ok {
				fn(t)
			}
		}
	case introInputValue:
		if f.Name != "type" {
			return
		}
		var t *ast.Type
		if obj.arg != nil {
			t = obj.arg.Type
		} else if obj.field != nil {
			t = obj.field.Type
		}
		if ref, ok := im.typeRef(t, false); ok {
			fn(ref)
		}
	case introDirective:
		if f.Name == "args" {
			all := im.includeDeprecated(f)
			for _, a := range obj.dir.Arguments {
				if all || !deprecated(a.Directives) {
					fn(introObj{kind: introInputValue, arg: a})
				}
			}
		}
	}
}

func (im *introMeasurer) eachOfType(f *ast.Field, obj introObj, fn func(introObj)) {
	if obj.def == nil {
		// A wrapping type: only ofType holds anything.
		if f.Name != "ofType" {
			return
		}
		var (
			t  introObj
			ok bool
		)
		if obj.typ.NonNull && !obj.bare {
			t, ok = im.typeRef(obj.typ, true)
		} else {
			t, ok = im.typeRef(obj.typ.Elem, false)
		}
		if ok {
			fn(t)
		}
		return
	}
	def := obj.def
	switch f.Name {
	case "fields":
		if def.Kind != ast.Object && def.Kind != ast.Interface {
			return
		}
		all := im.includeDeprecated(f)
		for _, fd := range def.Fields {
			if !strings.HasPrefix(fd.Name, "__") && (all || !deprecated(fd.Directives)) {
				fn(introObj{kind: introField, field: fd})
			}
		}
	case "inputFields":
		if def.Kind != ast.InputObject {
			return
		}
		all := im.includeDeprecated(f)
		for _, fd := range def.Fields {
			if all || !deprecated(fd.Directives) {
				fn(introObj{kind: introInputValue, field: fd})
			}
		}
	case "interfaces":
		if def.Kind != ast.Object && def.Kind != ast.Interface {
			return
		}
		for _, name := range def.Interfaces {
			if d := im.schema.Types[name]; d != nil {
				fn(named(d))
			}
		}
	case "possibleTypes":
		if def.Kind != ast.Interface && def.Kind != ast.Union {
			return
		}
		for _, d := range im.schema.GetPossibleTypes(def) {
			fn(named(d))
		}
	case "enumValues":
		if def.Kind != ast.Enum {
			return
		}
		all := im.includeDeprecated(f)
		for _, v := range def.EnumValues {
			if all || !deprecated(v.Directives) {
				fn(introObj{kind: introEnumValue, enum: v})
			}
		}
	}
}
