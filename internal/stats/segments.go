package stats

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// OtherValue is the segment value that collects folded values. A value
// literally named "other" is always folded so it cannot be confused with
// the bucket.
const OtherValue = "other"

// ValueTally is the tally of one segment value (e.g. region "eu-west").
type ValueTally struct {
	Value string
	Tally Tally
}

// CapValues keeps the `limit` values with the most responses (ties: lexicographically smaller value first) and merges the rest into one tally returned as other (other.N()==0 when nothing was folded). A value literally named "other" is always merged into other. kept is sorted by value.
//
// Capping bounds the number of series a segment dimension can produce
// (metric cardinality, status size) whatever users put in a label.
// Example: a:5, b:9, c:5, other:1 with limit 2 → kept [b, a] sorted as
// [a, b] (c ties a on 5 responses but "a" < "c"), other = c + other, N 6.
//
// kept shares Counts with the input tallies; other is newly allocated, on
// the values' scale, with sized Counts (the zero Tally when values is
// empty). Errors: limit < 0, a duplicate value, tallies on different scales
// or a malformed tally.
func CapValues(values []ValueTally, limit int) (kept []ValueTally, other Tally, err error) {
	if limit < 0 {
		return nil, Tally{}, fmt.Errorf("score: negative value cap %d", limit)
	}
	if len(values) == 0 {
		return nil, Tally{}, nil
	}
	s := values[0].Tally.Scale
	other = NewTally(s)
	type ranked struct {
		ValueTally
		n int64
	}
	rs := make([]ranked, 0, len(values))
	for _, v := range values {
		if v.Tally.Scale != s {
			return nil, Tally{}, fmt.Errorf("score: value %q has scale %v, value %q has %v", v.Value, v.Tally.Scale, values[0].Value, s)
		}
		if err := v.Tally.Validate(); err != nil {
			return nil, Tally{}, fmt.Errorf("value %q: %w", v.Value, err)
		}
		if v.Value == OtherValue {
			if err := other.Merge(v.Tally); err != nil {
				return nil, Tally{}, err
			}
			continue
		}
		rs = append(rs, ranked{v, v.Tally.N()})
	}
	slices.SortFunc(rs, func(a, b ranked) int { return strings.Compare(a.Value, b.Value) })
	for i := 1; i < len(rs); i++ {
		if rs[i].Value == rs[i-1].Value {
			return nil, Tally{}, fmt.Errorf("score: duplicate value %q", rs[i].Value)
		}
	}
	// Stable on value order: equal counts keep the smaller value first.
	slices.SortStableFunc(rs, func(a, b ranked) int { return cmp.Compare(b.n, a.n) })
	keep := min(limit, len(rs))
	kept = make([]ValueTally, 0, keep)
	for _, r := range rs[:keep] {
		kept = append(kept, r.ValueTally)
	}
	for _, r := range rs[keep:] {
		if err := other.Merge(r.Tally); err != nil {
			return nil, Tally{}, err
		}
	}
	slices.SortFunc(kept, func(a, b ValueTally) int { return strings.Compare(a.Value, b.Value) })
	return kept, other, nil
}
