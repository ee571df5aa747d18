package stats

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxPoints is the largest number of points a Scale may have (0..100 is the
// widest survey scale in use). The bound keeps every per-tally loop, and the
// memory a parsed tally may claim, small and fixed.
const MaxPoints = 101

// Scale is an inclusive integer range of accepted scores, e.g. {0,10} for NPS.
type Scale struct{ Min, Max int }

// Points returns the number of scale points, Max-Min+1, e.g. 11 for {0,10}.
// It returns 0 when Max < Min or the count does not fit in an int.
func (s Scale) Points() int {
	if s.Max < s.Min {
		return 0
	}
	// Unsigned subtraction is exact for Max >= Min even when Max-Min overflows int.
	d := uint(s.Max) - uint(s.Min)
	if d >= math.MaxInt {
		return 0
	}
	return int(d) + 1
}

// Valid reports whether s has between 1 and MaxPoints points.
func (s Scale) Valid() bool {
	p := s.Points()
	return p >= 1 && p <= MaxPoints
}

// Contains reports whether v lies in [Min, Max].
func (s Scale) Contains(v int) bool { return s.Min <= v && v <= s.Max }

// String returns "Min..Max", e.g. "0..10".
func (s Scale) String() string { return strconv.Itoa(s.Min) + ".." + strconv.Itoa(s.Max) }

// Tally counts responses per scale point.
//
// The zero Counts (nil) is an empty tally; otherwise len(Counts) ==
// Scale.Points(). Counts are never negative and their total fits in int64.
type Tally struct {
	Scale  Scale
	Counts []int64 // Counts[i] = responses with score Scale.Min+i; len == Scale.Points() (nil allowed when empty)
}

// NewTally returns an empty tally on s with Counts already sized, so later
// Merges into it do not allocate. For an invalid scale Counts stays nil and
// every Add or Merge reports the scale as invalid.
func NewTally(s Scale) Tally {
	if !s.Valid() {
		return Tally{Scale: s}
	}
	return Tally{Scale: s, Counts: make([]int64, s.Points())}
}

var errOverflow = errors.New("score: total count overflows int64")

// Validate reports why t is not a well-formed tally: invalid scale, Counts of
// the wrong length, a negative count or a total that overflows int64.
// It does not allocate when t is valid.
func (t Tally) Validate() error {
	if !t.Scale.Valid() {
		return fmt.Errorf("score: invalid scale %v (need Min <= Max and at most %d points)", t.Scale, MaxPoints)
	}
	if len(t.Counts) != 0 && len(t.Counts) != t.Scale.Points() {
		return fmt.Errorf("score: tally on scale %v has %d counts, want %d", t.Scale, len(t.Counts), t.Scale.Points())
	}
	var total int64
	for i, c := range t.Counts {
		if c < 0 {
			return fmt.Errorf("score: negative count %d for score %d", c, t.Scale.Min+i)
		}
		if c > math.MaxInt64-total {
			return errOverflow
		}
		total += c
	}
	return nil
}

// Add records n more responses with the given score.
// It fails when score is outside the scale, n < 0 or the total would overflow.
func (t *Tally) Add(score int, n int64) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if !t.Scale.Contains(score) {
		return fmt.Errorf("score: score %d outside scale %v", score, t.Scale)
	}
	if n < 0 {
		return fmt.Errorf("score: negative response count %d for score %d", n, score)
	}
	if n == 0 {
		return nil
	}
	if n > math.MaxInt64-t.N() {
		return errOverflow
	}
	if len(t.Counts) == 0 {
		t.Counts = make([]int64, t.Scale.Points())
	}
	t.Counts[score-t.Scale.Min] += n
	return nil
}

// Merge adds o's counts to t. Merging is how day tallies become a window
// tally; it is commutative and associative. It fails, leaving t unchanged,
// when the scales differ, either tally is malformed or the total would
// overflow. It does not allocate when t.Counts is already sized.
func (t *Tally) Merge(o Tally) error {
	if t.Scale != o.Scale {
		return fmt.Errorf("score: cannot merge tally on scale %v into tally on scale %v", o.Scale, t.Scale)
	}
	if err := t.Validate(); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if len(o.Counts) == 0 {
		return nil
	}
	if t.N() > math.MaxInt64-o.N() {
		return errOverflow
	}
	if len(t.Counts) == 0 {
		t.Counts = make([]int64, len(o.Counts))
	}
	for i, c := range o.Counts {
		t.Counts[i] += c
	}
	return nil
}

// Reset zeroes every count but keeps Counts' storage for reuse.
func (t *Tally) Reset() { clear(t.Counts) }

// Clone returns a copy of t that shares no storage with it.
func (t Tally) Clone() Tally {
	if t.Counts == nil {
		return Tally{Scale: t.Scale}
	}
	return Tally{Scale: t.Scale, Counts: append([]int64(nil), t.Counts...)}
}

// Equal reports whether t and o have the same scale and the same count at
// every score; nil Counts equal all-zero Counts.
func (t Tally) Equal(o Tally) bool {
	if t.Scale != o.Scale {
		return false
	}
	for i := range max(len(t.Counts), len(o.Counts)) {
		var a, b int64
		if i < len(t.Counts) {
			a = t.Counts[i]
		}
		if i < len(o.Counts) {
			b = o.Counts[i]
		}
		if a != b {
			return false
		}
	}
	return true
}

// N returns the total number of responses.
func (t Tally) N() int64 {
	var n int64
	for _, c := range t.Counts {
		n += c
	}
	return n
}

// Count returns the responses with exactly the given score (0 outside the scale).
func (t Tally) Count(score int) int64 {
	if !t.Scale.Contains(score) {
		return 0
	}
	i := score - t.Scale.Min
	if i >= len(t.Counts) {
		return 0
	}
	return t.Counts[i]
}

// CountBetween returns the responses with lo <= score <= hi.
func (t Tally) CountBetween(lo, hi int) int64 {
	lo, hi = max(lo, t.Scale.Min), min(hi, t.Scale.Max)
	if lo > hi {
		return 0
	}
	// Both ends now lie inside the scale, so the offsets cannot overflow.
	var n int64
	for i := lo - t.Scale.Min; i <= hi-t.Scale.Min && i < len(t.Counts); i++ {
		n += t.Counts[i]
	}
	return n
}

// AtOrAbove returns the responses with score >= threshold, e.g. the
// "satisfied" responses of CSAT.
func (t Tally) AtOrAbove(threshold int) int64 { return t.CountBetween(threshold, t.Scale.Max) }

// String encodes only non-zero counts as space-separated "score:count" pairs in ascending score order, e.g. "0:3 9:12 10:40"; "" for an empty tally.
//
// This is the form tallies are stored in (e.g. in a status or ConfigMap):
// short for sparse data and exactly round-tripped by ParseTally.
func (t Tally) String() string {
	var buf []byte
	for i, c := range t.Counts {
		if c == 0 {
			continue
		}
		if len(buf) > 0 {
			buf = append(buf, ' ')
		}
		buf = strconv.AppendInt(buf, int64(t.Scale.Min+i), 10)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, c, 10)
	}
	return string(buf)
}

// ParseTally decodes String's form strictly: every score inside s, strictly
// ascending, no duplicates, each count a positive decimal int64 without sign
// or leading zeros, total must not overflow int64, single spaces only.
// "" is an empty tally. Scores are canonical decimal integers too ("-3", not
// "-03" or "+3"). Strictness makes the encoding canonical: a text parses
// only if String of the result gives the same text back.
//
// Errors say what is wrong and where, numbering pairs from 1, e.g.
//
//	pair 3 "11:4": score 11 outside scale 0..10
func ParseTally(s Scale, text string) (Tally, error) {
	if !s.Valid() {
		return Tally{Scale: s}, fmt.Errorf("score: invalid scale %v (need Min <= Max and at most %d points)", s, MaxPoints)
	}
	t := NewTally(s)
	if text == "" {
		return t, nil
	}
	var total int64
	prev := 0
	for pair, rest := 1, text; ; pair++ {
		field, tail, more := strings.Cut(rest, " ")
		score, count, why := parsePair(field)
		switch {
		case why != "":
		case !s.Contains(score):
			why = fmt.Sprintf("score %d outside scale %v", score, s)
		case pair > 1 && score == prev:
			why = fmt.Sprintf("duplicate score %d", score)
		case pair > 1 && score < prev:
			why = fmt.Sprintf("score %d after score %d (scores must be strictly ascending)", score, prev)
		case count > math.MaxInt64-total:
			why = "total count overflows int64"
		}
		if why != "" {
			return NewTally(s), fmt.Errorf("score: pair %d %q: %s", pair, field, why)
		}
		t.Counts[score-s.Min] = count
		total += count
		prev = score
		if !more {
			return t, nil
		}
		rest = tail
	}
}

// parsePair splits "score:count"; why is empty on success.
func parsePair(field string) (score int, count int64, why string) {
	if field == "" {
		return 0, 0, "empty pair (pairs are separated by single spaces, no leading or trailing space)"
	}
	st, ct, ok := strings.Cut(field, ":")
	if !ok {
		return 0, 0, `missing ":" between score and count`
	}
	neg := strings.HasPrefix(st, "-")
	digits := strings.TrimPrefix(st, "-")
	mag, why := parseDigits(digits)
	if why != "" {
		return 0, 0, "score " + why
	}
	switch {
	case neg && mag == 0:
		return 0, 0, `score "-0" is not canonical (write "0")`
	case neg && mag > -math.MinInt:
		return 0, 0, "score out of range"
	case !neg && mag > math.MaxInt:
		return 0, 0, "score out of range"
	}
	score = int(mag)
	if neg {
		score = int(-mag) // two's complement: exact down to MinInt
	}
	c, why := parseDigits(ct)
	switch {
	case why != "":
		return 0, 0, "count " + why
	case c == 0:
		return 0, 0, "count must be positive (zero counts are omitted)"
	case c > math.MaxInt64:
		return 0, 0, "count overflows int64"
	}
	return score, int64(c), ""
}

// parseDigits parses a canonical unsigned decimal: ASCII digits only, no sign,
// no leading zeros. Values above MaxUint64 are reported as out of range.
func parseDigits(s string) (uint64, string) {
	switch {
	case s == "":
		return 0, "is empty"
	case len(s) > 1 && s[0] == '0':
		return 0, "has a leading zero"
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Sprintf("has %q at offset %d (want decimal digits only)", c, i)
		}
		if v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, "is out of range"
		}
		v = v*10 + uint64(c-'0')
	}
	return v, ""
}
