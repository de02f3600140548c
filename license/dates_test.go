package license

import (
	"testing"
	"time"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseDate(t *testing.T) {
	tests := []struct {
		in        string
		want      time.Time
		permanent bool
		wantErr   bool
	}{
		{"07-may-2006", day(2006, 5, 7), false, false},
		{"18-Dec-2005", day(2005, 12, 18), false, false},
		{"01-DEC-2022", day(2022, 12, 1), false, false},
		// "License file issues" LIC-2556: D-MMM-YYYY is the date it says, never permanent.
		{"6-jun-2007", day(2007, 6, 6), false, false},
		{"1-dec-2012", day(2012, 12, 1), false, false},
		{"permanent", time.Time{}, true, false},
		{"PERMANENT", time.Time{}, true, false},
		{"Permanent", time.Time{}, true, false},
		{"29-feb-2024", day(2024, 2, 29), false, false},
		{"29-feb-2023", time.Time{}, false, true},
		{"31-apr-2020", time.Time{}, false, true},
		{"00-jan-2020", time.Time{}, false, true},
		{"001-jan-2020", time.Time{}, false, true},
		{"01-jan-20", time.Time{}, false, true},
		{"01-janu-2020", time.Time{}, false, true},
		{"2020-01-01", time.Time{}, false, true},
		{"01/jan/2020", time.Time{}, false, true},
		{"", time.Time{}, false, true},
		{"never", time.Time{}, false, true},
	}
	for _, tt := range tests {
		got, perm, err := ParseDate(tt.in)
		if (err != nil) != tt.wantErr || perm != tt.permanent || !got.Equal(tt.want) {
			t.Errorf("ParseDate(%q) = %v, %v, %v; want %v, %v, error %v", tt.in, got, perm, err, tt.want, tt.permanent, tt.wantErr)
		}
	}
}

func TestParseCSSDate(t *testing.T) {
	tests := []struct {
		in      string
		want    CSSDate
		wantErr bool
	}{
		{"2022.1201", 20221201, false},
		{"2038.0101", 20380101, false},
		{"2024.0229", 20240229, false},
		{"2023.0229", 0, true},
		{"2022.1301", 0, true},
		{"2005.05", 0, true},
		{"2.0", 0, true},
		{"22.1201", 0, true},
		{"2022-1201", 0, true},
		{"2022.12011", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseCSSDate(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseCSSDate(%q) = %v, %v; want %v, error %v", tt.in, got, err, uint32(tt.want), tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("CSSDate(%d).String() = %q, want %q", uint32(got), got.String(), tt.in)
		}
	}
	if s := CSSDate(0).String(); s != "" {
		t.Errorf("zero CSSDate prints %q, want empty", s)
	}
	if got := CSSDateOf(day(2018, 12, 1)); got != 20181201 {
		t.Errorf("CSSDateOf = %d", got)
	}
}

func TestExpiryIsThroughTheEndOfTheDay(t *testing.T) {
	exp := day(2022, 12, 1)
	tests := []struct {
		now     time.Time
		expired bool
	}{
		{day(2022, 11, 30), false},
		{day(2022, 12, 1), false},
		{day(2022, 12, 1).Add(23*time.Hour + 59*time.Minute), false},
		{day(2022, 12, 2), true},
		{day(2023, 1, 1), true},
	}
	for _, tt := range tests {
		if got := Expired(exp, false, tt.now); got != tt.expired {
			t.Errorf("Expired(01-dec-2022, at %v) = %v, want %v", tt.now, got, tt.expired)
		}
	}
	if Expired(time.Time{}, true, day(9999, 1, 1)) {
		t.Error("a permanent license expired")
	}
}

func TestFormatDate(t *testing.T) {
	if got := FormatDate(day(2006, 5, 7)); got != "07-may-2006" {
		t.Errorf("FormatDate = %q", got)
	}
}
