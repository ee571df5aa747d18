package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=rtally
// +kubebuilder:printcolumn:name="Survey",type=string,JSONPath=`.survey`
// +kubebuilder:printcolumn:name="Day",type=string,JSONPath=`.day`
// +kubebuilder:printcolumn:name="Lane",type=integer,JSONPath=`.lane`
// +kubebuilder:printcolumn:name="Seq",type=integer,JSONPath=`.sequence`
// +kubebuilder:printcolumn:name="Responses",type=integer,JSONPath=`.responses`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ResponseTally is the durable record of the responses one Survey received
// for one UTC day: counts per scale point and per segment value, and keyed
// hashes of response ids for idempotent retries. It holds no respondent
// identifier or free text. It is written by the operator's receiver only
// and owned by its Survey; users read it, never write it.
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
	// sequence, so that no object approaches the size limit.
	// +kubebuilder:validation:Minimum=0
	Sequence int32 `json:"sequence"`

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

	// lastReceived is when a response was last added.
	// +optional
	LastReceived *metav1.Time `json:"lastReceived,omitempty"`
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
