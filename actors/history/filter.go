package history

import (
	"fmt"
	"strings"
	"time"

	"github.com/licd/licd/license"
)

// Filter selects the pools and the time range of a query, as the export's filters do
// ("Export historical usage data": Product & Edition, Model, Customer Success Services
// date, a date range). Empty fields match everything.
type Filter struct {
	// ProductEdition is PRODUCT_EDITION (XDT_PLT), or a whole feature name (XDT_PLT_UD,
	// CITRIX); case-insensitive.
	ProductEdition string
	// Model is a model name (User/Device) or code (UD); case-insensitive.
	Model string
	// CSS is a CSS date, YYYYMMDD. "Selecting Customer Success Services date limits exported
	// data to a specific pool of licenses and does not accurately reflect the total number of
	// licenses in use."
	CSS uint32
	// From and To bound the samples' times: From included, To excluded; zero is open.
	From, To time.Time
}

// Validate says what is wrong with a filter.
func (f *Filter) Validate() error {
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return fmt.Errorf("history: the date range is empty: from %s is not before to %s; give an earlier start date",
			f.From.UTC().Format(time.RFC3339), f.To.UTC().Format(time.RFC3339))
	}
	if f.Model != "" && modelOf(f.Model) == "" {
		return fmt.Errorf("history: unknown model %q: give a model name (User/Device, Concurrent, ...) or code (UD, CCU, ...)", f.Model)
	}
	if f.CSS != 0 {
		if _, err := license.ParseCSSDate(license.CSSDate(f.CSS).String()); err != nil {
			return fmt.Errorf("history: CSS date %d is not a date: give it as YYYYMMDD", f.CSS)
		}
	}
	return nil
}

// modelOf returns the model name for a name or code, "" if unknown.
func modelOf(s string) string {
	if m, err := license.ModelOfFeature("X_Y_" + strings.ToUpper(s)); err == nil {
		return m.String()
	}
	for m := license.Model(0); m < 32; m++ {
		if strings.EqualFold(m.String(), s) && !strings.HasPrefix(m.String(), "model(") {
			return m.String()
		}
	}
	return ""
}

// matcher is a validated filter, cheap to apply to every pool.
type matcher struct {
	f     Filter
	model string
}

func (f *Filter) matcher() matcher { return matcher{f: *f, model: modelOf(f.Model)} }

func (m *matcher) pool(p *Pool) bool {
	if m.f.ProductEdition != "" && !strings.EqualFold(m.f.ProductEdition, p.ProductEdition()) &&
		!strings.EqualFold(m.f.ProductEdition, p.Feature) {
		return false
	}
	if m.model != "" && !strings.EqualFold(m.model, p.Model) {
		return false
	}
	return m.f.CSS == 0 || m.f.CSS == p.CSS
}

// Range returns the filter's time range in unix nanoseconds, [from, to), open ends filled
// with the extremes.
func (f *Filter) Range() (from, to int64) {
	from, to = -1<<63, 1<<63-1
	if !f.From.IsZero() {
		from = f.From.UnixNano()
	}
	if !f.To.IsZero() {
		to = f.To.UnixNano()
	}
	return from, to
}
