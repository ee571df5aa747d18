package stats_test

import (
	"strings"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

func TestApplyMinimumGroupSize(t *testing.T) {
	vt := func(value, text string) stats.ValueTally {
		return stats.ValueTally{Value: value, Tally: mustTally(t, nps, text)}
	}
	tests := []struct {
		name        string
		values      []stats.ValueTally
		other       string // tally text of other before the fold
		unassigned  int64
		min         int64
		want        []string // published values
		wantOther   string   // other after the fold
		otherScored bool
		folded      int
	}{
		// The doc example, min 5: pro 9, free 6, team 3. team (3 < 5)
		// folds: other 3, below 5 and derivable from the total, so the
		// smallest value, free (6), folds too: other 9, scored.
		{"doc example", []stats.ValueTally{vt("pro", "10:9"), vt("free", "8:6"), vt("team", "0:3")}, "", 0, 5,
			[]string{"pro"}, "0:3 8:6", true, 2},
		// The same with 2 responses carrying no plan: team's 3 and those 2
		// are 5 unscored responses, whose score only the total minus the
		// published groups gives, together: free stays, other shows its
		// count only.
		{"doc example with unassigned", []stats.ValueTally{vt("pro", "10:9"), vt("free", "8:6"), vt("team", "0:3")}, "", 2, 5,
			[]string{"free", "pro"}, "0:3", false, 1},
		// Nothing below 5, nothing unassigned: unchanged, other empty.
		{"nothing small", []stats.ValueTally{vt("a", "9:10"), vt("b", "6:7")}, "", 0, 5,
			[]string{"a", "b"}, "", false, 0},
		// other from the cap (6) already reaches 5: b (3) joins it, 9, scored;
		// no secondary fold needed.
		{"other from the cap", []stats.ValueTally{vt("a", "9:10"), vt("b", "6:3")}, "7:6", 0, 5,
			[]string{"a"}, "6:3 7:6", true, 1},
		// Every value small: all in other (3), count only; nothing else to fold.
		{"all small", []stats.ValueTally{vt("a", "9:2"), vt("b", "6:1")}, "", 0, 5,
			nil, "6:1 9:2", false, 2},
		// 7 unassigned responses hide other's 3 among 10: no secondary fold.
		{"unassigned hide a small other", []stats.ValueTally{vt("a", "9:10"), vt("b", "6:3")}, "", 7, 5,
			[]string{"a"}, "6:3", false, 1},
		// 2 unassigned, other empty: the smallest value (b, 8) folds so the
		// 2 hide among 10, and other is shown by its count only.
		{"unassigned alone", []stats.ValueTally{vt("a", "9:10"), vt("b", "6:8")}, "", 2, 5,
			[]string{"a"}, "6:8", false, 1},
		// a and b tie on 6: the larger name, b, folds with c's 2 → other 8.
		{"tie folds the larger name", []stats.ValueTally{vt("a", "9:6"), vt("b", "8:6"), vt("c", "0:2")}, "", 0, 5,
			[]string{"a"}, "0:2 8:6", true, 2},
		// min 1: nothing is ever hidden.
		{"min 1", []stats.ValueTally{vt("a", "9:1"), vt("b", "6:1")}, "3:1", 1, 1,
			[]string{"a", "b"}, "3:1", true, 0},
		{"no values", nil, "", 3, 5, nil, "", false, 0},
	}
	for _, tt := range tests {
		other := stats.NewTally(nps)
		if tt.other != "" {
			other = mustTally(t, nps, tt.other)
		}
		var in int64
		for _, v := range tt.values {
			in += v.Tally.N()
		}
		in += other.N()
		g, err := stats.ApplyMinimumGroupSize(tt.values, other, tt.unassigned, tt.min)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var names []string
		var out int64
		for _, v := range g.Values {
			names = append(names, v.Value)
			out += v.Tally.N()
			if v.Tally.N() < tt.min {
				t.Errorf("%s: published %s with %d responses", tt.name, v.Value, v.Tally.N())
			}
		}
		out += g.Other.N()
		if strings.Join(names, ",") != strings.Join(tt.want, ",") || g.Other.String() != tt.wantOther ||
			g.OtherScored != tt.otherScored || g.Folded != tt.folded {
			t.Errorf("%s: values %v other %q scored %v folded %d, want %v %q %v %d", tt.name,
				names, g.Other.String(), g.OtherScored, g.Folded, tt.want, tt.wantOther, tt.otherScored, tt.folded)
		}
		if in != out {
			t.Errorf("%s: %d responses in, %d out", tt.name, in, out)
		}
		// The k-anonymity property itself: the unscored responses number
		// 0 or at least min.
		hidden := tt.unassigned
		if !g.OtherScored {
			hidden += g.Other.N()
		}
		if hidden > 0 && hidden < tt.min && len(g.Values) > 0 {
			t.Errorf("%s: %d unscored responses are derivable", tt.name, hidden)
		}
	}
}

func TestApplyMinimumGroupSizeErrors(t *testing.T) {
	a := stats.ValueTally{Value: "a", Tally: mustTally(t, nps, "1:1")}
	if _, err := stats.ApplyMinimumGroupSize([]stats.ValueTally{a}, stats.NewTally(nps), 0, 0); err == nil ||
		!strings.Contains(err.Error(), "minimum group size 0") {
		t.Errorf("min 0: %v", err)
	}
	if _, err := stats.ApplyMinimumGroupSize([]stats.ValueTally{a}, stats.NewTally(five), 0, 5); err == nil ||
		!strings.Contains(err.Error(), `value "a"`) {
		t.Errorf("scales differ: %v", err)
	}
}
