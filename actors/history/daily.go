package history

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// CSVHeader names the export's columns and says what each holds ("Export historical usage
// data": "The CSV file provides daily usage information, including the number of licenses
// in overdraft").
var CSVHeader = []string{
	"date (UTC day YYYY-MM-DD)",
	"product-edition (PRODUCT_EDITION of the feature)",
	"model (license model)",
	"CSS date (Customer Success Services date YYYY.MMDD)",
	"installed (licenses purchased plus overdraft; highest that day)",
	"peak in use (highest number in use that day; peaks between samples included)",
	"overdraft in use (highest number in use beyond the purchased count that day)",
	"pool (license pool id)",
}

const nanosPerDay = int64(24 * time.Hour)

// Export writes the daily CSV: one row per pool per UTC day that has samples, days in
// order, pools in the order product-edition, model, CSS date, pool id. Add readings in time
// order, then Close.
type Export struct {
	m     matcher
	s     slots
	from  int64
	to    int64
	w     *bufio.Writer
	csv   *csv.Writer
	day   int64 // the day being summed, as a day number since the epoch
	have  bool
	acc   []dayAcc
	row   []string
	nrows int
}

type dayAcc struct {
	seen                       bool
	installed, peak, overdraft uint64
}

// NewExport starts an export of the pools of c that f matches. The header is written first.
func NewExport(w io.Writer, c *Catalog, f Filter) (*Export, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	e := &Export{m: f.matcher()}
	e.from, e.to = f.Range()
	e.s = newSlots(c, &e.m)
	e.acc = make([]dayAcc, len(e.s.pools))
	e.w = bufio.NewWriterSize(w, 64<<10)
	e.csv = csv.NewWriter(e.w)
	e.row = make([]string, len(CSVHeader))
	if err := e.csv.Write(CSVHeader); err != nil {
		return nil, fmt.Errorf("history: writing the CSV header: %w", err)
	}
	return e, nil
}

// Wants reports whether a reading of this pool number counts (a caller may skip the rest).
func (e *Export) Wants(pool uint64) bool { return e.s.slot(pool) >= 0 }

// Add counts one reading taken at t (unix nanoseconds).
func (e *Export) Add(t int64, r *Reading) error {
	if t < e.from || t >= e.to {
		return nil
	}
	i := e.s.slot(r.Pool)
	if i < 0 {
		return nil
	}
	day := floorDiv(t, nanosPerDay)
	if !e.have || day != e.day {
		if err := e.flush(); err != nil {
			return err
		}
		e.day, e.have = day, true
	}
	a := &e.acc[i]
	a.seen = true
	a.installed = max(a.installed, r.Installed)
	a.peak = max(a.peak, r.Peak, r.InUse)
	a.overdraft = max(a.overdraft, r.OverdraftInUse)
	return nil
}

// Rows is the number of data rows written so far.
func (e *Export) Rows() int { return e.nrows }

func (e *Export) flush() error {
	if !e.have {
		return nil
	}
	date := time.Unix(0, e.day*nanosPerDay).UTC().Format("2006-01-02")
	for i := range e.acc {
		a := &e.acc[i]
		if !a.seen {
			continue
		}
		p := e.s.pools[i]
		e.row[0], e.row[1], e.row[2], e.row[3] = date, p.ProductEdition(), p.Model, p.CSSText()
		e.row[4] = strconv.FormatUint(a.installed, 10)
		e.row[5] = strconv.FormatUint(a.peak, 10)
		e.row[6] = strconv.FormatUint(a.overdraft, 10)
		e.row[7] = p.ID
		if err := e.csv.Write(e.row); err != nil {
			return fmt.Errorf("history: writing the CSV: %w", err)
		}
		e.nrows++
		*a = dayAcc{}
	}
	return nil
}

// Close writes the last day and flushes.
func (e *Export) Close() error {
	if err := e.flush(); err != nil {
		return err
	}
	e.csv.Flush()
	if err := e.csv.Error(); err != nil {
		return fmt.Errorf("history: writing the CSV: %w", err)
	}
	if err := e.w.Flush(); err != nil {
		return fmt.Errorf("history: writing the CSV: %w", err)
	}
	return nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
