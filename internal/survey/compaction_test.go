package survey

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

const window = 48 * time.Hour

// source is a receiver's tally of the survey "u" for the day daysAgo days
// before now, last written lastAgo before now.
func source(name string, daysAgo int, seq int32, state cxv1alpha1.TallyState, lastAgo time.Duration, counts string, segs ...cxv1alpha1.SegmentTally) cxv1alpha1.ResponseTally {
	t := tally("u", daysAgo, counts, segs...)
	t.Name, t.UID, t.Sequence, t.State = name, types.UID("uid-"+name), seq, state
	t.LastReceived = &metav1.Time{Time: now.Add(-lastAgo)}
	tl, err := stats.ParseTally(stats.Scale{Min: 0, Max: 10}, counts)
	if err != nil {
		panic(err)
	}
	t.Responses = tl.N()
	t.ResponseIDs = make([]byte, 8*t.Responses)
	return t
}

func planTally(vals ...cxv1alpha1.SegmentValueTally) cxv1alpha1.SegmentTally {
	return cxv1alpha1.SegmentTally{Name: "plan", Values: vals}
}

func val(v, counts string) cxv1alpha1.SegmentValueTally {
	return cxv1alpha1.SegmentValueTally{Value: v, Counts: counts}
}

// compactionSpec is an NPS survey with a 7-day window and a plan segment.
var compactionSpec = &cxv1alpha1.SurveySpec{
	Type: cxv1alpha1.SurveyNPS, Window: &metav1.Duration{Duration: 7 * 24 * time.Hour},
	Retention: &metav1.Duration{Duration: 30 * 24 * time.Hour},
	Segments:  []cxv1alpha1.SurveySegment{{Name: "plan", MaxValues: 2}},
}

// summaryOf is what a reader publishes from a list of tallies.
func summaryOf(t *testing.T, tallies []cxv1alpha1.ResponseTally) string {
	t.Helper()
	s, err := Summarize(compactionSpec, "u", tallies, now)
	if err != nil {
		t.Fatal(err)
	}
	var st cxv1alpha1.SurveyStatus
	s.ApplyTo(compactionSpec, &st)
	st.WindowStart = nil
	return fmt.Sprintf("n=%d score=%s moe=%s prev=%+v segments=%+v nps=%+v last=%v", st.Responses, st.Score, st.MarginOfError,
		*st.Previous, st.Segments, *st.NPS, st.LastResponseTime)
}

// TestCompactionStepsNeverChangeTheCounts plays the compactor's steps on
// an in-memory list of tallies, as the API server would hold them, and
// checks that what a reader computes is the same in every state.
func TestCompactionStepsNeverChangeTheCounts(t *testing.T) {
	tallies := []cxv1alpha1.ResponseTally{
		// Two days ago: two sealed tallies and the open one, all quiet
		// (last written 50h and 49h ago, the window is 48h).
		source("d2-0", 2, 0, cxv1alpha1.TallySealed, 50*time.Hour, "0:2 10:3", planTally(val("pro", "10:3"), val("free", "0:2"))),
		source("d2-1", 2, 1, cxv1alpha1.TallySealed, 50*time.Hour, "9:4", planTally(val("team", "9:4"))),
		source("d2-2", 2, 2, "", 49*time.Hour, "7:1 9:1", planTally(val("pro", "9:1"), val("other", "7:1"))),
		// Today: written a minute ago, inside the window.
		source("d0-0", 0, 0, cxv1alpha1.TallyOpen, time.Minute, "10:5"),
		// Ten days ago (the previous window), quiet and sealed.
		source("d10-0", 10, 0, cxv1alpha1.TallySealed, 9*24*time.Hour, "0:6"),
	}
	want := summaryOf(t, tallies)
	// By hand: the window (7 days) holds d2-* and d0-0: 5 + 4 + 2 + 5 = 16
	// responses, promoters 10:3 + 9:4 + 9:1 + 10:5 = 13, detractors 0:2,
	// NPS = (13 - 2) / 16 * 100 = 68.75 -> "68.8"; the previous window
	// holds d10-0: 6 detractors.
	if got := summaryOf(t, tallies); got != want || want[:len("n=16 score=68.8")] != "n=16 score=68.8" {
		t.Fatalf("summary %s", got)
	}

	plans := PlanCompaction(compactionSpec, "u", tallies, now, window)
	if len(plans) != 2 {
		t.Fatalf("%d compactions planned, want 2 (two days ago and ten days ago): %+v", len(plans), plans)
	}
	p := plans[1]
	if p.Day != stats.DayOf(now)-2 || len(p.Seal) != 1 || p.Seal[0].Name != "d2-2" || len(p.Merge) != 2 ||
		p.Compacted != nil || len(p.Delete) != 0 || len(p.Gone) != 0 {
		t.Fatalf("plan for two days ago: %+v", p)
	}
	if plans[0].Day != stats.DayOf(now)-10 || len(plans[0].Merge) != 1 {
		t.Fatalf("plan for ten days ago: %+v", plans[0])
	}

	check := func(step string) {
		t.Helper()
		if got := summaryOf(t, tallies); got != want {
			t.Fatalf("after %s a reader computes\n%s\nwant\n%s", step, got, want)
		}
	}
	find := func(name string) int {
		for i := range tallies {
			if tallies[i].Name == name {
				return i
			}
		}
		t.Fatalf("no tally %s", name)
		return -1
	}
	// Step 1: seal the open tally.
	tallies[find("d2-2")].State = cxv1alpha1.TallySealed
	check("sealing")
	// Step 2: write the compacted tally.
	merge := []*cxv1alpha1.ResponseTally{&tallies[find("d2-0")], &tallies[find("d2-1")], &tallies[find("d2-2")]}
	c := cxv1alpha1.ResponseTally{ObjectMeta: metav1.ObjectMeta{Name: "d2-compacted", UID: "uid-c"},
		SurveyUID: "u", Day: merge[0].Day, ScaleMin: 0, ScaleMax: 10, State: cxv1alpha1.TallyCompacted}
	if err := MergeInto(&c, merge); err != nil {
		t.Fatal(err)
	}
	// By hand: counts 0:2 10:3 + 9:4 + 7:1 9:1 = 0:2 7:1 9:5 10:3 (11);
	// segment values summed, "other" kept as a value, none capped again
	// (plan keeps 2 values, the day has pro, free, team and other).
	wantC := cxv1alpha1.ResponseTally{ObjectMeta: c.ObjectMeta, SurveyUID: "u", Day: c.Day, ScaleMin: 0, ScaleMax: 10,
		State: cxv1alpha1.TallyCompacted, Sequence: 2, Responses: 11, Counts: "0:2 7:1 9:5 10:3",
		Segments:     []cxv1alpha1.SegmentTally{planTally(val("free", "0:2"), val("other", "7:1"), val("pro", "9:1 10:3"), val("team", "9:4"))},
		LastReceived: &metav1.Time{Time: now.Add(-49 * time.Hour)},
		Supersedes:   []cxv1alpha1.SupersededTally{{Name: "d2-0", UID: "uid-d2-0"}, {Name: "d2-1", UID: "uid-d2-1"}, {Name: "d2-2", UID: "uid-d2-2"}},
	}
	if !reflect.DeepEqual(c, wantC) {
		t.Fatalf("compacted tally\n%+v\nwant\n%+v", c, wantC)
	}
	tallies = append(tallies, c)
	check("writing the compacted tally")

	// A pass now (as after a restart) only deletes what it supersedes.
	re := PlanCompaction(compactionSpec, "u", tallies, now, window)
	if len(re) != 2 || len(re[1].Delete) != 3 || len(re[1].Merge)+len(re[1].Seal) != 0 || re[1].Compacted == nil {
		t.Fatalf("plan after step 2: %+v", re)
	}
	// Step 3: delete them, one by one.
	for _, name := range []string{"d2-1", "d2-0", "d2-2"} {
		i := find(name)
		tallies = append(tallies[:i], tallies[i+1:]...)
		check("deleting " + name)
	}
	// Step 4: every entry is gone.
	re = PlanCompaction(compactionSpec, "u", tallies, now, window)
	if len(re) != 2 || len(re[1].Gone) != 3 || len(re[1].Delete) != 0 {
		t.Fatalf("plan after step 3: %+v", re)
	}
	i := find("d2-compacted")
	tallies[i].Supersedes = WithoutSuperseded(tallies[i].Supersedes, re[1].Gone)
	check("dropping the entries")
	if tallies[i].Supersedes != nil {
		t.Errorf("supersedes %v after dropping every entry", tallies[i].Supersedes)
	}

	// A tally created later under a superseded name (another uid) is
	// counted, and not deleted as superseded.
	tallies[i].Supersedes = []cxv1alpha1.SupersededTally{{Name: "d2-0", UID: "uid-d2-0"}}
	late := source("d2-0", 2, 3, cxv1alpha1.TallyOpen, time.Minute, "10:1")
	late.UID = "uid-d2-0-again"
	tallies = append(tallies, late)
	s, err := Summarize(compactionSpec, "u", tallies, now)
	if err != nil {
		t.Fatal(err)
	}
	if s.Current.N != 17 {
		t.Errorf("n = %d with a new tally of a superseded name, want 16 + 1", s.Current.N)
	}
	re = PlanCompaction(compactionSpec, "u", tallies, now, window)
	if len(re) != 2 || len(re[1].Delete) != 0 || len(re[1].Gone) != 1 || len(re[1].Merge)+len(re[1].Seal) != 0 {
		t.Errorf("plan with a newer tally of a superseded name: %+v", re[1])
	}
	if s.Tallies != (TallyStates{Open: 2, Sealed: 1, Compacted: 1}) {
		t.Errorf("tally states %+v, want 2 open (today's, the new one), 1 sealed (ten days ago), 1 compacted", s.Tallies)
	}
}

// TestCompactionMergesLateTalliesIntoTheCompactedOne checks a second
// compaction of a day: a tally written after the first one (a backfill, a
// late retry) is merged into the existing compacted tally once quiet.
func TestCompactionMergesLateTalliesIntoTheCompactedOne(t *testing.T) {
	c := source("d3-compacted", 3, 4, cxv1alpha1.TallyCompacted, 60*time.Hour, "9:10")
	c.ResponseIDs = nil
	tallies := []cxv1alpha1.ResponseTally{
		c,
		source("d3-5", 3, 5, cxv1alpha1.TallyOpen, 49*time.Hour, "0:1"),
		source("d3-6", 3, 6, cxv1alpha1.TallyOpen, time.Hour, "0:2"),
	}
	plans := PlanCompaction(compactionSpec, "u", tallies, now, window)
	if len(plans) != 1 || plans[0].Compacted == nil || plans[0].Compacted.Name != "d3-compacted" ||
		len(plans[0].Seal) != 1 || plans[0].Seal[0].Name != "d3-5" {
		t.Fatalf("plans %+v: want d3-5 (quiet) sealed and merged, d3-6 (inside the window) left", plans)
	}
	cc := plans[0].Compacted.DeepCopy()
	if err := MergeInto(cc, []*cxv1alpha1.ResponseTally{&tallies[1]}); err != nil {
		t.Fatal(err)
	}
	// 9:10 + 0:1; sequence 5 (the highest merged); lastReceived 49h ago.
	if cc.Counts != "0:1 9:10" || cc.Responses != 11 || cc.Sequence != 5 || !cc.LastReceived.Equal(tallies[1].LastReceived) ||
		len(cc.Supersedes) != 1 || cc.Supersedes[0].Name != "d3-5" {
		t.Errorf("compacted again: %+v", cc)
	}
	// Nothing is due for a tally of another scale or past the retention.
	other := source("x", 3, 7, cxv1alpha1.TallySealed, 50*time.Hour, "")
	other.ScaleMax = 5
	old := source("old", 40, 0, cxv1alpha1.TallySealed, 40*24*time.Hour, "1:1")
	if p := PlanCompaction(compactionSpec, "u", []cxv1alpha1.ResponseTally{other, old}, now, window); len(p) != 0 {
		t.Errorf("planned %+v for a tally of another scale and one past the retention", p)
	}
	// A merge refuses a tally of another scale.
	if err := MergeInto(cc, []*cxv1alpha1.ResponseTally{&other}); err == nil {
		t.Error("merged a tally of another scale")
	}
}
