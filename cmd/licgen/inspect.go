package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/licd/licd/license"
)

// The JSON shape of `licgen inspect --json`: one object per file.
type fileView struct {
	Path      string                 `json:"path"`
	Servers   []license.ServerLine   `json:"servers"`
	Vendors   []license.VendorLine   `json:"vendors"`
	UseServer bool                   `json:"use_server"`
	Lines     []lineView             `json:"lines"`
	Friendly  []license.FriendlyName `json:"friendly_names"`
	Errors    []errorView            `json:"errors"`
}

type lineView struct {
	Line      int            `json:"line"`
	EndLine   int            `json:"end_line"`
	Keyword   string         `json:"keyword"`
	Feature   string         `json:"feature"`
	Vendor    string         `json:"vendor"`
	Version   string         `json:"version"`
	CSS       string         `json:"css,omitempty"`
	Model     string         `json:"model"`
	Expiry    string         `json:"expiry"` // dd-mmm-yyyy or "permanent"
	Count     int            `json:"count"`
	Uncounted bool           `json:"uncounted"`
	Overdraft int            `json:"overdraft"`
	Issued    string         `json:"issued,omitempty"`
	Start     string         `json:"start,omitempty"`
	Sign      string         `json:"sign,omitempty"`
	Attrs     []license.Attr `json:"attributes"`
}

type errorView struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Msg  string `json:"message"`
	Hint string `json:"hint"`
}

func inspect(args []string, stdout io.Writer) error {
	fs := newFlags("inspect")
	asJSON := fs.Bool("json", false, "print JSON")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("give the license files to inspect")
	}
	var views []fileView
	problems := 0
	for _, path := range files {
		f, err := license.ParseFile(path)
		if err != nil {
			f = &license.File{Path: path, Errors: []*license.Error{{File: path, Msg: err.Error(), Hint: "check the path"}}}
		}
		problems += len(f.Errors)
		views = append(views, view(f))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(views); err != nil {
			return err
		}
	} else {
		for _, v := range views {
			printView(stdout, v)
		}
	}
	if problems > 0 {
		return errReported
	}
	return nil
}

func view(f *license.File) fileView {
	v := fileView{Path: f.Path, Servers: f.Servers, Vendors: f.Vendors, UseServer: f.UseServer, Friendly: f.Friendly,
		Lines: []lineView{}, Errors: []errorView{}}
	if v.Servers == nil {
		v.Servers = []license.ServerLine{}
	}
	if v.Vendors == nil {
		v.Vendors = []license.VendorLine{}
	}
	if v.Friendly == nil {
		v.Friendly = []license.FriendlyName{}
	}
	for _, l := range f.Lines {
		lv := lineView{Line: l.LineNo, EndLine: l.EndLine, Keyword: l.Keyword, Feature: l.Feature, Vendor: l.Vendor,
			Version: l.Version, CSS: l.CSS.String(), Model: modelText(l.Feature), Expiry: "permanent", Count: l.Count,
			Uncounted: l.Uncounted, Overdraft: l.Overdraft, Issued: dayText(l.Issued), Start: dayText(l.Start), Sign: l.Sign,
			Attrs: l.Attrs}
		if !l.Permanent {
			lv.Expiry = license.FormatDate(l.Expiry)
		}
		if lv.Attrs == nil {
			lv.Attrs = []license.Attr{}
		}
		v.Lines = append(v.Lines, lv)
	}
	for _, e := range f.Errors {
		v.Errors = append(v.Errors, errorView{File: e.File, Line: e.Line, Msg: e.Msg, Hint: e.Hint})
	}
	return v
}

func modelText(feature string) string {
	m, err := license.ModelOfFeature(feature)
	if err != nil {
		return "unknown"
	}
	return m.String()
}

func dayText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return license.FormatDate(t)
}

func printView(w io.Writer, v fileView) {
	fmt.Fprintf(w, "%s\n", v.Path)
	for _, s := range v.Servers {
		fmt.Fprintf(w, "  line %d: SERVER %s, host ID %s", s.LineNo, s.Host, s.HostID)
		switch {
		case s.HostName != "":
			fmt.Fprintf(w, " (host name %s)", s.HostName)
		case s.Ether != "":
			fmt.Fprintf(w, " (MAC address %s)", s.Ether)
		}
		if s.Port != 0 {
			fmt.Fprintf(w, ", port %d", s.Port)
		}
		fmt.Fprintln(w)
	}
	for _, vl := range v.Vendors {
		fmt.Fprintf(w, "  line %d: VENDOR %s", vl.LineNo, vl.Name)
		if vl.Path != "" {
			fmt.Fprintf(w, ", path %s", vl.Path)
		}
		if vl.Options != "" {
			fmt.Fprintf(w, ", options %s", vl.Options)
		}
		if vl.Port != 0 {
			fmt.Fprintf(w, ", port %d", vl.Port)
		}
		fmt.Fprintln(w)
	}
	if v.UseServer {
		fmt.Fprintln(w, "  USE_SERVER")
	}
	for _, l := range v.Lines {
		fmt.Fprintf(w, "  lines %d-%d: %s %s\n", l.Line, l.EndLine, l.Keyword, l.Feature)
		fmt.Fprintf(w, "    vendor     %s\n", l.Vendor)
		if l.CSS != "" {
			fmt.Fprintf(w, "    version    %s (CSS date)\n", l.Version)
		} else {
			fmt.Fprintf(w, "    version    %s\n", l.Version)
		}
		fmt.Fprintf(w, "    model      %s\n", l.Model)
		fmt.Fprintf(w, "    expires    %s\n", l.Expiry)
		if l.Uncounted {
			fmt.Fprintf(w, "    count      uncounted\n")
		} else {
			fmt.Fprintf(w, "    count      %d\n", l.Count)
		}
		if l.Start != "" {
			fmt.Fprintf(w, "    start      %s\n", l.Start)
		}
		if l.Issued != "" {
			fmt.Fprintf(w, "    issued     %s\n", l.Issued)
		}
		for _, a := range l.Attrs {
			if a.Value == "" {
				fmt.Fprintf(w, "    attribute  %s\n", a.Key)
			} else {
				fmt.Fprintf(w, "    attribute  %s=%s\n", a.Key, a.Value)
			}
		}
	}
	if len(v.Friendly) > 0 {
		fmt.Fprintln(w, "  friendly names:")
		for _, fn := range v.Friendly {
			fmt.Fprintf(w, "    %s [%s] %s", fn.Feature, fn.Lang, fn.Name)
			if fn.ModelText != "" {
				fmt.Fprintf(w, " | %s", fn.ModelText)
			}
			fmt.Fprintln(w)
		}
	}
	if len(v.Errors) > 0 {
		fmt.Fprintf(w, "  %d error(s):\n", len(v.Errors))
		for _, e := range v.Errors {
			where := e.File
			if e.Line > 0 {
				where = fmt.Sprintf("%s:%d", e.File, e.Line)
			}
			fmt.Fprintf(w, "    %s: %s", where, e.Msg)
			if e.Hint != "" {
				fmt.Fprintf(w, "; %s", e.Hint)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w)
}
