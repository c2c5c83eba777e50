package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// operation is one call as both sides describe it, whatever the format.
type operation struct {
	// Params maps "in name" (e.g. "query orgId") to the parameter's schema; nil when the source does not
	// model parameters (Tencent's common parameters), and then they are not compared.
	Params map[string]*node
	// Body is the request body's schema, nil when there is none.
	Body *node
	// Responses maps a success status ("200") to its body's schema (nil when it has no body).
	Responses map[string]*node
	// Headers maps a success status to the names of its documented response headers.
	Headers map[string][]string
	// ID is the operation's id (our operationId, or the one an excerpt maps the operation to); compared
	// only when both sides set it.
	ID string
	// Schema is set on a pseudo-operation keyed "schema <Name>" that stands for a named schema, compared
	// once on its own rather than in every operation that uses it (reference excerpts, readOpenAPIFull).
	Schema *node
}

// node is a schema reduced to what the drift check compares.
type node struct {
	Type     string
	Format   string
	Enum     []string
	Nullable bool
	// Required is set on a property (or parameter) the parent requires.
	Required bool
	Props    map[string]*node
	Items    *node
	// AnyOf holds the alternatives of an anyOf/oneOf: upstream may match any one of them.
	AnyOf []*node
	// Values is the schema of an object's additionalProperties (a map's values), nil when not stated.
	Values *node
	// Ref is the name of the component schema this node was reached through ($ref), if any.
	Ref string
	// Schema, on the upstream side, names (by our component name) the schema this node is: it is compared
	// on its own as "schema <Name>", so here only the name is checked, against Ref.
	Schema string
	// Unnamed, on the upstream side, marks a JSON body whose schema upstream does not publish.
	Unnamed bool
	// MinItems, MaxItems and UniqueItems are an array's bounds. They are compared only where upstream
	// states one of them: some sources (the Webex rendering) show no bounds at all.
	MinItems, MaxItems *uint64
	UniqueItems        bool
	// Conditions are rules upstream states in prose (e.g. "required when action is CREATE"); the check
	// cannot compare them, so each is listed as a difference to accept or to express in the spec.
	Conditions []string
}

// compareOps lists how ours differs from theirs (the upstream definition).
func compareOps(theirs, ours map[string]*operation) []string {
	var out []string
	for _, k := range keys(theirs) {
		o, ok := ours[k]
		switch {
		case !ok && theirs[k].Schema != nil:
			out = append(out, k+": schema upstream is not in the spec")
			continue
		case !ok:
			out = append(out, k+": operation upstream is not in the spec")
			continue
		}
		out = append(out, compareOp(k, theirs[k], o)...)
	}
	for _, k := range keys(ours) {
		// A schema of ours that upstream does not describe is compared through the operations using it.
		if _, ok := theirs[k]; !ok && ours[k].Schema == nil {
			out = append(out, k+": operation in the spec is not upstream")
		}
	}
	return out
}

func compareOp(k string, t, o *operation) []string {
	if t.Schema != nil || o.Schema != nil {
		return compareNode(k, t.Schema, o.Schema)
	}
	var out []string
	if t.ID != "" && o.ID != "" && t.ID != o.ID {
		out = append(out, fmt.Sprintf("%s: operationId upstream %s, spec %s", k, t.ID, o.ID))
	}
	if t.Params != nil && o.Params != nil {
		for _, p := range keys(t.Params) {
			out = append(out, compareNode(k+" parameter "+p, t.Params[p], o.Params[p])...)
		}
		for _, p := range keys(o.Params) {
			if _, ok := t.Params[p]; !ok {
				out = append(out, k+" parameter "+p+": in the spec, not upstream")
			}
		}
	}
	out = append(out, compareNode(k+" request body", t.Body, o.Body)...)
	for _, st := range keys(t.Responses) {
		ob, ok := o.Responses[st]
		if !ok {
			out = append(out, k+" response "+st+": upstream, not in the spec")
			continue
		}
		out = append(out, compareBody(k+" response "+st, t.Responses[st], ob)...)
		for _, h := range t.Headers[st] {
			if !slices.Contains(o.Headers[st], h) {
				out = append(out, k+" response "+st+" header "+h+": upstream, not in the spec")
			}
		}
		for _, h := range o.Headers[st] {
			if !slices.Contains(t.Headers[st], h) {
				out = append(out, k+" response "+st+" header "+h+": in the spec, not upstream")
			}
		}
	}
	for _, st := range keys(o.Responses) {
		if _, ok := t.Responses[st]; !ok {
			out = append(out, k+" response "+st+": in the spec, not upstream")
		}
	}
	return out
}

// compareBody compares the bodies of one response status, saying "body" where only one side has one
// (so that it reads apart from a status only one side has).
func compareBody(where string, t, o *node) []string {
	switch {
	case t == nil && o != nil:
		return []string{where + " body: in the spec, not upstream"}
	case t != nil && o == nil:
		return []string{where + " body: upstream, not in the spec"}
	}
	return compareNode(where, t, o)
}

// compareNode lists how ours differs from theirs at where; seen guards against recursive schemas.
func compareNode(where string, t, o *node) []string {
	return compare(where, t, o, 0)
}

const maxDepth = 32

func compare(where string, t, o *node, depth int) []string {
	switch {
	case t == nil && o == nil:
		return nil
	case t == nil:
		return []string{where + ": in the spec, not upstream"}
	case o == nil:
		return []string{where + ": upstream, not in the spec"}
	case depth > maxDepth:
		return nil
	case t.Unnamed:
		name := o.Ref
		if name == "" {
			name = "an inline " + orNone(o.Type)
		}
		return []string{fmt.Sprintf("%s: schema not published upstream, spec %s", where, name)}
	}
	if len(o.AnyOf) > 0 && len(t.AnyOf) == 0 {
		var types []string
		var match *node
		for _, alt := range o.AnyOf {
			types = append(types, orNone(alt.Type))
			if alt.Type == t.Type && match == nil {
				match = alt
			}
		}
		if match == nil {
			return []string{fmt.Sprintf("%s: type upstream %s, spec has no alternative of that type", where, t.Type)}
		}
		var out []string
		if len(o.AnyOf) > 1 {
			// The spec accepts more shapes than upstream describes: a difference to accept with its reason.
			out = append(out, fmt.Sprintf("%s: type upstream %s, spec anyOf %s", where, orNone(t.Type), strings.Join(types, "|")))
		}
		alt := *match
		alt.Required = o.Required
		alt.Nullable = alt.Nullable || o.Nullable
		return append(out, compare(where, t, &alt, depth+1)...)
	}
	var out []string
	add := func(format string, a ...any) { out = append(out, where+": "+fmt.Sprintf(format, a...)) }
	for _, c := range t.Conditions {
		add("condition upstream, not expressed in the spec: %s", c)
	}
	if t.Type != o.Type {
		add("type upstream %s, spec %s", orNone(t.Type), orNone(o.Type))
	}
	if t.Format != o.Format {
		add("format upstream %s, spec %s", orNone(t.Format), orNone(o.Format))
	}
	if t.Required != o.Required {
		add("required upstream %v, spec %v", t.Required, o.Required)
	}
	if t.Nullable != o.Nullable {
		add("nullable upstream %v, spec %v", t.Nullable, o.Nullable)
	}
	for _, e := range t.Enum {
		if len(o.Enum) > 0 && !slices.Contains(o.Enum, e) {
			add("enum value %s upstream, not in the spec", e)
		}
	}
	if len(t.Enum) > 0 && len(o.Enum) == 0 {
		add("enum upstream [%s], spec has none", strings.Join(t.Enum, " "))
	}
	for _, e := range o.Enum {
		if !slices.Contains(t.Enum, e) {
			add("enum value %s in the spec, not upstream", e)
		}
	}
	if t.MinItems != nil || t.MaxItems != nil || t.UniqueItems {
		if a, b := bound(t.MinItems), bound(o.MinItems); a != b {
			add("minItems upstream %s, spec %s", a, b)
		}
		if a, b := bound(t.MaxItems), bound(o.MaxItems); a != b {
			add("maxItems upstream %s, spec %s", a, b)
		}
		if t.UniqueItems != o.UniqueItems {
			add("uniqueItems upstream %v, spec %v", t.UniqueItems, o.UniqueItems)
		}
	}
	if t.Schema != "" {
		// Named schemas are compared once, as "schema <Name>"; here only which one is used.
		if t.Schema != o.Ref {
			add("schema upstream %s, spec %s", t.Schema, orNone(o.Ref))
		}
		return out
	}
	for _, p := range keys(t.Props) {
		out = append(out, compare(where+"."+p, t.Props[p], o.Props[p], depth+1)...)
	}
	for _, p := range keys(o.Props) {
		if _, ok := t.Props[p]; !ok {
			out = append(out, where+"."+p+": in the spec, not upstream")
		}
	}
	if t.Items != nil || o.Items != nil {
		out = append(out, compare(where+"[]", t.Items, o.Items, depth+1)...)
	}
	if t.Values != nil || o.Values != nil {
		out = append(out, compare(where+"{}", t.Values, o.Values, depth+1)...)
	}
	return out
}

func bound(n *uint64) string {
	if n == nil {
		return "(none)"
	}
	return fmt.Sprint(*n)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
