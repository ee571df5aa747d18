package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Labels the operator puts on ResponseTally objects so that the tallies of
// one survey (and one day) can be selected.
const (
	// LabelSurveyUID holds the UID of the Survey a tally belongs to (a
	// Survey name may be longer than a label value can be).
	LabelSurveyUID = "cx.touchstone.dev/survey-uid"
	// LabelDay holds the UTC day of a tally, as YYYY-MM-DD.
	LabelDay = "cx.touchstone.dev/day"
	// LabelLane holds the lane of a tally (see ResponseTally.Lane).
	LabelLane = "cx.touchstone.dev/lane"
)

// TallyState says what may still happen to a tally.
// +kubebuilder:validation:Enum=Open;Sealed;Compacted
type TallyState string

// The states of a tally. A tally without a state was written by an earlier
// version of the operator and is open until it is full.
const (
	// TallyOpen is a tally the receiver still adds responses to.
	TallyOpen TallyState = "Open"
	// TallySealed is a tally that is never written again: it is full, or
	// it received nothing for longer than the deduplication window. Once
	// quiet for that long it is merged into its day's compacted tally and
	// deleted.
	TallySealed TallyState = "Sealed"
	// TallyCompacted is the sum of a day's quiet tallies: counts without
	// response ids, one per survey, day and lane.
	TallyCompacted TallyState = "Compacted"
)

// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=rtally
// +kubebuilder:printcolumn:name="Survey",type=string,JSONPath=`.survey`
// +kubebuilder:printcolumn:name="Day",type=string,JSONPath=`.day`
// +kubebuilder:printcolumn:name="Lane",type=integer,JSONPath=`.lane`,priority=1
// +kubebuilder:printcolumn:name="Seq",type=integer,JSONPath=`.sequence`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.state`
// +kubebuilder:printcolumn:name="Responses",type=integer,JSONPath=`.responses`
// +kubebuilder:printcolumn:name="Last Received",type=date,JSONPath=`.lastReceived`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ResponseTally is the durable record of the responses one Survey received
// for one UTC day: counts per scale point and per segment value, and keyed
// hashes of response ids for idempotent retries. It holds no respondent
// identifier or free text. It is written by the operator only (the
// receiver adds responses, the compactor merges a day's quiet tallies into
// one compacted tally without ids) and owned by its Survey; users read it,
// never write it.
type ResponseTally struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// survey is the name of the Survey counted.
	Survey string `json:"survey"`

	// surveyUID is the UID of that Survey; tallies of an earlier Survey of
	// the same name are ignored.
	SurveyUID string `json:"surveyUID"`

	// day is the UTC day (YYYY-MM-DD) on which the responses were
	// submitted.
	// +kubebuilder:validation:Pattern=`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	Day string `json:"day"`

	// lane is the write lane of the tally, chosen by hashing each response
	// id so that a retry always meets its original. This version writes
	// every response through one lane (0): the API server, not the lane,
	// bounds throughput. The field keeps the format open to parallel lanes.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=63
	Lane int32 `json:"lane"`

	// sequence numbers the tallies of one lane and day: when a tally holds
	// enough response ids it is sealed and the lane goes on in the next
	// sequence, so that no object approaches the size limit. A compacted
	// tally carries the highest sequence it merged.
	// +kubebuilder:validation:Minimum=0
	Sequence int32 `json:"sequence"`

	// state is Open while the receiver adds responses, Sealed once it
	// never will again, and Compacted for the merged tally of a day.
	// +optional
	State TallyState `json:"state,omitempty"`

	// scaleMin is the lowest score of the survey's scale.
	ScaleMin int32 `json:"scaleMin"`

	// scaleMax is the highest score of the survey's scale.
	ScaleMax int32 `json:"scaleMax"`

	// responses counted in this tally.
	Responses int64 `json:"responses"`

	// counts holds the number of responses per score, as space-separated
	// "score:count" pairs for the scores with a count, for example
	// "0:3 9:12 10:40".
	// +optional
	Counts string `json:"counts,omitempty"`

	// segments holds the counts per score for each segment value.
	// +optional
	// +listType=map
	// +listMapKey=name
	Segments []SegmentTally `json:"segments,omitempty"`

	// responseIDs are the first 8 bytes of HMAC-SHA256(survey UID, id) of
	// each counted response, concatenated: enough to recognise a retry,
	// useless to recover an id.
	// +optional
	ResponseIDs []byte `json:"responseIDs,omitempty"`

	// lastReceived is when a response was last added (for a compacted
	// tally, the latest of the tallies it merged).
	// +optional
	LastReceived *metav1.Time `json:"lastReceived,omitempty"`

	// supersedes lists, on a compacted tally, the tallies whose counts it
	// includes and that are not deleted yet: readers count a tally listed
	// here (same name and uid) through the compacted tally only.
	// +optional
	// +listType=map
	// +listMapKey=name
	Supersedes []SupersededTally `json:"supersedes,omitempty"`
}

// SupersededTally names a tally merged into a compacted tally.
type SupersededTally struct {
	// name of the merged tally.
	Name string `json:"name"`

	// uid of the merged tally: a later tally of the same name is not
	// superseded.
	UID types.UID `json:"uid"`
}

// SegmentTally holds the counts of each value of one segment.
type SegmentTally struct {
	// name of the segment.
	Name string `json:"name"`

	// values seen that day, with their counts.
	// +optional
	// +listType=map
	// +listMapKey=value
	Values []SegmentValueTally `json:"values,omitempty"`
}

// SegmentValueTally holds the counts per score of one segment value.
type SegmentValueTally struct {
	// value of the segment, or "other" for values past the cap.
	Value string `json:"value"`

	// counts per score, in the same "score:count" form as the tally's.
	Counts string `json:"counts"`
}

// +kubebuilder:object:root=true

// ResponseTallyList is a list of ResponseTallies.
type ResponseTallyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ResponseTally `json:"items"`
}

func init() {
	register(&ResponseTally{}, &ResponseTallyList{})
}

// LastWrite is when responses were last added to the tally: lastReceived,
// or its creation when it has none.
func (t *ResponseTally) LastWrite() time.Time {
	if t.LastReceived != nil {
		return t.LastReceived.Time
	}
	return t.CreationTimestamp.Time
}

// QuietAt reports whether nothing was added to the tally for longer than
// window before now (TallyQuiet).
func (t *ResponseTally) QuietAt(now time.Time, window time.Duration) bool {
	return TallyQuiet(t.LastWrite(), now, window)
}

// TallyQuiet reports whether a tally last written at lastWrite is quiet at
// now: written longer than window ago. The ids of a quiet tally no longer
// recognise retries (the receiver forgets them and never adds to it
// again), and the compactor merges it into its day's compacted tally; the
// receiver and the compactor share this rule. lastReceived is stored in
// whole seconds, cut down, so a tally becomes quiet one second later than
// the window, never earlier.
func TallyQuiet(lastWrite, now time.Time, window time.Duration) bool {
	return now.Sub(lastWrite) > window+time.Second
}
