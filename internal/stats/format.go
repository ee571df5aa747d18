package stats

import (
	"math"
	"strconv"
	"strings"
)

// Format and FormatSignificant are the one way Touchstone renders a number
// for people: Survey status, Touchpoint values, Scorecard scores and the
// text of generated alert rules. Both follow the same two rules:
//
//   - rounding is half away from zero, done on the shortest decimal that
//     identifies v (the digits strconv.FormatFloat(v, 'f', -1, 64) prints),
//     so what a reader sees is what gets rounded: 0.15 → "0.2" and
//     3.125 → "3.13" (strconv alone would give 3.12, rounding half to even);
//   - an undefined number (NaN, ±Inf) is "", never "NaN" or "0".
//
// Trailing zeros and a bare point are dropped, and "-0" reads "0".

// Format renders v rounded to `decimals` places.
//
// Examples: Format(42.06, 1) == "42.1", Format(-0.04, 1) == "0",
// Format(-0.05, 1) == "-0.1", Format(40, 1) == "40", Format(99.96, 1) == "100",
// Format(3.125, 2) == "3.13", Format(1e9, 2) == "1000000000".
// A negative decimals counts as 0.
func Format(v float64, decimals int) string {
	return roundedText(v, max(decimals, 0))
}

// FormatSignificant renders v rounded to `digits` significant digits, in
// plain decimal notation between 1e-6 and 1e15 and in exponent notation
// outside.
//
// Examples with 6 digits: 42.5 → "42.5", 1.0/3 → "0.333333",
// 1234567.8 → "1234570", 0.00005 → "0.00005", 1e9 → "1000000000",
// 1e-9 → "1e-09", 2.5e15 → "2.5e+15". digits below 1 count as 1.
func FormatSignificant(v float64, digits int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	if v == 0 {
		return "0"
	}
	digits = max(digits, 1)
	// The decimal exponent of v's leading digit, from its shortest form:
	// 1234567.8 is 1.2345678e+06, so 6 significant digits keep 6-1-6 = -1
	// decimals (round to tens).
	e := strings.SplitN(strconv.FormatFloat(math.Abs(v), 'e', -1, 64), "e", 2)
	exp, _ := strconv.Atoi(e[1])
	text := roundedText(v, digits-1-exp)
	r, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return text
	}
	if a := math.Abs(r); a < 1e-6 || a >= 1e15 {
		return strconv.FormatFloat(r, 'g', -1, 64)
	}
	return text
}

// roundedText rounds v half away from zero at `decimals` places; a negative
// decimals rounds left of the point (-1: to tens).
func roundedText(v float64, decimals int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', -1, 64)
	ip, fp, _ := strings.Cut(s, ".")
	switch {
	case decimals >= 0 && len(fp) > decimals:
		digits := []byte(ip + fp[:decimals])
		if fp[decimals] >= '5' { // half (or more) rounds the magnitude up
			digits = incrementDecimal(digits)
		}
		ip, fp = string(digits[:len(digits)-decimals]), string(digits[len(digits)-decimals:])
	case decimals < 0:
		places := -decimals
		fp = ""
		switch {
		case len(ip) < places:
			ip = "0"
		case len(ip) == places:
			ip = "0"
			if s[0] >= '5' {
				ip = "1" + strings.Repeat("0", places)
			}
		default:
			digits := []byte(ip[:len(ip)-places])
			if ip[len(ip)-places] >= '5' {
				digits = incrementDecimal(digits)
			}
			ip = string(digits) + strings.Repeat("0", places)
		}
	}
	fp = strings.TrimRight(fp, "0")
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if v < 0 && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	return out
}

// incrementDecimal adds one to a string of decimal digits, growing it on carry.
func incrementDecimal(d []byte) []byte {
	for i := len(d) - 1; i >= 0; i-- {
		if d[i] < '9' {
			d[i]++
			return d
		}
		d[i] = '0'
	}
	return append([]byte{'1'}, d...)
}
