package stats_test

import (
	"strings"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

func TestCapValues(t *testing.T) {
	vt := func(value, text string) stats.ValueTally {
		return stats.ValueTally{Value: value, Tally: mustTally(t, nps, text)}
	}
	tests := []struct {
		name   string
		values []stats.ValueTally
		max    int
		kept   []string // values in order
		other  string   // other.String()
	}{
		// N: a 5, b 9, c 5, other 1. Top 2 by N: b (9), then a and c tie on 5 and "a" < "c" wins.
		// other = c + "other" = 10:5 + 0:1; kept sorted by value: a, b
		{"doc example", []stats.ValueTally{vt("c", "10:5"), vt("b", "9:9"), vt("a", "0:5"), vt("other", "0:1")}, 2,
			[]string{"a", "b"}, "0:1 10:5"},
		// max ≥ number of values: nothing folded, other empty
		{"no folding", []stats.ValueTally{vt("z", "1:1"), vt("y", "2:2")}, 5, []string{"y", "z"}, ""},
		// max 0: everything folded: 1:1 + 2:2
		{"max 0", []stats.ValueTally{vt("z", "1:1"), vt("y", "2:2")}, 0, nil, "1:1 2:2"},
		// "other" is folded even with room to spare
		{"literal other", []stats.ValueTally{vt("other", "3:4"), vt("eu", "3:1")}, 10, []string{"eu"}, "3:4"},
		// ties on N across three values: keep the two smallest names "a", "b"; fold "c" (10:1)
		{"all tied", []stats.ValueTally{vt("c", "10:1"), vt("a", "9:1"), vt("b", "8:1")}, 2, []string{"a", "b"}, "10:1"},
		// empty tallies rank last but still count toward max
		{"empty values", []stats.ValueTally{vt("x", ""), vt("w", "")}, 1, []string{"w"}, ""},
		{"no values", nil, 3, nil, ""},
		// byte order, not locale: "B" (0x42) < "a" (0x61); N: a 2, B 2, c 1 → keep B, a
		{"byte order", []stats.ValueTally{vt("a", "5:2"), vt("B", "6:2"), vt("c", "7:1")}, 2, []string{"B", "a"}, "7:1"},
	}
	for _, tt := range tests {
		input := make([]stats.ValueTally, len(tt.values))
		for i, v := range tt.values {
			input[i] = stats.ValueTally{Value: v.Value, Tally: v.Tally.Clone()}
		}
		kept, other, err := stats.CapValues(tt.values, tt.max)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var names []string
		var n int64
		for _, k := range kept {
			names = append(names, k.Value)
			n += k.Tally.N()
		}
		if strings.Join(names, ",") != strings.Join(tt.kept, ",") || other.String() != tt.other {
			t.Errorf("%s: kept %v other %q, want %v %q", tt.name, names, other.String(), tt.kept, tt.other)
		}
		var total int64
		for i, v := range tt.values {
			total += v.Tally.N()
			if v.Value != input[i].Value || !v.Tally.Equal(input[i].Tally) {
				t.Errorf("%s: input %d modified", tt.name, i)
			}
		}
		if n+other.N() != total { // nothing lost, nothing counted twice
			t.Errorf("%s: kept %d + other %d != total %d", tt.name, n, other.N(), total)
		}
		if len(tt.values) > 0 && (other.Scale != nps || len(other.Counts) != nps.Points()) {
			t.Errorf("%s: other not sized on the values' scale: %+v", tt.name, other)
		}
	}
}

func TestCapValuesErrors(t *testing.T) {
	a := stats.ValueTally{Value: "a", Tally: mustTally(t, nps, "1:1")}
	tests := []struct {
		name   string
		values []stats.ValueTally
		max    int
		want   string
	}{
		{"negative max", []stats.ValueTally{a}, -1, "negative value cap -1"},
		{"duplicate", []stats.ValueTally{a, {Value: "b", Tally: stats.Tally{Scale: nps}}, a}, 5, `duplicate value "a"`},
		{"scales differ", []stats.ValueTally{a, {Value: "b", Tally: mustTally(t, five, "1:1")}}, 5, `value "b" has scale 1..5, value "a" has 0..10`},
		{"malformed", []stats.ValueTally{{Value: "x", Tally: stats.Tally{Scale: nps, Counts: []int64{1}}}}, 5, `value "x": score: tally on scale 0..10 has 1 counts`},
	}
	for _, tt := range tests {
		_, _, err := stats.CapValues(tt.values, tt.max)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}
