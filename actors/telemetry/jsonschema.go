package telemetry

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// JSONSchema is the JSON Schema (draft 2020-12) of a Report ("report") or a Manifest
// ("manifest"), made from the Go types and the descriptions in Fields: schema.json and
// manifest.schema.json in this directory are its output, checked by a test.
func JSONSchema(which string) ([]byte, error) {
	var root reflect.Type
	var id, title string
	switch which {
	case "report":
		root, id, title = reflect.TypeFor[Report](), SchemaID, "licd usage report (one program's data)"
	case "manifest":
		root, id, title = reflect.TypeFor[Manifest](), strings.TrimSuffix(SchemaID, "schema.json")+"manifest.schema.json", "licd upload bundle manifest"
	default:
		return nil, fmt.Errorf("telemetry: no schema %q (report, manifest)", which)
	}
	desc := map[string]string{}
	for _, f := range Fields {
		progs := make([]string, len(f.Programs))
		for i, p := range f.Programs {
			progs[i] = string(p)
		}
		desc[f.Path] = f.Description + " [programs: " + strings.Join(progs, ", ") + "]"
	}
	s := schemaOf(root, "", desc)
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = id
	s["title"] = title
	s["description"] = "schema version " + SchemaVersion + "; see actors/telemetry/SCHEMA.md"
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

var timeType = reflect.TypeFor[time.Time]()

func schemaOf(t reflect.Type, path string, desc map[string]string) map[string]any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var s map[string]any
	switch {
	case t == timeType:
		s = map[string]any{"type": "string", "format": "date-time"}
	case t == reflect.TypeFor[Program]():
		enum := make([]string, len(AllPrograms))
		for i, p := range AllPrograms {
			enum[i] = string(p)
		}
		s = map[string]any{"type": "string", "enum": enum}
	case t.Kind() == reflect.String:
		s = map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		s = map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = map[string]any{"type": "integer"}
	case t.Kind() == reflect.Slice:
		s = map[string]any{"type": "array", "items": schemaOf(t.Elem(), path+"[]", desc)}
	case t.Kind() == reflect.Struct:
		props := map[string]any{}
		var required []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			props[name] = schemaOf(f.Type, p, desc)
			if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
				required = append(required, name)
			}
		}
		s = map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			s["required"] = required
		}
	default:
		panic("telemetry: no JSON Schema for " + t.String())
	}
	if d, ok := desc[path]; ok {
		s["description"] = d
	}
	return s
}
