package stats

import (
	"math"
	"strconv"
	"strings"
)

// Format renders a score for display: "" for NaN or ±Inf (undefined), else
// v rounded half away from zero to `decimals` places, with trailing zeros
// (and a bare point) dropped and "-0" normalised to "0".
//
// Rounding is done on the shortest decimal that identifies v — the digits
// strconv.FormatFloat(v, 'f', -1, 64) prints — so what a reader sees is
// what gets rounded: 0.15 → "0.2" and 2.675 → "2.68" although their binary
// values lie just below the half.
//
// Examples: Format(42.06, 1) == "42.1", Format(-0.04, 1) == "0",
// Format(-0.05, 1) == "-0.1", Format(40, 1) == "40", Format(99.96, 1) == "100".
// A negative decimals counts as 0.
func Format(v float64, decimals int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	decimals = max(decimals, 0)
	s := strconv.FormatFloat(math.Abs(v), 'f', -1, 64)
	ip, fp, _ := strings.Cut(s, ".")
	if len(fp) > decimals {
		up := fp[decimals] >= '5' // half (or more) rounds the magnitude up
		digits := []byte(ip + fp[:decimals])
		if up {
			digits = incrementDecimal(digits)
		}
		ip, fp = string(digits[:len(digits)-decimals]), string(digits[len(digits)-decimals:])
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
