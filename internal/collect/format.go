package collect

import (
	"math"
	"strconv"
)

// SignificantDigits is how many significant digits a value keeps in status.
const SignificantDigits = 6

// FormatValue renders a metric value for status: rounded to six
// significant digits, in plain decimal notation between 1e-6 and 1e15 and
// in exponent notation outside, trailing zeros dropped, "" for NaN and
// ±Inf (no value).
//
// Examples: 42.5 → "42.5", 0.1234567 → "0.123457", 1234567.8 → "1234570",
// 1e-9 → "1e-09", -0.0 → "0".
func FormatValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	if v == 0 {
		return "0"
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', SignificantDigits, 64), 64)
	if err != nil || math.IsInf(r, 0) {
		r = v
	}
	if a := math.Abs(r); a < 1e-6 || a >= 1e15 {
		return strconv.FormatFloat(r, 'g', -1, 64)
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}
