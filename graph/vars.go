package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"

	"spacegraph/errs"
)

// This file is the coercion of variable values, as the GraphQL spec's
// CoerceVariableValues and graphql-js's coerceInputValue do it: an Int is a JSON
// number with an integral value within 32 bits, a Float a finite number, a String and
// an enum value strings (the enum's exact name), a Boolean true or false, an ID a
// string or an integral number; an input object has only the fields of its type; a
// single value stands for a list of one. Everything else is refused, with
// graphql-js's messages, before anything runs.
//
// gqlgen's executor coerces variables with gqlparser's validator.VariableValues first,
// which is lenient where it matters here (it takes the string "100" for an Int, and
// enum names in any case) and has no strict mode; its coerced values then reach both
// the cost rule and the resolvers. VariableCoercion replaces them with the strictly
// coerced ones, from the values the client sent, so that the limits measure exactly
// what runs.

// maxVariableErrors is how many variable errors a request reports, as graphql-js's
// execute does; the next one is replaced by tooManyVariableErrors.
const maxVariableErrors = 50

const tooManyVariableErrors = "Too many errors processing variables, error limit reached. Execution aborted."

// CoerceVariables coerces the values a client sent (JSON decoded, numbers as
// json.Number or any Go number) for the variables of op, and returns the values
// operations run with: an Int is an int, a Float a float64, a String, an ID and an
// enum value a string, a Boolean a bool, a list []any, an input object
// map[string]any with its fields' default values filled in, and a variable not sent
// takes its default value. Custom scalars are passed on as sent, for their own
// unmarshalers. The errors (code BAD_USER_INPUT, extensions.argument naming the
// variable and the path in it) are graphql-js's, at most maxVariableErrors of them;
// with hideSuggestions they suggest no names.
func CoerceVariables(schema *ast.Schema, op *ast.OperationDefinition, raw map[string]any, hideSuggestions bool) (map[string]any, gqlerror.List) {
	c := &coercer{schema: schema, hideSuggestions: hideSuggestions}
	out := make(map[string]any, len(op.VariableDefinitions))
	for _, def := range op.VariableDefinitions {
		if c.full() {
			break
		}
		c.def = def
		val, sent := raw[def.Variable]
		if !sent {
			switch {
			case def.DefaultValue != nil:
				// Validation checked the default against the type; its coercion only
				// gives it the types operations run with.
				lit, err := def.DefaultValue.Value(nil)
				if err != nil {
					c.fail(fmt.Sprintf("Variable \"$%s\" has an invalid default value: %v", def.Variable, err), nil)
					continue
				}
				out[def.Variable] = c.coerce(lit, def.Type, nil)
			case def.Type.NonNull:
				c.fail(fmt.Sprintf("Variable \"$%s\" of required type \"%s\" was not provided.", def.Variable, def.Type), nil)
			}
			continue
		}
		if val == nil && def.Type.NonNull {
			c.fail(fmt.Sprintf("Variable \"$%s\" of non-null type \"%s\" must not be null.", def.Variable, def.Type), nil)
			continue
		}
		out[def.Variable] = c.coerce(val, def.Type, nil)
	}
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	return out, nil
}

type coercer struct {
	schema          *ast.Schema
	hideSuggestions bool
	def             *ast.VariableDefinition
	errs            gqlerror.List
}

func (c *coercer) full() bool { return len(c.errs) > maxVariableErrors }

// fail records an error about the current variable at path (field names and list
// indexes inside it).
func (c *coercer) fail(msg string, path []any) {
	if c.full() {
		return
	}
	if len(c.errs) == maxVariableErrors {
		c.errs = append(c.errs, &gqlerror.Error{Message: tooManyVariableErrors, Extensions: map[string]any{"code": string(errs.BadUserInput)}})
		return
	}
	e := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": string(errs.BadUserInput), "argument": "$" + c.def.Variable + pathString(path)}}
	if pos := c.def.Position; pos != nil {
		e.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	c.errs = append(c.errs, e)
}

// invalid records that value, at path, is not what its type takes, for the reason why.
func (c *coercer) invalid(value any, path []any, why string) {
	msg := fmt.Sprintf("Variable \"$%s\" got invalid value %s", c.def.Variable, inspect(value))
	if len(path) > 0 {
		msg += fmt.Sprintf(" at \"%s%s\"", c.def.Variable, pathString(path))
	}
	c.fail(msg+"; "+why, path)
}

func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		default:
			fmt.Fprintf(&b, ".%v", p)
		}
	}
	return b.String()
}

// coerce coerces value to typ; on an error it records it and returns nil.
func (c *coercer) coerce(value any, typ *ast.Type, path []any) any {
	value = deref(value)
	if typ.NonNull {
		if value == nil {
			c.invalid(value, path, fmt.Sprintf("Expected non-nullable type \"%s\" not to be null.", typ))
			return nil
		}
		nullable := *typ
		nullable.NonNull = false
		return c.coerce(value, &nullable, path)
	}
	if value == nil {
		return nil
	}
	if typ.Elem != nil {
		items, isList := listItems(value)
		if !isList {
			// A single value stands for a list of one.
			return []any{c.coerce(value, typ.Elem, path)}
		}
		out := make([]any, len(items))
		for i, item := range items {
			if c.full() {
				return nil
			}
			out[i] = c.coerce(item, typ.Elem, append(slices.Clip(path), i))
		}
		return out
	}
	def := c.schema.Types[typ.NamedType]
	if def == nil {
		// Validation refuses unknown types; nothing is known to coerce to.
		c.invalid(value, path, fmt.Sprintf("Unknown type \"%s\".", typ.NamedType))
		return nil
	}
	switch def.Kind {
	case ast.InputObject:
		return c.inputObject(value, def, path)
	case ast.Enum:
		return c.enum(value, def, path)
	case ast.Scalar:
		out, why := coerceScalar(value, def.Name)
		if why != "" {
			c.invalid(value, path, why)
			return nil
		}
		return out
	}
	c.invalid(value, path, fmt.Sprintf("\"%s\" is not an input type.", def.Name))
	return nil
}

func (c *coercer) inputObject(value any, def *ast.Definition, path []any) any {
	fields, isObject := objectFields(value)
	if !isObject {
		c.invalid(value, path, fmt.Sprintf("Expected type \"%s\" to be an object.", def.Name))
		return nil
	}
	out := make(map[string]any, len(def.Fields))
	for _, f := range def.Fields {
		v, given := fields[f.Name]
		if !given {
			switch {
			case f.DefaultValue != nil:
				if lit, err := f.DefaultValue.Value(nil); err == nil {
					out[f.Name] = c.coerce(lit, f.Type, append(slices.Clip(path), f.Name))
				}
			case f.Type.NonNull:
				c.invalid(value, path, fmt.Sprintf("Field \"%s\" of required type \"%s\" was not provided.", f.Name, f.Type))
			}
			continue
		}
		out[f.Name] = c.coerce(v, f.Type, append(slices.Clip(path), f.Name))
	}
	var unknown []string
	for name := range fields {
		if def.Fields.ForName(name) == nil {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		// In a stable order: a Go map has lost the order they were sent in.
		slices.Sort(unknown)
		names := make([]string, len(def.Fields))
		for i, f := range def.Fields {
			names[i] = f.Name
		}
		for _, name := range unknown {
			c.invalid(value, path, fmt.Sprintf("Field \"%s\" is not defined by type \"%s\".", name, def.Name)+c.didYouMean("", name, names))
		}
	}
	if def.Directives.ForName("oneOf") != nil {
		given := 0
		var key string
		for k := range out {
			given++
			key = k
		}
		if given != 1 {
			c.invalid(value, path, fmt.Sprintf("Exactly one key must be specified for OneOf type \"%s\".", def.Name))
		} else if out[key] == nil {
			c.invalid(nil, append(slices.Clip(path), key), fmt.Sprintf("Field \"%s\" must be non-null.", key))
		}
	}
	return out
}

func (c *coercer) enum(value any, def *ast.Definition, path []any) any {
	names := make([]string, len(def.EnumValues))
	for i, v := range def.EnumValues {
		names[i] = v.Name
	}
	s, isString := value.(string)
	if !isString {
		shown := inspect(value)
		c.invalid(value, path, fmt.Sprintf("Enum \"%s\" cannot represent non-string value: %s.", def.Name, shown)+c.didYouMean("the enum value", shown, names))
		return nil
	}
	if def.EnumValues.ForName(s) == nil {
		c.invalid(value, path, fmt.Sprintf("Value \"%s\" does not exist in \"%s\" enum.", s, def.Name)+c.didYouMean("the enum value", s, names))
		return nil
	}
	return s
}

// didYouMean is graphql-js's suggestion of the closest names, or "".
func (c *coercer) didYouMean(what, input string, options []string) string {
	if c.hideSuggestions {
		return ""
	}
	suggestions := core.SuggestionList(input, options)
	if len(suggestions) == 0 {
		return ""
	}
	quoted := make([]string, 0, min(len(suggestions), 5))
	for _, s := range suggestions[:min(len(suggestions), 5)] {
		quoted = append(quoted, strconv.Quote(s))
	}
	msg := " Did you mean "
	if what != "" {
		msg += what + " "
	}
	switch len(quoted) {
	case 1:
		return msg + quoted[0] + "?"
	case 2:
		return msg + quoted[0] + " or " + quoted[1] + "?"
	}
	return msg + strings.Join(quoted[:len(quoted)-1], ", ") + ", or " + quoted[len(quoted)-1] + "?"
}

// coerceScalar coerces a value to a built-in scalar, or says why it cannot. Custom
// scalars take any value; their unmarshalers judge it.
func coerceScalar(value any, scalar string) (any, string) {
	switch scalar {
	case "Int":
		n, isNumber := toNumber(value)
		if !isNumber || !n.integral() {
			return nil, "Int cannot represent non-integer value: " + inspect(value)
		}
		if n.f > math.MaxInt32 || n.f < math.MinInt32 {
			return nil, "Int cannot represent non 32-bit signed integer value: " + n.String()
		}
		return int(n.f), ""
	case "Float":
		n, isNumber := toNumber(value)
		if !isNumber || math.IsInf(n.f, 0) || math.IsNaN(n.f) {
			return nil, "Float cannot represent non numeric value: " + inspect(value)
		}
		return n.f, ""
	case "String":
		if s, isString := value.(string); isString {
			return s, ""
		}
		return nil, "String cannot represent a non string value: " + inspect(value)
	case "Boolean":
		if b, isBool := value.(bool); isBool {
			return b, ""
		}
		return nil, "Boolean cannot represent a non boolean value: " + inspect(value)
	case "ID":
		if s, isString := value.(string); isString {
			return s, ""
		}
		if n, isNumber := toNumber(value); isNumber && n.integral() {
			// Every digit sent, where JavaScript would round past 2^53.
			if n.digits != "" {
				return n.digits, ""
			}
			return jsNumber(n.f), ""
		}
		return nil, "ID cannot represent value: " + inspect(value)
	}
	return value, ""
}

// number is a JSON number as JavaScript holds it (a float64), with the digits sent
// when they were an integer (so that an ID keeps every digit).
type number struct {
	f      float64
	digits string
}

func (n number) integral() bool { return !math.IsInf(n.f, 0) && n.f == math.Trunc(n.f) }

// String is the number as JavaScript prints it.
func (n number) String() string {
	if n.digits != "" && math.Abs(n.f) < 1<<53 {
		return n.digits
	}
	return jsNumber(n.f)
}

// integerDigits reports whether s is written as a JSON integer.
func integerDigits(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return s != "" && strings.Trim(s, "0123456789") == "" && (s == "0" || s[0] != '0')
}

// toNumber reads a JSON number (json.Number or any Go number); isNumber is false for
// anything else.
func toNumber(v any) (n number, isNumber bool) {
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil && !math.IsInf(f, 0) {
			return number{}, false
		}
		n = number{f: f}
		if integerDigits(string(v)) && v != "-0" {
			n.digits = string(v)
		}
		return n, true
	case float32:
		return number{f: float64(v)}, true
	case float64:
		return number{f: v}, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return number{f: float64(rv.Int()), digits: strconv.FormatInt(rv.Int(), 10)}, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return number{f: float64(rv.Uint()), digits: strconv.FormatUint(rv.Uint(), 10)}, true
	}
	return number{}, false
}

// jsNumber formats f as JavaScript's Number.prototype.toString does.
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	if a := math.Abs(f); a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	sign := exp[:1]
	exp = strings.TrimLeft(exp[1:], "0")
	return mant + "e" + sign + exp
}

// deref follows pointers and interfaces, as values built in Go (not decoded from
// JSON) may hold them.
func deref(v any) any {
	for {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Pointer && rv.Kind() != reflect.Interface {
			return v
		}
		if rv.IsNil() {
			return nil
		}
		v = rv.Elem().Interface()
	}
}

// listItems returns the items of a list value (any Go slice or array but bytes).
func listItems(v any) ([]any, bool) {
	if items, ok := v.([]any); ok {
		return items, true
	}
	rv := reflect.ValueOf(v)
	if (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) || rv.Type().Elem().Kind() == reflect.Uint8 {
		return nil, false
	}
	items := make([]any, rv.Len())
	for i := range items {
		items[i] = rv.Index(i).Interface()
	}
	return items, true
}

// objectFields returns the fields of an object value (any Go map with string keys).
func objectFields(v any) (map[string]any, bool) {
	if m, ok := v.(map[string]any); ok {
		return m, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false
	}
	m := make(map[string]any, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		m[it.Key().String()] = it.Value().Interface()
	}
	return m, true
}

// inspect prints a value as graphql-js's inspect does in its error messages:
// strings quoted, numbers as JavaScript prints them, lists of up to ten items and
// objects (keys sorted) two levels deep.
func inspect(v any) string {
	var b strings.Builder
	inspectInto(&b, v, 0)
	return b.String()
}

func inspectInto(b *strings.Builder, v any, depth int) {
	v = deref(v)
	if v == nil {
		b.WriteString("null")
		return
	}
	switch v := v.(type) {
	case string:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		return
	case bool:
		b.WriteString(strconv.FormatBool(v))
		return
	}
	if n, isNumber := toNumber(v); isNumber {
		b.WriteString(n.String())
		return
	}
	if items, isList := listItems(v); isList {
		if len(items) == 0 {
			b.WriteString("[]")
			return
		}
		if depth >= 2 {
			b.WriteString("[Array]")
			return
		}
		b.WriteByte('[')
		for i, item := range items[:min(len(items), 10)] {
			if i > 0 {
				b.WriteString(", ")
			}
			inspectInto(b, item, depth+1)
		}
		switch rest := len(items) - 10; {
		case rest == 1:
			b.WriteString(", ... 1 more item")
		case rest > 1:
			fmt.Fprintf(b, ", ... %d more items", rest)
		}
		b.WriteByte(']')
		return
	}
	if fields, isObject := objectFields(v); isObject {
		if len(fields) == 0 {
			b.WriteString("{}")
			return
		}
		if depth >= 2 {
			b.WriteString("[Object]")
			return
		}
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString("{ ")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + ": ")
			inspectInto(b, fields[k], depth+1)
		}
		b.WriteString(" }")
		return
	}
	fmt.Fprintf(b, "%v", v)
}

// VariableCoercion is the gqlgen extension that coerces every operation's variables
// strictly (CoerceVariables) before the limits measure them and the resolvers read
// them. Register it before Limits. It coerces the values that WithRawVariables put in
// the context (the transport's copy of what the client sent), else the executor's
// leniently coerced ones.
type VariableCoercion struct {
	// Schema is the schema of the operations (nil: this package's).
	Schema *ast.Schema
	// HideSuggestions leaves "Did you mean …" out of the messages, for a server that
	// hides its schema.
	HideSuggestions bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = VariableCoercion{}

// ExtensionName names the extension for gqlgen.
func (VariableCoercion) ExtensionName() string { return "VariableCoercion" }

// Validate accepts any schema.
func (VariableCoercion) Validate(graphql.ExecutableSchema) error { return nil }

func (c VariableCoercion) schema() *ast.Schema {
	if c.Schema != nil {
		return c.Schema
	}
	return parsedSchema
}

// MutateOperationContext replaces the operation's variables with their strict
// coercion, or refuses the operation with the first coercion error (all of them are
// kept for Review).
func (c VariableCoercion) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	raw := opCtx.Variables
	st, _ := ctx.Value(rawVariablesKey{}).(*rawVariables)
	if st != nil {
		raw = st.values
	}
	vars, errs := CoerceVariables(c.schema(), opCtx.Operation, raw, c.HideSuggestions)
	if errs != nil {
		if st != nil {
			st.errs = errs
		}
		return errs[0]
	}
	opCtx.Variables = vars
	return nil
}

// Review returns the errors with which to refuse a request that the executor's
// CreateOperationContext refused (gerrs), or, when the executor's own coercion refused
// variables that the spec's accepts (such as 1e2 for an Int), the coerced variables to
// create the operation context again with. The errors are all of MutateOperationContext's
// errors when it refused, the spec's errors when the executor's coercion refused
// (its messages are not graphql-js's, and 1e400 is "cannot use value 0 as Int"), else
// gerrs.
func (c VariableCoercion) Review(ctx context.Context, opCtx *graphql.OperationContext, gerrs gqlerror.List) (gqlerror.List, map[string]any) {
	st, _ := ctx.Value(rawVariablesKey{}).(*rawVariables)
	if st == nil || len(gerrs) != 1 {
		return gerrs, nil
	}
	if len(st.errs) > 0 && gerrs[0] == st.errs[0] {
		return st.errs, nil
	}
	if opCtx == nil || opCtx.Operation == nil || len(gerrs[0].Path) == 0 || gerrs[0].Path[0] != ast.PathName("variable") {
		return gerrs, nil
	}
	vars, errs := CoerceVariables(c.schema(), opCtx.Operation, st.values, c.HideSuggestions)
	if errs != nil {
		return errs, nil
	}
	return nil, vars
}

type rawVariablesKey struct{}

type rawVariables struct {
	values map[string]any
	errs   gqlerror.List
}

// WithRawVariables keeps a copy of the variables a client sent in ctx, for
// VariableCoercion: the executor's own coercion rewrites parts of them in place.
func WithRawVariables(ctx context.Context, vars map[string]any) context.Context {
	copied, _ := deepCopy(vars).(map[string]any)
	return context.WithValue(ctx, rawVariablesKey{}, &rawVariables{values: copied})
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return map[string]any(nil)
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}
