package stats

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// MinimumSizeGroups are a segment's groups after the minimum group size:
// what may be published about them.
type MinimumSizeGroups struct {
	// Values are shown on their own, each with at least the minimum number
	// of responses, sorted by value.
	Values []ValueTally
	// Other holds every response folded: values past the cap, values
	// below the minimum, and the values folded to protect a smaller group.
	Other Tally
	// OtherScored says whether Other's score may be published. When false
	// only its count may be: it holds fewer than the minimum, or its score
	// would reveal, by subtraction from the survey's total, the score of
	// the few responses that carry no value for the segment.
	OtherScored bool
	// Folded counts the values folded because of the minimum (not those
	// past the cap).
	Folded int
}

// ApplyMinimumGroupSize enforces a k-anonymity floor of minN responses on
// one segment's groups: no group of 1..minN−1 responses has a score that
// can be read, or derived from the published numbers by subtraction.
//
// Input: the values kept apart (after CapValues), other (what was folded
// so far) and unassigned, the number of the window's responses that
// carry no value for this segment. The survey's total score is published
// too, so the groups that are not scored on their own (unassigned, and
// other when not scored) have a derivable score together. The rule:
//
//  1. primary suppression: every value with fewer than minN responses
//     folds into other;
//  2. other is scored only when it holds at least minN responses;
//  3. secondary suppression: while the unscored responses (unassigned,
//     plus other when it is not scored) number between 1 and minN−1,
//     either other stops being scored (when other is scored: that joins
//     its ≥ minN responses to them), or the smallest remaining value
//     (ties: the larger value name) folds into other.
//
// Example, minN 5: pro 9, free 6, team 3, unassigned 0. Step 1 folds team:
// other 3. Other is not scored and 3 responses are unscored: step 3 folds
// free (the smallest), other 9, scored; nothing is unscored. Published:
// pro 9 and other 9 — neither team's 3 nor free's score alone, because
// free's score would give team's from the total.
// With 2 responses without a plan, team's 3 and those 2 hide together (5,
// derivable only together): free stays, other is shown by its count only.
// With 2 unassigned and nothing in other, the smallest value folds so
// that they hide among its responses, and other is shown by its count.
//
// Values and Other of the result share no Counts with the input's tallies
// when they were merged (Other is a new tally). Errors: minN < 1, tallies
// on different scales.
func ApplyMinimumGroupSize(values []ValueTally, other Tally, unassigned, minN int64) (MinimumSizeGroups, error) {
	if minN < 1 {
		return MinimumSizeGroups{}, fmt.Errorf("score: minimum group size %d is below 1", minN)
	}
	if unassigned < 0 {
		return MinimumSizeGroups{}, fmt.Errorf("score: negative unassigned count %d", unassigned)
	}
	g := MinimumSizeGroups{Other: other.Clone()}
	if g.Other.Counts == nil && len(values) > 0 {
		g.Other = NewTally(values[0].Tally.Scale)
	}
	for _, v := range values {
		if v.Tally.N() >= minN {
			g.Values = append(g.Values, v)
			continue
		}
		if err := g.Other.Merge(v.Tally); err != nil {
			return MinimumSizeGroups{}, fmt.Errorf("value %q: %w", v.Value, err)
		}
		g.Folded++
	}
	// Largest first, so the smallest is at the end (ties: the larger name
	// last, so it folds first).
	slices.SortFunc(g.Values, func(a, b ValueTally) int {
		if c := cmp.Compare(b.Tally.N(), a.Tally.N()); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	for {
		g.OtherScored = g.Other.N() >= minN
		hidden := unassigned
		if !g.OtherScored {
			hidden += g.Other.N()
		}
		if hidden == 0 || hidden >= minN {
			break
		}
		if g.OtherScored {
			g.OtherScored = false
			break
		}
		if len(g.Values) == 0 {
			// Every response of the segment is unscored: the survey's
			// own total is all there is, and it is published anyway.
			break
		}
		last := g.Values[len(g.Values)-1]
		if err := g.Other.Merge(last.Tally); err != nil {
			return MinimumSizeGroups{}, fmt.Errorf("value %q: %w", last.Value, err)
		}
		g.Values = g.Values[:len(g.Values)-1]
		g.Folded++
	}
	slices.SortFunc(g.Values, func(a, b ValueTally) int { return strings.Compare(a.Value, b.Value) })
	return g, nil
}
