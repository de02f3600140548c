package license

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CSSDate is a Customer Success Services date as yyyymmdd (20221201). License files write it
// as "YYYY.MMDD" in the version field of an INCREMENT line ("License file format":
// CSS_expiry_date). The zero value means "no CSS date" (a version such as "2.0").
type CSSDate uint32

// ParseCSSDate parses "YYYY.MMDD" (exactly four digits, a dot, four digits) and checks that
// it is a real calendar date.
func ParseCSSDate(s string) (CSSDate, error) {
	if len(s) != 9 || s[4] != '.' || !allDigits(s[:4]) || !allDigits(s[5:]) {
		return 0, fmt.Errorf("CSS date %q is not of the form YYYY.MMDD (for example 2022.1201)", s)
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[7:])
	if !validDate(y, time.Month(m), d) {
		return 0, fmt.Errorf("CSS date %q is not a calendar date", s)
	}
	return CSSDate(y*10000 + m*100 + d), nil
}

// CSSDateOf returns the CSS date of a calendar day.
func CSSDateOf(t time.Time) CSSDate {
	y, m, d := t.Date()
	return CSSDate(y*10000 + int(m)*100 + d)
}

// String writes the date the way license files and lmstat do: "2022.1201"; the zero date
// is "".
func (d CSSDate) String() string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("%04d.%02d%02d", uint32(d)/10000, uint32(d)/100%100, uint32(d)%100)
}

// Time returns the date as UTC midnight.
func (d CSSDate) Time() time.Time {
	return time.Date(int(d/10000), time.Month(d/100%100), int(d%100), 0, 0, 0, 0, time.UTC)
}

var monthNames = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// ParseDate parses a license-file date: dd-mmm-yyyy with an English three-letter month in any
// case ("07-may-2006", "18-Dec-2005"), or "permanent" in any case ("exp_date": "If the exp_date
// field contains the text string permanent, the license never expires"). A one-digit day is
// the date it says: "License file issues" (LIC-2556) reports D-MMM-YYYY dates wrongly shown as
// permanent, and licd never repeats that. Dates are UTC midnight; an expiry date means usable
// through the end of that day (see Expired).
func ParseDate(s string) (t time.Time, permanent bool, err error) {
	if strings.EqualFold(s, "permanent") {
		return time.Time{}, true, nil
	}
	parts := strings.Split(s, "-")
	if len(parts) != 3 || len(parts[0]) < 1 || len(parts[0]) > 2 || !allDigits(parts[0]) ||
		len(parts[2]) != 4 || !allDigits(parts[2]) {
		return time.Time{}, false, fmt.Errorf("date %q is not dd-mmm-yyyy (for example 07-may-2006) or \"permanent\"", s)
	}
	month := 0
	for i, name := range monthNames {
		if strings.EqualFold(parts[1], name) {
			month = i + 1
		}
	}
	if month == 0 {
		return time.Time{}, false, fmt.Errorf("date %q: month %q is not one of jan, feb, ..., dec", s, parts[1])
	}
	day, _ := strconv.Atoi(parts[0])
	year, _ := strconv.Atoi(parts[2])
	if !validDate(year, time.Month(month), day) {
		return time.Time{}, false, fmt.Errorf("date %q is not a calendar date", s)
	}
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), false, nil
}

// FormatDate writes a date the way license files do: "01-dec-2022".
func FormatDate(t time.Time) string {
	return fmt.Sprintf("%02d-%s-%04d", t.Day(), monthNames[t.Month()-1], t.Year())
}

// formatExpiry writes an exp_date field.
func formatExpiry(t time.Time, permanent bool) string {
	if permanent {
		return "permanent"
	}
	return FormatDate(t)
}

// Expired reports whether a license that expires on the day of expiry (UTC midnight, as
// ParseDate returns it) is past its last usable day at now. A permanent license never
// expires.
func Expired(expiry time.Time, permanent bool, now time.Time) bool {
	if permanent {
		return false
	}
	return !now.Before(expiry.AddDate(0, 0, 1))
}

func validDate(y int, m time.Month, d int) bool {
	if y < 1 || m < 1 || m > 12 || d < 1 {
		return false
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return t.Year() == y && t.Month() == m && t.Day() == d
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
