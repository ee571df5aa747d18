package collect

import (
	"math"
	"testing"
)

func TestFormatValue(t *testing.T) {
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
		{1e-9, "1e-09"},
		{2.5e15, "2.5e+15"},
		{math.NaN(), ""},
		{math.Inf(1), ""},
		{math.Inf(-1), ""},
	} {
		if got := FormatValue(tc.in); got != tc.want {
			t.Errorf("FormatValue(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
