package survey

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

var now = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

func tally(uid string, daysAgo int, counts string, segs ...cxv1alpha1.SegmentTally) cxv1alpha1.ResponseTally {
	return cxv1alpha1.ResponseTally{
		ObjectMeta: metav1.ObjectMeta{Name: counts + "@" + now.AddDate(0, 0, -daysAgo).Format(time.DateOnly)},
		SurveyUID:  uid, Day: now.AddDate(0, 0, -daysAgo).Format(time.DateOnly),
		ScaleMin: 0, ScaleMax: 10, Counts: counts, Segments: segs,
	}
}

func TestSummarizeSumsTheWindowAndThePreviousOne(t *testing.T) {
	spec := &cxv1alpha1.SurveySpec{
		Type: cxv1alpha1.SurveyNPS, Window: &metav1.Duration{Duration: 7 * 24 * time.Hour},
		Retention: &metav1.Duration{Duration: 30 * 24 * time.Hour},
		Segments:  []cxv1alpha1.SurveySegment{{Name: "plan", MaxValues: 1}}, MinSegmentResponses: 1,
	}
	tallies := []cxv1alpha1.ResponseTally{
		// Window: the 7 days up to today (0..6 days ago).
		tally("u", 0, "0:1 10:3", cxv1alpha1.SegmentTally{Name: "plan", Values: []cxv1alpha1.SegmentValueTally{{Value: "pro", Counts: "10:3"}, {Value: "free", Counts: "0:1"}}}),
		tally("u", 6, "7:2 9:2"),
		// Previous window: 7..13 days ago.
		tally("u", 7, "0:4"),
		tally("u", 13, "10:4"),
		// Neither window, inside retention.
		tally("u", 20, "5:100"),
		// Past the 30-day retention.
		tally("u", 31, "5:100"),
		// Another survey of the same name.
		tally("other", 0, "0:100"),
	}
	s, err := Summarize(spec, "u", tallies, now)
	if err != nil {
		t.Fatal(err)
	}
	// Window: 3 tens + 2 nines = 5 promoters, 2 passives, 1 detractor of
	// 8: NPS = (5 - 1) / 8 * 100 = 50.
	if s.Current.N != 8 || s.Current.Score != 50 {
		t.Errorf("current: n=%d score=%v, want 8 and 50", s.Current.N, s.Current.Score)
	}
	// Previous: 4 detractors, 4 promoters: NPS 0.
	if s.Previous.N != 8 || s.Previous.Score != 0 {
		t.Errorf("previous: n=%d score=%v, want 8 and 0", s.Previous.N, s.Previous.Score)
	}
	if s.Trend.Change != 50 {
		t.Errorf("trend change %v, want 50", s.Trend.Change)
	}
	if len(s.Expired) != 1 {
		t.Errorf("expired %v, want the tally of 31 days ago", s.Expired)
	}
	// plan keeps 1 value: pro (3 responses) over free (1), which folds
	// into other.
	if len(s.Segments) != 1 || len(s.Segments[0].Values) != 2 ||
		s.Segments[0].Values[0].Value != "pro" || s.Segments[0].Values[1].Value != "other" ||
		s.Segments[0].Values[1].Result.N != 1 {
		t.Errorf("segments %+v", s.Segments)
	}

	var st cxv1alpha1.SurveyStatus
	s.ApplyTo(spec, &st)
	if st.Score != "50" || st.Responses != 8 || st.Previous.Score != "0" || st.Trend.Direction != cxv1alpha1.TrendUp ||
		st.NPS.Promoters != 5 || st.NPS.PromoterPercent != "62.5" || st.WindowStart.Time != time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC) {
		t.Errorf("status %+v", st)
	}
}

func TestSummarizeOfNothingIsEmptyNotZero(t *testing.T) {
	spec := &cxv1alpha1.SurveySpec{Type: cxv1alpha1.SurveyCSAT}
	s, err := Summarize(spec, "u", nil, now)
	if err != nil {
		t.Fatal(err)
	}
	var st cxv1alpha1.SurveyStatus
	s.ApplyTo(spec, &st)
	if st.Responses != 0 || st.Score != "" || st.MarginOfError != "" || st.ConfidenceInterval != nil || st.Trend != nil {
		t.Errorf("an empty survey shows %+v; every number must be empty, never 0", st)
	}
}

func TestSummarizeReportsUnreadableTallies(t *testing.T) {
	spec := &cxv1alpha1.SurveySpec{Type: cxv1alpha1.SurveyNPS}
	if _, err := Summarize(spec, "u", []cxv1alpha1.ResponseTally{tally("u", 0, "11:3")}, now); err == nil {
		t.Error("a score outside the scale was summed")
	}
}
