package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// maxConfigFile bounds what licd reads as its configuration: a real one is a few KiB.
const maxConfigFile = 1 << 20

// notConfigurable are the flags a configuration file cannot set: they say which file to
// read, or print it.
var notConfigurable = map[string]bool{"config": true, "print-config": true}

// applyConfigFile sets, from a TOML file, every flag the command line did not set. The
// file's keys are the flags' names ("lm-port = 27000"), so the file, the flags and
// `licd -print-config` are one vocabulary and a service manager needs no long command line;
// a flag on the command line overrides the file. It returns the keys it applied.
func applyConfigFile(fs *flag.FlagSet, path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w (give -config an existing file, or leave -config and LICD_CONFIG unset)", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if len(b) > maxConfigFile {
		return nil, fmt.Errorf("config file %s: larger than %d bytes; licd's configuration is a short list of name = value lines", path, maxConfigFile)
	}
	var doc map[string]any
	_, err = toml.Decode(string(b), &doc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("config file %s, line %d: %s; write name = value, with text in quotes (licd -print-config shows every key)", path, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var applied []string
	for _, k := range keys {
		line := keyLine(string(b), k)
		if _, isTable := doc[k].(map[string]any); isTable {
			return nil, fmt.Errorf("config file %s, line %d: [%s] is a table; licd's configuration is flat: name = value lines without [sections]", path, line, k)
		}
		fl := fs.Lookup(k)
		if fl == nil || notConfigurable[k] {
			return nil, fmt.Errorf("config file %s, line %d: no setting %q; the keys are licd's flag names without the dash (licd -print-config lists them)", path, line, k)
		}
		values, err := configValues(doc[k], fl)
		if err != nil {
			return nil, fmt.Errorf("config file %s, line %d: %s: %w", path, line, k, err)
		}
		if onCommandLine[k] {
			continue
		}
		for _, v := range values {
			if err := fs.Set(k, v); err != nil {
				return nil, fmt.Errorf("config file %s, line %d: %s = %q is not a valid value (%w); licd -print-config shows each key's default in the form it takes", path, line, k, v, err)
			}
		}
		applied = append(applied, k)
	}
	return applied, nil
}

// keyLine is the line a top-level key is on, for error messages.
func keyLine(text, key string) int {
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "["+key+"]" {
			return i + 1
		}
		for _, k := range []string{key, strconv.Quote(key)} {
			if rest, ok := strings.CutPrefix(l, k); ok && strings.HasPrefix(strings.TrimSpace(rest), "=") {
				return i + 1
			}
		}
	}
	return 0
}

// configValues turns a TOML value into what the flag's Set takes; an array only for a
// repeatable flag (trust).
func configValues(v any, fl *flag.Flag) ([]string, error) {
	if arr, ok := v.([]any); ok {
		if _, repeatable := fl.Value.(*multiFlag); !repeatable {
			return nil, errors.New("takes one value, not a list")
		}
		out := make([]string, 0, len(arr))
		for _, e := range arr {
			s, err := configScalar(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := configScalar(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func configScalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case map[string]any:
		return "", errors.New("is a table; licd's configuration is flat: name = value")
	default:
		return "", fmt.Errorf("a %T is not a setting's value; write a number, true/false or text in quotes", v)
	}
}

// printConfig writes the configuration file that gives the flags' present values: the keys
// set (on the command line) as settings, every other key commented out with its default,
// each under its description. `licd -print-config` is where a service's file starts from.
func printConfig(w io.Writer, fs *flag.FlagSet) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	fmt.Fprintln(w, "# licd configuration (TOML): licd -config FILE, or LICD_CONFIG=FILE.")
	fmt.Fprintln(w, "# Every key is the licd flag of the same name; a flag given on the command line")
	fmt.Fprintln(w, "# overrides the file. Lines commented out show the defaults. Made by licd -print-config.")
	fs.VisitAll(func(f *flag.Flag) {
		if notConfigurable[f.Name] || strings.HasPrefix(f.Name, "test-") || f.Name == "ports-file" {
			return
		}
		fmt.Fprintf(w, "\n# %s\n", f.Usage)
		if set[f.Name] {
			fmt.Fprintf(w, "%s = %s\n", f.Name, tomlValue(f.Value, f.Value.String()))
		} else {
			fmt.Fprintf(w, "# %s = %s\n", f.Name, tomlValue(f.Value, f.DefValue))
		}
	})
}

// tomlValue writes a flag's value as TOML: numbers and booleans bare, durations and text
// quoted, a repeatable flag as a list.
func tomlValue(v flag.Value, s string) string {
	if m, ok := v.(*multiFlag); ok {
		q := make([]string, len(*m))
		for i, e := range *m {
			q[i] = strconv.Quote(e)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	g, ok := v.(flag.Getter)
	if !ok {
		return strconv.Quote(s)
	}
	switch g.Get().(type) {
	case bool, int, int64, uint, uint64, float64:
		return s
	case time.Duration:
		return strconv.Quote(s)
	default:
		return strconv.Quote(s)
	}
}
