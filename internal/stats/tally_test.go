package stats_test

import (
	"math"
	"strings"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

func TestScale(t *testing.T) {
	tests := []struct {
		s      stats.Scale
		points int
		valid  bool
	}{
		{stats.Scale{Min: 0, Max: 10}, 11, true},   // 10-0+1
		{stats.Scale{Min: 1, Max: 5}, 5, true},     // 5-1+1
		{stats.Scale{Min: -3, Max: 3}, 7, true},    // 3-(-3)+1
		{stats.Scale{Min: 4, Max: 4}, 1, true},     // single point
		{stats.Scale{Min: 0, Max: 100}, 101, true}, // MaxPoints
		{stats.Scale{Min: 0, Max: 101}, 102, false},
		{stats.Scale{Min: 5, Max: 1}, 0, false},                          // Max < Min
		{stats.Scale{Min: math.MinInt, Max: math.MaxInt}, 0, false},      // 2^64 points do not fit
		{stats.Scale{Min: math.MaxInt - 2, Max: math.MaxInt}, 3, true},   // no overflow near the top
		{stats.Scale{Min: math.MinInt, Max: math.MinInt + 10}, 11, true}, // nor the bottom
	}
	for _, tt := range tests {
		if got := tt.s.Points(); got != tt.points {
			t.Errorf("%v.Points() = %d, want %d", tt.s, got, tt.points)
		}
		if got := tt.s.Valid(); got != tt.valid {
			t.Errorf("%v.Valid() = %v, want %v", tt.s, got, tt.valid)
		}
	}
	for _, c := range []struct {
		v    int
		want bool
	}{{-1, false}, {0, true}, {10, true}, {11, false}} {
		if got := nps.Contains(c.v); got != c.want {
			t.Errorf("0..10 Contains(%d) = %v", c.v, got)
		}
	}
}

func TestTallyCounts(t *testing.T) {
	tl := mustTally(t, nps, "0:3 6:2 7:1 8:4 9:12 10:40")
	tests := []struct {
		name string
		got  int64
		want int64
	}{
		{"N", tl.N(), 62},                               // 3+2+1+4+12+40
		{"Count(9)", tl.Count(9), 12},                   //
		{"Count(5)", tl.Count(5), 0},                    // absent score
		{"Count(11)", tl.Count(11), 0},                  // outside scale
		{"AtOrAbove(9)", tl.AtOrAbove(9), 52},           // 12+40 promoters
		{"AtOrAbove(-5)", tl.AtOrAbove(-5), 62},         // below Min: everything
		{"AtOrAbove(11)", tl.AtOrAbove(11), 0},          // above Max: nothing
		{"CountBetween(7,8)", tl.CountBetween(7, 8), 5}, // 1+4 passives
		{"CountBetween(0,6)", tl.CountBetween(0, 6), 5}, // 3+2 detractors
		{"CountBetween(8,7)", tl.CountBetween(8, 7), 0}, // empty range
		{"CountBetween(min,max)", tl.CountBetween(math.MinInt, math.MaxInt), 62},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
	var empty stats.Tally // nil Counts
	empty.Scale = nps
	if empty.N() != 0 || empty.Count(3) != 0 || empty.AtOrAbove(0) != 0 {
		t.Errorf("empty tally counts non-zero")
	}
}

func TestTallyAdd(t *testing.T) {
	tl := stats.Tally{Scale: five} // nil Counts: Add allocates
	if err := tl.Add(3, 2); err != nil {
		t.Fatal(err)
	}
	if err := tl.Add(3, 0); err != nil { // adding nothing is fine
		t.Fatal(err)
	}
	if got := tl.String(); got != "3:2" {
		t.Errorf("after Add: %q", got)
	}
	tests := []struct {
		name  string
		tally stats.Tally
		score int
		n     int64
		want  string
	}{
		{"below scale", tl, 0, 1, "score 0 outside scale 1..5"},
		{"above scale", tl, 6, 1, "score 6 outside scale 1..5"},
		{"negative n", tl, 3, -1, "negative response count -1"},
		{"overflow", tallyOf(t, five, 1, math.MaxInt64), 2, 1, "overflows int64"},                 // MaxInt64 + 1
		{"overflow same score", tallyOf(t, five, 1, math.MaxInt64-1), 1, 2, "overflows int64"},    // MaxInt64-1 + 2
		{"invalid scale", stats.Tally{Scale: stats.Scale{Min: 3, Max: 1}}, 2, 1, "invalid scale"}, // Max < Min
		{"wrong length", stats.Tally{Scale: five, Counts: make([]int64, 3)}, 2, 1, "has 3 counts, want 5"},
	}
	for _, tt := range tests {
		before := tt.tally.Clone()
		err := tt.tally.Add(tt.score, tt.n)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Add(%d, %d) error %v, want %q", tt.name, tt.score, tt.n, err, tt.want)
		}
		if !tt.tally.Equal(before) {
			t.Errorf("%s: failed Add changed the tally", tt.name)
		}
	}
	full := tallyOf(t, five, 1, math.MaxInt64-1, 2, 1) // exactly MaxInt64 in total is allowed
	if full.N() != math.MaxInt64 {
		t.Errorf("N = %d, want MaxInt64", full.N())
	}
}

func TestTallyMerge(t *testing.T) {
	a := mustTally(t, nps, "0:1 10:2")
	b := mustTally(t, nps, "5:3 10:4")
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	if got, want := a.String(), "0:1 5:3 10:6"; got != want { // 10: 2+4
		t.Errorf("merged = %q, want %q", got, want)
	}
	var into stats.Tally // zero tally on 0..0 ≠ 0..10
	if err := into.Merge(b); err == nil || !strings.Contains(err.Error(), "cannot merge tally on scale 0..10 into tally on scale 0..0") {
		t.Errorf("scale mismatch error = %v", err)
	}
	empty := stats.Tally{Scale: nps} // nil Counts on both sides: stays nil
	if err := empty.Merge(stats.Tally{Scale: nps}); err != nil || empty.Counts != nil {
		t.Errorf("merging empty tallies: %v, %v", err, empty.Counts)
	}
	if err := empty.Merge(b); err != nil || empty.String() != "5:3 10:4" {
		t.Errorf("merge into nil Counts: %v, %q", err, empty.String())
	}
	bad := stats.Tally{Scale: nps, Counts: make([]int64, 11)}
	bad.Counts[4] = -1
	if err := a.Merge(bad); err == nil || !strings.Contains(err.Error(), "negative count -1 for score 4") {
		t.Errorf("negative count error = %v", err)
	}
	full := tallyOf(t, nps, 10, math.MaxInt64)
	before := a.Clone()
	if err := a.Merge(full); err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("overflow error = %v", err)
	}
	if !a.Equal(before) {
		t.Errorf("failed Merge changed the tally")
	}
}

func TestMergeDoesNotAllocate(t *testing.T) {
	acc := stats.NewTally(nps)
	day := mustTally(t, nps, "0:3 7:5 9:12 10:40")
	allocs := testing.AllocsPerRun(100, func() {
		acc.Reset()
		if err := acc.Merge(day); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Merge allocated %v times, want 0", allocs)
	}
}

func TestTallyReset(t *testing.T) {
	tl := mustTally(t, nps, "3:4 9:1")
	c := cap(tl.Counts)
	tl.Reset()
	if tl.N() != 0 || tl.String() != "" || cap(tl.Counts) != c || len(tl.Counts) != 11 {
		t.Errorf("after Reset: N=%d %q cap %d len %d", tl.N(), tl.String(), cap(tl.Counts), len(tl.Counts))
	}
}

func TestTallyEqualClone(t *testing.T) {
	a := mustTally(t, nps, "3:4")
	b := a.Clone()
	b.Counts[3]++
	if a.Count(3) != 4 {
		t.Errorf("Clone shares storage")
	}
	if !(stats.Tally{Scale: nps}).Equal(stats.NewTally(nps)) {
		t.Errorf("nil Counts should equal all-zero Counts")
	}
	if (stats.Tally{Scale: nps}).Equal(stats.Tally{Scale: five}) {
		t.Errorf("different scales compare equal")
	}
}

func TestTallyString(t *testing.T) {
	tests := []struct {
		tally stats.Tally
		want  string
	}{
		{stats.Tally{Scale: nps}, ""},                            // nil Counts
		{stats.NewTally(nps), ""},                                // all zero
		{tallyOf(t, nps, 0, 3, 9, 12, 10, 40), "0:3 9:12 10:40"}, // zero counts omitted, ascending
		{tallyOf(t, signed, 3, 1, -3, 2, 0, 5), "-3:2 0:5 3:1"},  // negative scores
		{tallyOf(t, five, 5, math.MaxInt64), "5:9223372036854775807"},
	}
	for _, tt := range tests {
		if got := tt.tally.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestParseTally(t *testing.T) {
	ok := []struct {
		scale stats.Scale
		text  string
		n     int64
	}{
		{nps, "", 0},
		{nps, "0:3 9:12 10:40", 55},                    // 3+12+40
		{nps, "10:1", 1},                               // one response
		{signed, "-3:2 -1:1 0:5 3:1", 9},               // 2+1+5+1
		{five, "5:9223372036854775807", math.MaxInt64}, // largest count
		{five, "1:9223372036854775806 2:1", math.MaxInt64},
	}
	for _, tt := range ok {
		got, err := stats.ParseTally(tt.scale, tt.text)
		if err != nil {
			t.Errorf("ParseTally(%v, %q): %v", tt.scale, tt.text, err)
			continue
		}
		if got.N() != tt.n || got.String() != tt.text || got.Scale != tt.scale {
			t.Errorf("ParseTally(%v, %q) = %q N=%d, want N=%d", tt.scale, tt.text, got.String(), got.N(), tt.n)
		}
	}
	bad := []struct {
		scale stats.Scale
		text  string
		want  string
	}{
		{nps, "0:1 9:2 11:4", `pair 3 "11:4": score 11 outside scale 0..10`},
		{nps, "-1:4", `pair 1 "-1:4": score -1 outside scale 0..10`},
		{nps, " 0:1", `pair 1 "": empty pair`},
		{nps, "0:1 ", `pair 2 "": empty pair`},
		{nps, "0:1  3:1", `pair 2 "": empty pair`},
		{nps, "0:1\t3:1", `pair 1 "0:1\t3:1": count has '\t' at offset 1`},
		{nps, "0:1\n", `pair 1 "0:1\n": count has '\n'`},
		{nps, "3", `pair 1 "3": missing ":"`},
		{nps, "3:", `pair 1 "3:": count is empty`},
		{nps, ":3", `pair 1 ":3": score is empty`},
		{nps, "3:0", `count must be positive`},
		{nps, "3:-1", `count has '-' at offset 0`},
		{nps, "3:+1", `count has '+' at offset 0`},
		{nps, "3:01", `count has a leading zero`},
		{nps, "03:1", `score has a leading zero`},
		{nps, "+3:1", `score has '+' at offset 0`},
		{signed, "-0:1", `score "-0" is not canonical`},
		{signed, "--1:1", `score has '-' at offset 0`},
		{nps, "3:1:1", `count has ':' at offset 1`},
		{nps, "3:1.5", `count has '.'`},
		{nps, "3:1e3", `count has 'e'`},
		{nps, "5:1 3:1", `pair 2 "3:1": score 3 after score 5 (scores must be strictly ascending)`},
		{nps, "5:1 5:1", `pair 2 "5:1": duplicate score 5`},
		{nps, "3:9223372036854775808", `count overflows int64`},  // MaxInt64+1
		{nps, "3:99999999999999999999", `count is out of range`}, // > MaxUint64
		{nps, "99999999999999999999:1", `score is out of range`},
		{nps, "9223372036854775808:1", `score out of range`},  // MaxInt+1
		{nps, "-9223372036854775809:1", `score out of range`}, // MinInt-1
		{nps, "1:9223372036854775807 2:1", `pair 2 "2:1": total count overflows int64`},
		{stats.Scale{Min: 0, Max: 200}, "", `invalid scale 0..200`},
	}
	for _, tt := range bad {
		got, err := stats.ParseTally(tt.scale, tt.text)
		if err == nil {
			t.Errorf("ParseTally(%v, %q) = %q, want error %q", tt.scale, tt.text, got.String(), tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseTally(%v, %q) error %q, want it to contain %q", tt.scale, tt.text, err, tt.want)
		}
		if got.N() != 0 {
			t.Errorf("ParseTally(%v, %q) returned N=%d with an error", tt.scale, tt.text, got.N())
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		tally stats.Tally
		want  string // "" = valid
	}{
		{stats.Tally{Scale: nps}, ""},
		{stats.Tally{Scale: nps, Counts: []int64{}}, ""}, // empty non-nil is empty too
		{stats.NewTally(nps), ""},
		{stats.Tally{}, ""}, // zero value: scale 0..0, empty
		{stats.Tally{Scale: stats.Scale{Min: 2, Max: 1}}, "invalid scale 2..1"},
		{stats.Tally{Scale: five, Counts: make([]int64, 6)}, "has 6 counts, want 5"},
		{stats.Tally{Scale: stats.Scale{Min: 0, Max: 1}, Counts: []int64{math.MaxInt64, 1}}, "overflows int64"},
	}
	for _, tt := range tests {
		err := tt.tally.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.tally, err, tt.want)
		}
	}
}
