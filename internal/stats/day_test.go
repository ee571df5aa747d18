package stats_test

import (
	"testing"
	"time"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestDayOf(t *testing.T) {
	tests := []struct {
		at   string
		want stats.Day
		str  string
	}{
		{"1970-01-01T00:00:00Z", 0, "1970-01-01"},
		{"1970-01-01T23:59:59.999999999Z", 0, "1970-01-01"},
		{"1970-01-02T05:00:00Z", 1, "1970-01-02"},
		{"1969-12-31T23:59:59Z", -1, "1969-12-31"},         // floor, not truncation toward 0
		{"1969-12-31T23:59:59.5Z", -1, "1969-12-31"},       // sub-second before epoch
		{"1969-12-31T00:00:00Z", -1, "1969-12-31"},         // exact start of a negative day
		{"1969-12-30T23:59:59Z", -2, "1969-12-30"},         //
		{"2024-01-01T00:00:00Z", 19723, "2024-01-01"},      // 54 years: 54·365 + 13 leap days = 19723
		{"2024-03-10T23:30:00-05:00", 19793, "2024-03-11"}, // 04:30Z next day: UTC decides
		{"2024-03-11T01:00:00+02:00", 19792, "2024-03-10"}, // 23:00Z previous day
		{"2024-02-29T12:00:00Z", 19782, "2024-02-29"},      // leap day: 19723 + 31 + 28
	}
	for _, tt := range tests {
		got := stats.DayOf(mustTime(t, tt.at))
		if got != tt.want || got.String() != tt.str {
			t.Errorf("DayOf(%s) = %d %q, want %d %q", tt.at, got, got, tt.want, tt.str)
		}
		if p, err := stats.ParseDay(tt.str); err != nil || p != tt.want {
			t.Errorf("ParseDay(%q) = %d, %v", tt.str, p, err)
		}
		if start := tt.want.Start(); stats.DayOf(start) != tt.want || start.Format(time.RFC3339) != tt.str+"T00:00:00Z" {
			t.Errorf("Start(%d) = %s", tt.want, start)
		}
	}
}

func TestParseDayRejects(t *testing.T) {
	for _, s := range []string{"", "2024-1-02", "2024-01-2", "24-01-02", "2024/01/02", "2024-02-30",
		"2023-02-29", "2024-13-01", "2024-01-02T00:00:00Z", " 2024-01-02", "2024-01-02 "} {
		if d, err := stats.ParseDay(s); err == nil {
			t.Errorf("ParseDay(%q) = %v, want error", s, d)
		}
	}
}

func TestDayRoundTrip(t *testing.T) {
	// Every day from 1900 to 2100 (and around the epoch) survives String/ParseDay and Start/DayOf.
	first, _ := stats.ParseDay("1900-01-01")
	last, _ := stats.ParseDay("2100-12-31")
	for d := first; d <= last; d++ {
		if p, err := stats.ParseDay(d.String()); err != nil || p != d {
			t.Fatalf("ParseDay(%q) = %d, %v; want %d", d, p, err, d)
		}
		if got := stats.DayOf(d.Start().Add(24*time.Hour - time.Nanosecond)); got != d {
			t.Fatalf("last instant of %s is in %s", d, got)
		}
	}
}

func TestWindows(t *testing.T) {
	now := mustTime(t, "2024-03-10T15:04:05Z")
	w := stats.CurrentWindow(now, 7)
	if got := w.String(); got != "2024-03-04..2024-03-10" { // 10-7+1 = 4
		t.Errorf("CurrentWindow(7) = %s", got)
	}
	if w.Days() != 7 {
		t.Errorf("Days = %d", w.Days())
	}
	if got := w.Previous().String(); got != "2024-02-26..2024-03-03" { // 7 days before the 4th, across Feb 29
		t.Errorf("Previous = %s", got)
	}
	one := stats.CurrentWindow(now, 1)
	if one.First != one.Last || one.Last != stats.DayOf(now) {
		t.Errorf("1-day window = %s", one)
	}
	ninety := stats.CurrentWindow(now, 90)
	if got := ninety.String(); got != "2023-12-12..2024-03-10" { // 10 Mar + 29 Feb + 31 Jan + 20 Dec = 90
		t.Errorf("90-day window = %s", got)
	}
	if got := ninety.Previous().String(); got != "2023-09-13..2023-12-11" {
		t.Errorf("90-day previous = %s", got)
	}
	for _, days := range []int{0, -3} {
		e := stats.CurrentWindow(now, days)
		if e.Days() != 0 || e.Contains(stats.DayOf(now)) || e.Previous().Days() != 0 {
			t.Errorf("CurrentWindow(%d) = %s not empty", days, e)
		}
	}
	for _, c := range []struct {
		day  string
		want bool
	}{{"2024-03-03", false}, {"2024-03-04", true}, {"2024-03-10", true}, {"2024-03-11", false}} {
		d, _ := stats.ParseDay(c.day)
		if w.Contains(d) != c.want {
			t.Errorf("Contains(%s) = %v", c.day, !c.want)
		}
	}
}

func TestRetentionCutoff(t *testing.T) {
	tests := []struct {
		now       string
		retention time.Duration
		want      string
	}{
		{"2024-03-10T15:00:00Z", 48 * time.Hour, "2024-03-08"},       // now-48h = 03-08T15:00; 03-07 ended at 03-08T00:00
		{"2024-03-10T00:00:00Z", 48 * time.Hour, "2024-03-08"},       // now-48h = 03-08T00:00 exactly: 03-07 ended at it
		{"2024-03-10T00:00:00Z", 48*time.Hour + 1, "2024-03-07"},     // 1ns more: 03-07's last instant is still inside
		{"2024-03-10T15:00:00Z", 0, "2024-03-10"},                    // nothing but today
		{"2024-03-10T15:00:00Z", -time.Hour, "2024-03-10"},           // negative counts as 0
		{"2024-03-10T15:00:00Z", 180 * 24 * time.Hour, "2023-09-12"}, // 180 days back
		{"1970-01-02T01:00:00Z", 48 * time.Hour, "1969-12-31"},       // before the epoch
	}
	for _, tt := range tests {
		if got := stats.RetentionCutoff(mustTime(t, tt.now), tt.retention).String(); got != tt.want {
			t.Errorf("RetentionCutoff(%s, %v) = %s, want %s", tt.now, tt.retention, got, tt.want)
		}
	}
	// With retention of two windows, the current and the previous window are kept.
	now := mustTime(t, "2024-03-10T15:04:05Z")
	w := stats.CurrentWindow(now, 90)
	if cut := stats.RetentionCutoff(now, 2*90*24*time.Hour); cut > w.Previous().First {
		t.Errorf("cutoff %s trims previous window %s", cut, w.Previous())
	}
}

func TestNextDayBoundary(t *testing.T) {
	tests := []struct{ now, want string }{
		{"2024-03-10T15:04:05Z", "2024-03-11T00:00:00Z"},
		{"2024-03-11T00:00:00Z", "2024-03-12T00:00:00Z"}, // at midnight: the next one, strictly after
		{"2024-03-10T23:59:59.999999999Z", "2024-03-11T00:00:00Z"},
		{"2024-02-28T10:00:00+05:00", "2024-02-29T00:00:00Z"}, // 05:00Z on the 28th
		{"1969-12-31T12:00:00Z", "1970-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		got := stats.NextDayBoundary(mustTime(t, tt.now))
		if got.Format(time.RFC3339Nano) != tt.want || got.Location() != time.UTC {
			t.Errorf("NextDayBoundary(%s) = %s", tt.now, got.Format(time.RFC3339Nano))
		}
	}
}
