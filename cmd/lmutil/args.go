package main

import (
	"fmt"
	"strings"
)

// exitUsage is the exit status of a command line that cannot be understood. FLEXlm has no
// error number for it; 2 is what command-line tools use.
const exitUsage = 2

// optKind says whether an option takes a value.
type optKind uint8

const (
	noValue    optKind = iota // -a
	needsValue                // -c license_file_list
	mayValue                  // -f [feature]: takes the next argument unless it is an option
)

// universalOptions are the "Universal arguments" most utilities accept, plus licd's -data
// (where the server's data directory, and so its admin token, is) and -t (time-out).
var universalOptions = map[string]optKind{
	"-c":       needsValue,
	"-all":     noValue,
	"-help":    noValue,
	"-verbose": noValue,
	"-data":    needsValue,
	"-t":       needsValue,
}

// options is a parsed command line.
type options struct {
	set  map[string]bool
	vals map[string]string
	args []string // operands, in order
}

func (o *options) has(name string) bool   { return o.set[name] }
func (o *options) val(name string) string { return o.vals[name] }
func (o *options) verbose() bool          { return o.set["-verbose"] }
func (o *options) help() bool             { return o.set["-help"] }

// parseOptions reads args against the utility's own options and the universal ones. Options
// are written as FLEXlm writes them (-c, -all, -verbose); "--name" is accepted for "-name"
// and "-?" for -help. An option given twice keeps its last value.
func parseOptions(util string, own map[string]optKind, args []string) (*options, error) {
	o := &options{set: map[string]bool{}, vals: map[string]string{}}
	kind := func(name string) (optKind, bool) {
		if k, ok := own[name]; ok {
			return k, true
		}
		k, ok := universalOptions[name]
		return k, ok
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-?" || a == "--help" {
			o.set["-help"] = true
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			o.args = append(o.args, a)
			continue
		}
		name, value, hasEq := strings.Cut(a, "=")
		if strings.HasPrefix(name, "--") {
			name = name[1:]
		}
		k, ok := kind(name)
		if !ok && !hasEq && len(a) > 2 && a[1] != '-' {
			// The attached forms the manual writes: lmstat -slocalhost, -SCITRIX,
			// -fFEATURE, -iFEATURE (a one-letter option that takes a value, and the value).
			if k2, ok2 := kind(a[:2]); ok2 && k2 != noValue {
				name, value, hasEq, k, ok = a[:2], a[2:], true, k2, true
			}
		}
		if !ok {
			return nil, fmt.Errorf("%s: unknown option %q; %s -help lists the options", util, a, util)
		}
		o.set[name] = true
		switch {
		case hasEq && k == noValue:
			return nil, fmt.Errorf("%s: option %s takes no value", util, name)
		case hasEq:
			o.vals[name] = value
		case k == needsValue:
			if i+1 >= len(args) {
				return nil, fmt.Errorf("%s: option %s needs a value", util, name)
			}
			i++
			o.vals[name] = args[i]
		case k == mayValue:
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				o.vals[name] = args[i]
			}
		}
	}
	return o, nil
}

// parse reads the utility's command line (parseOptions) and remembers -verbose.
func (e *env) parse(own map[string]optKind, args []string) (*options, error) {
	o, err := parseOptions(e.name, own, args)
	if err == nil {
		e.verbose = o.verbose()
	}
	return o, err
}

// usageError prints a command-line problem and returns exitUsage.
func (e *env) usageError(err error) int {
	fmt.Fprintln(e.stderr, err)
	return exitUsage
}
