package collect

import "github.com/touchstone-dev/touchstone/internal/stats"

// SignificantDigits is how many significant digits a value keeps in status.
const SignificantDigits = 6

// FormatValue renders a metric value for status with the shared formatter
// (stats.FormatSignificant) at SignificantDigits: 42.5 → "42.5",
// 0.1234567 → "0.123457", 1234567.8 → "1234570", 1e-9 → "1e-09", "" for
// NaN and ±Inf (no value).
func FormatValue(v float64) string { return stats.FormatSignificant(v, SignificantDigits) }
