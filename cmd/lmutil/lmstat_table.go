package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/licd/licd/wire"
)

// writeIncrementTable is lmstat -i: one row per license pool, in FLEXlm's columns
// ("-i [feature] ... displays information from the INCREMENT line for the specified
// feature (product license) or all features"):
//
//	Feature                         Version     #licenses    Expires      Vendor
//	_______                         _________   _________    __________   ______
//	XDT_PLT_CCS                     2018.1201    200000      01-dec-2018  CITRIX
func writeIncrementTable(w io.Writer, st *wire.Status) {
	// Columns start at 0, 32, 44 (the counts at 45), 57 and 70; a long value still keeps
	// one space before the next column.
	const head, line = "%-31s %-11s %-12s %-12s %s\n", "%-31s %-11s  %-11d %-12s %s\n"
	fmt.Fprintf(w, head, "Feature", "Version", "#licenses", "Expires", "Vendor")
	fmt.Fprintf(w, head, "_______", "_________", "_________", "__________", "______")
	type row struct {
		feature, version, expires string
		count                     int
	}
	var rows []row
	for _, fs := range st.Features {
		for _, p := range fs.Pools {
			rows = append(rows, row{fs.Feature, p.Version, p.Expiry, p.Count + p.Overdraft})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].feature != rows[j].feature {
			return rows[i].feature < rows[j].feature
		}
		return rows[i].version < rows[j].version
	})
	for _, r := range rows {
		expires := r.expires
		if expires == "" {
			expires = "permanent"
		}
		fmt.Fprintf(w, line, r.feature, r.version, r.count, expires, vendorName(st))
	}
	fmt.Fprintln(w)
}
