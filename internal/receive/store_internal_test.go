package receive

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

// tallyWritten is a tally of the given name last written at last, holding
// the given id hashes.
func tallyWritten(name string, last time.Time, ids ...uint64) *cxv1alpha1.ResponseTally {
	t := &cxv1alpha1.ResponseTally{ObjectMeta: metav1.ObjectMeta{Name: name}, LastReceived: &metav1.Time{Time: last}}
	for _, h := range ids {
		t.ResponseIDs = append(t.ResponseIDs, byte(h>>56), byte(h>>48), byte(h>>40), byte(h>>32), byte(h>>24), byte(h>>16), byte(h>>8), byte(h))
	}
	return t
}

// A lane remembers an id while its tally was written within the window
// (plus the second lastReceived loses), and the sweep drops the ids of
// quiet tallies only.
func TestLaneRemembersIDsForTheWindowOnly(t *testing.T) {
	const window = time.Hour
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := &APIStore{}
	st := &laneState{window: window}
	// Tally a was last written 61 minutes ago (quiet), b 59 minutes ago,
	// c exactly a window and a second ago (still live: lastReceived lost
	// up to a second).
	s.rememberTally(st, tallyWritten("a", now.Add(-61*time.Minute), 1, 2), now.Add(-time.Hour), window)
	s.rememberTally(st, tallyWritten("b", now.Add(-59*time.Minute), 3), now, window)
	s.rememberTally(st, tallyWritten("c", now.Add(-window-time.Second), 4), now, window)
	// A tally already quiet when read is not remembered at all.
	s.rememberTally(st, tallyWritten("d", now.Add(-2*window), 5), now, window)
	if got := s.RememberedIDs(); got != 4 {
		t.Fatalf("%d ids remembered, want 4 (a's two, b's, c's)", got)
	}
	for h, want := range map[uint64]bool{1: false, 2: false, 3: true, 4: true, 5: false, 6: false} {
		if got := st.remembers(h, now, window); got != want {
			t.Errorf("remembers(%d) = %v, want %v", h, got, want)
		}
	}

	s.forgetQuiet(st, now)
	if got := s.RememberedIDs(); got != 2 {
		t.Errorf("%d ids remembered after the sweep, want 2 (b's, c's)", got)
	}
	if _, ok := st.ids[1]; ok {
		t.Error("the sweep kept an id of a quiet tally")
	}
	// A write into b makes it live longer; c becomes quiet.
	s.remember(st, tallyWritten("b", now.Add(time.Minute)), []Response{{IDHash: 7}})
	s.forgetQuiet(st, now.Add(2*time.Second))
	if !st.remembers(7, now.Add(2*time.Second), window) || !st.remembers(3, now.Add(2*time.Second), window) || st.remembers(4, now.Add(2*time.Second), window) {
		t.Errorf("after b's write: ids %v", st.ids)
	}
	// Once every tally is quiet the map goes.
	s.forgetQuiet(st, now.Add(2*window))
	if st.ids != nil || s.RememberedIDs() != 0 {
		t.Errorf("ids %v (%d remembered) once every tally is quiet, want none", st.ids, s.RememberedIDs())
	}
}

// A day keeps maxValues distinct values of a segment apart, across its
// tallies and within one write; later values count as "other".
func TestCapValuePerDay(t *testing.T) {
	st := &laneState{}
	st.addTallyValues(&cxv1alpha1.ResponseTally{Segments: []cxv1alpha1.SegmentTally{{Name: "plan", Values: []cxv1alpha1.SegmentValueTally{
		{Value: "pro", Counts: "9:1"}, {Value: stats.OtherValue, Counts: "9:1"}}}}})
	added := map[string]map[string]struct{}{}
	for _, c := range []struct{ in, want string }{
		{"pro", "pro"},     // counted by an earlier tally of the day
		{"team", "team"},   // the second distinct value of the day
		{"free", "other"},  // a third: over the cap of 2
		{"team", "team"},   // added earlier in this write
		{"other", "other"}, // the bucket itself
	} {
		if got := st.capValue("plan", c.in, 2, added); got != c.want {
			t.Errorf("capValue(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := st.capValue("region", "eu", 1, added); got != "eu" {
		t.Errorf("another segment has its own cap: got %q", got)
	}
}
