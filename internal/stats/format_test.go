package stats_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		v        float64
		decimals int
		want     string
	}{
		{42.06, 1, "42.1"},                  // 0.06 ≥ 0.05 rounds up
		{42.04, 1, "42"},                    // rounds down to 42.0, trailing zero dropped
		{-0.04, 1, "0"},                     // -0.0 normalised
		{-0.05, 1, "-0.1"},                  // half away from zero
		{0.05, 1, "0.1"},                    //
		{0.15, 1, "0.2"},                    // binary 0.1499999… but prints as 0.15: half rounds up
		{2.675, 2, "2.68"},                  // binary 2.67499999…
		{1.005, 2, "1.01"},                  //
		{-2.5, 0, "-3"},                     // half away from zero, not to even
		{2.5, 0, "3"},                       //
		{0.5, 0, "1"},                       //
		{-0.5, 0, "-1"},                     //
		{-0.4, 0, "0"},                      //
		{99.96, 1, "100"},                   // carry into a new digit
		{-99.96, 1, "-100"},                 //
		{9.995, 2, "10"},                    //
		{40, 1, "40"},                       //
		{0, 2, "0"},                         //
		{math.Copysign(0, -1), 2, "0"},      // negative zero
		{15.679711876, 2, "15.68"},          // NPS MOE
		{-100, 1, "-100"},                   //
		{33.333333, 1, "33.3"},              //
		{1e-7, 3, "0"},                      // tiny
		{1e21, 0, "1000000000000000000000"}, // no exponent
		{123.456, -1, "123"},                // negative decimals count as 0
		{0.125, 10, "0.125"},                // more decimals than digits: nothing to round
		{nan, 1, ""},                        // undefined
		{math.Inf(1), 1, ""},                //
		{math.Inf(-1), 1, ""},               //
	}
	for _, tt := range tests {
		if got := stats.Format(tt.v, tt.decimals); got != tt.want {
			t.Errorf("Format(%v, %d) = %q, want %q", tt.v, tt.decimals, got, tt.want)
		}
	}
}

// TestFormatProperties: the text parses back to within half a unit of the
// last place of v, never reads "-0", and matches math.Round where the
// input is an exact multiple of a half unit away from ambiguity.
func TestFormatProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		v := (rng.Float64()*2 - 1) * math.Pow(10, float64(rng.IntN(8)-3))
		d := rng.IntN(5)
		s := stats.Format(v, d)
		got, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("Format(%v, %d) = %q: %v", v, d, s, err)
		}
		unit := math.Pow(10, -float64(d))
		if math.Abs(got-v) > unit/2*(1+1e-9) {
			t.Fatalf("Format(%v, %d) = %q, off by more than half a unit", v, d, s)
		}
		if s == "-0" || (got == 0 && s != "0") {
			t.Fatalf("Format(%v, %d) = %q", v, d, s)
		}
		if len(s) > 1 && s[len(s)-1] == '0' && containsDot(s) {
			t.Fatalf("Format(%v, %d) = %q keeps a trailing zero", v, d, s)
		}
	}
}

func containsDot(s string) bool {
	for i := range len(s) {
		if s[i] == '.' {
			return true
		}
	}
	return false
}

// TestFormatSignificant is the table Touchpoint values were checked
// against before they shared this formatter.
func TestFormatSignificant(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{42.5, "42.5"},
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{10000, "10000"},
		{0.7, "0.7"},
		{0.08, "0.08"},
		{1.0 / 3, "0.333333"},
		{2.0 / 3, "0.666667"},
		{1234567.8, "1234570"},
		{-17.25, "-17.25"},
		{0.1 + 0.2, "0.3"},
		{999999.5, "1000000"}, // carry into a new digit
		{1e-9, "1e-09"},
		{2.5e15, "2.5e+15"},
		{math.NaN(), ""},
		{math.Inf(1), ""},
		{math.Inf(-1), ""},
	} {
		if got := stats.FormatSignificant(tc.in, 6); got != tc.want {
			t.Errorf("FormatSignificant(%v, 6) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFormatWhereTheOldFormattersDisagreed pins the cases on which the
// three formatters Touchstone had before (Survey, Touchpoint, Scorecard)
// gave different answers: strconv's half-to-even made 3.125 read "3.12"
// for a Scorecard and "3.13" for a Survey, NaN read "NaN" in a Scorecard
// and "" elsewhere.
func TestFormatWhereTheOldFormattersDisagreed(t *testing.T) {
	for _, tc := range []struct {
		v           float64
		two, four   string // Format(v, 2) and Format(v, 4): Survey and Scorecard precisions
		significant string // FormatSignificant(v, 6): Touchpoint precision
	}{
		{3.125, "3.13", "3.125", "3.125"},
		{-3.125, "-3.13", "-3.125", "-3.125"},
		{0.00005, "0", "0.0001", "0.00005"},
		{1e9, "1000000000", "1000000000", "1000000000"},
		{math.NaN(), "", "", ""},
		{math.Inf(1), "", "", ""},
		{math.Inf(-1), "", "", ""},
	} {
		if got := stats.Format(tc.v, 2); got != tc.two {
			t.Errorf("Format(%v, 2) = %q, want %q", tc.v, got, tc.two)
		}
		if got := stats.Format(tc.v, 4); got != tc.four {
			t.Errorf("Format(%v, 4) = %q, want %q", tc.v, got, tc.four)
		}
		if got := stats.FormatSignificant(tc.v, 6); got != tc.significant {
			t.Errorf("FormatSignificant(%v, 6) = %q, want %q", tc.v, got, tc.significant)
		}
	}
}
