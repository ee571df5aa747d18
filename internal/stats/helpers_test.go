package stats_test

import (
	"math"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

var (
	nps    = stats.Scale{Min: 0, Max: 10}
	five   = stats.Scale{Min: 1, Max: 5}
	seven  = stats.Scale{Min: 1, Max: 7}
	signed = stats.Scale{Min: -3, Max: 3}
	nan    = math.NaN()
)

// z95 is Φ⁻¹(0.975), the 95% two-sided normal critical value.
const z95 = 1.959963985

// mustTally builds a tally from String's "score:count" form.
func mustTally(tb testing.TB, s stats.Scale, text string) stats.Tally {
	tb.Helper()
	t, err := stats.ParseTally(s, text)
	if err != nil {
		tb.Fatalf("ParseTally(%v, %q): %v", s, text, err)
	}
	return t
}

// tallyOf builds a tally from explicit counts (for counts that are awkward
// to write as text, like 4e18).
func tallyOf(tb testing.TB, s stats.Scale, pairs ...int64) stats.Tally {
	tb.Helper()
	t := stats.NewTally(s)
	for i := 0; i < len(pairs); i += 2 {
		if err := t.Add(int(pairs[i]), pairs[i+1]); err != nil {
			tb.Fatalf("Add(%d, %d): %v", pairs[i], pairs[i+1], err)
		}
	}
	return t
}

// near reports whether got equals want within the relative tolerance tol
// (plus 1e-15 absolute, for values that should be 0); NaN equals only NaN,
// ±Inf only itself.
func near(got, want, tol float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	if math.IsInf(want, 0) || math.IsInf(got, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*math.Abs(want)+1e-15
}

func checkNear(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if !near(got, want, tol) {
		t.Errorf("%s = %.12g, want %.12g (±%g)", name, got, want, tol)
	}
}
