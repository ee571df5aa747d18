package stats_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

// FuzzParseTally: ParseTally never panics; whatever it accepts is valid and
// is exactly what String prints back (so only the canonical form passes);
// whatever it rejects comes with a positioned error and an empty tally.
func FuzzParseTally(f *testing.F) {
	for _, seed := range []string{
		"", "0:3 9:12 10:40", "10:1", "-3:2 0:5 3:1", "5:9223372036854775807",
		"1:9223372036854775807 2:1", "0:1  3:1", " 0:1", "0:1 ", "3:0", "03:1", "3:01",
		"-0:1", "+3:1", "3:-1", "5:1 3:1", "5:1 5:1", "11:4", "3", ":", "3:1:1", "0:1\t3:1",
		"99999999999999999999:1", "-9223372036854775808:1", "٣:1",
	} {
		f.Add(false, seed)
		f.Add(true, seed)
	}
	f.Fuzz(func(t *testing.T, signedScale bool, text string) {
		s := nps
		if signedScale {
			s = signed
		}
		tl, err := stats.ParseTally(s, text)
		if err != nil {
			if tl.N() != 0 || tl.Scale != s {
				t.Fatalf("ParseTally(%q) returned %q with error %v", text, tl.String(), err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "score: pair ") {
				t.Fatalf("ParseTally(%q) error %q does not say where", text, msg)
			}
			return
		}
		if err := tl.Validate(); err != nil {
			t.Fatalf("ParseTally(%q) accepted an invalid tally: %v", text, err)
		}
		if got := tl.String(); got != text {
			t.Fatalf("ParseTally(%q).String() = %q: accepted a non-canonical form", text, got)
		}
		back, err := stats.ParseTally(s, tl.String())
		if err != nil || !back.Equal(tl) {
			t.Fatalf("re-parse of %q: %v", text, err)
		}
	})
}

// FuzzFormat: Format never panics, gives "" exactly for NaN and ±Inf,
// never "-0", and stays within half a unit of the last place.
func FuzzFormat(f *testing.F) {
	for _, v := range []float64{0, -0.04, 42.06, 0.15, 2.675, 99.96, -99.96, 1e21, 5e-324, math.MaxFloat64, math.NaN()} {
		f.Add(v, uint8(1))
		f.Add(v, uint8(4))
	}
	f.Fuzz(func(t *testing.T, v float64, d uint8) {
		decimals := int(d % 20)
		s := stats.Format(v, decimals)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if s != "" {
				t.Fatalf("Format(%v) = %q, want \"\"", v, s)
			}
			return
		}
		got, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("Format(%v, %d) = %q: %v", v, decimals, s, err)
		}
		if s == "-0" || got == 0 && s != "0" {
			t.Fatalf("Format(%v, %d) = %q", v, decimals, s)
		}
		unit := math.Pow(10, -float64(decimals))
		// The rounding is done on v's shortest decimal, which is itself within
		// an ulp of v; allow for both.
		if math.Abs(got-v) > unit/2+4*math.Abs(v)*0x1p-52 {
			t.Fatalf("Format(%v, %d) = %q, more than half a unit off", v, decimals, s)
		}
	})
}
