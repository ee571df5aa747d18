package stats

import (
	"fmt"
	"time"
)

const secondsPerDay = 24 * 60 * 60

// Day is a UTC calendar day, counted in days since 1970-01-01.
//
// Responses are tallied per Day; a window score is the merge of its days'
// tallies. Using UTC days keeps the buckets independent of any time zone
// and of daylight-saving jumps.
type Day int

// DayOf returns the UTC day containing t, e.g. 1970-01-02T05:00:00Z → 1 and
// 1969-12-31T23:59:59Z → -1.
func DayOf(t time.Time) Day {
	// Unix() is already floored to the second; floor again to the day so
	// instants before 1970 land in the right day.
	s := t.Unix()
	d := s / secondsPerDay
	if s%secondsPerDay < 0 {
		d--
	}
	return Day(d)
}

// ParseDay parses "2006-01-02" (e.g. "1970-01-11" → 10). It rejects anything
// else, including impossible dates such as "2023-02-29".
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("score: invalid day %q (want YYYY-MM-DD): %w", s, err)
	}
	return DayOf(t), nil
}

// String formats d as "2006-01-02", e.g. Day(19723) → "2024-01-01".
func (d Day) String() string { return d.Start().Format(time.DateOnly) }

// Start returns 00:00:00 UTC of d.
func (d Day) Start() time.Time { return time.Unix(int64(d)*secondsPerDay, 0).UTC() }

// Window is an inclusive range of days. A window with Last < First is empty.
type Window struct{ First, Last Day }

// CurrentWindow is the rolling window of `days` days ending with the day containing now (inclusive): [today-days+1, today].
//
// Example: now 2024-03-10T15:04:05Z, days 7 → 2024-03-04..2024-03-10.
// days < 1 gives an empty window (Days() == 0).
func CurrentWindow(now time.Time, days int) Window {
	today := DayOf(now)
	days = max(days, 0)
	return Window{First: today - Day(days) + 1, Last: today}
}

// Previous returns the window of the same number of days immediately before
// w, the baseline a trend is measured against.
// Example: 2024-03-04..2024-03-10 → 2024-02-26..2024-03-03.
func (w Window) Previous() Window {
	n := Day(w.Days())
	return Window{First: w.First - n, Last: w.First - 1}
}

// Days returns the number of days in w (0 when empty).
func (w Window) Days() int {
	if w.Last < w.First {
		return 0
	}
	return int(w.Last-w.First) + 1
}

// Contains reports whether d lies in w.
func (w Window) Contains(d Day) bool { return w.First <= d && d <= w.Last }

// String returns "First..Last", e.g. "2024-03-04..2024-03-10".
func (w Window) String() string { return w.First.String() + ".." + w.Last.String() }

// RetentionCutoff returns the first day kept: days strictly before it are entirely older than now-retention and may be trimmed.
//
// A day is trimmed only when it ended at or before now-retention, so a day
// that is partly inside the retention period is kept. Example: now
// 2024-03-10T15:00Z, retention 48h → now-retention = 2024-03-08T15:00Z →
// cutoff 2024-03-08 (2024-03-07 ended at 03-08T00:00Z and may go).
// A negative retention is treated as 0.
//
// To compare a window with its Previous one, retention must cover both:
// at least 2·days·24h.
func RetentionCutoff(now time.Time, retention time.Duration) Day {
	retention = max(retention, 0)
	return DayOf(now.Add(-retention))
}

// NextDayBoundary returns the start of the next UTC day after now (when a window slides).
// Example: 2024-03-10T15:04:05Z → 2024-03-11T00:00:00Z; exactly midnight
// 2024-03-11T00:00:00Z → 2024-03-12T00:00:00Z (always strictly after now).
func NextDayBoundary(now time.Time) time.Time { return (DayOf(now) + 1).Start() }
