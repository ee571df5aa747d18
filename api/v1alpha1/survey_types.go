package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SurveyType is the kind of question a Survey asks, which fixes how its
// responses are scored.
// +kubebuilder:validation:Enum=NPS;CSAT;CES;Rating
type SurveyType string

// The survey types.
const (
	// SurveyNPS is Net Promoter Score: 0..10, %promoters(9-10) minus
	// %detractors(0-6), from -100 to 100.
	SurveyNPS SurveyType = "NPS"
	// SurveyCSAT is Customer Satisfaction: default 1..5, the percentage of
	// responses at or above satisfiedAtOrAbove.
	SurveyCSAT SurveyType = "CSAT"
	// SurveyCES is Customer Effort Score: default 1..7, the mean agreement
	// that the task was easy.
	SurveyCES SurveyType = "CES"
	// SurveyRating is a custom rating scale scored by its mean.
	SurveyRating SurveyType = "Rating"
)

// SurveySpec declares one question asked at a touchpoint and how its answers
// are scored.
//
// +kubebuilder:validation:XValidation:rule="self.type != 'NPS' || !has(self.scale) || (self.scale.min == 0 && self.scale.max == 10)",message="spec.scale: NPS uses the fixed 0..10 scale",fieldPath=".scale"
// +kubebuilder:validation:XValidation:rule="self.type != 'Rating' || has(self.scale)",message="spec.scale is required when type is Rating"
// +kubebuilder:validation:XValidation:rule="self.type != 'NPS' || !has(self.satisfiedAtOrAbove)",message="spec.satisfiedAtOrAbove does not apply to NPS, whose categories are fixed",fieldPath=".satisfiedAtOrAbove"
// +kubebuilder:validation:XValidation:rule="!has(self.satisfiedAtOrAbove) || (self.satisfiedAtOrAbove >= (has(self.scale) ? self.scale.min : 1) && self.satisfiedAtOrAbove <= (has(self.scale) ? self.scale.max : (self.type == 'CES' ? 7 : 5)))",message="spec.satisfiedAtOrAbove must lie inside the scale",fieldPath=".satisfiedAtOrAbove"
// +kubebuilder:validation:XValidation:rule="duration(self.retention) >= duration(self.window) + duration(self.window)",message="spec.retention must be at least twice spec.window, so that the previous window can be compared",fieldPath=".retention"
// +kubebuilder:validation:XValidation:rule="!has(self.receiver.deduplicationWindow) || duration(self.receiver.deduplicationWindow) <= duration(self.retention)",message="spec.receiver.deduplicationWindow must be at most spec.retention",fieldPath=".receiver.deduplicationWindow"
// +kubebuilder:validation:XValidation:rule="self.type == oldSelf.type",message="spec.type is immutable: create a new Survey to ask a different question"
// +kubebuilder:validation:XValidation:rule="has(self.scale) == has(oldSelf.scale) && (!has(self.scale) || self.scale == oldSelf.scale)",message="spec.scale is immutable: responses already counted were given on it"
type SurveySpec struct {
	// touchpointRef names the Touchpoint, in the same namespace, where the
	// question is asked.
	TouchpointRef LocalObjectReference `json:"touchpointRef"`

	// type of the survey: NPS, CSAT, CES or Rating. Immutable.
	Type SurveyType `json:"type"`

	// question as asked to customers, for reference.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Question string `json:"question,omitempty"`

	// scale of accepted scores. NPS is fixed at 0..10; CSAT defaults to
	// 1..5 and CES to 1..7; Rating requires it. At most 11 points.
	// Immutable.
	// +optional
	Scale *Scale `json:"scale,omitempty"`

	// satisfiedAtOrAbove is the lowest score counted as a positive answer.
	// CSAT: the score is the percentage of responses at or above it
	// (default scale max - 1, the top-2-box: 4 on 1..5). CES: the
	// percentage at or above it is published as "easy" (default scale
	// max - 2: 5 on 1..7). Rating: when set, that percentage is published.
	// Not used by NPS.
	// +optional
	SatisfiedAtOrAbove *int32 `json:"satisfiedAtOrAbove,omitempty"`

	// window is the rolling period scored, a whole number of days between
	// 1 and 92 (24h..2208h). The previous window of the same length gives
	// the trend.
	// +optional
	// +kubebuilder:default="720h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self).getSeconds() % 86400 == 0 && duration(self) >= duration('24h') && duration(self) <= duration('2208h')",message="spec.window must be a whole number of days between 24h and 2208h"
	Window *metav1.Duration `json:"window,omitempty"`

	// minResponses is the sample size below which the score is shown but
	// Ready is False with reason InsufficientData.
	// +optional
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	MinResponses int32 `json:"minResponses,omitempty"`

	// confidenceLevel of the published margins of error and of the trend's
	// significance test, between 0.5 and 0.999.
	// +optional
	// +kubebuilder:default="0.95"
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('0.5')) >= 0 && quantity(string(self)).compareTo(quantity('0.999')) <= 0",message="spec.confidenceLevel must be between 0.5 and 0.999"
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=32
	ConfidenceLevel *resource.Quantity `json:"confidenceLevel,omitempty"`

	// segments are the dimensions a response may carry, for example plan
	// or region. Segment values must be categories, never identifiers.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=8
	Segments []SurveySegment `json:"segments,omitempty"`

	// receiver configures how senders authenticate to the response
	// receiver.
	Receiver SurveyReceiver `json:"receiver"`

	// retention is how long daily tallies are kept, at least twice window
	// and at most 8784h (366 days).
	// +optional
	// +kubebuilder:default="2160h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) <= duration('8784h')",message="spec.retention must be at most 8784h (366 days)"
	Retention *metav1.Duration `json:"retention,omitempty"`
}

// Scale is the inclusive range of integer scores a survey accepts.
// +kubebuilder:validation:XValidation:rule="self.min < self.max",message="spec.scale.min must be less than spec.scale.max"
// +kubebuilder:validation:XValidation:rule="self.max - self.min <= 10",message="spec.scale may have at most 11 points (max - min <= 10)"
type Scale struct {
	// min is the lowest accepted score.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Min int32 `json:"min"`

	// max is the highest accepted score.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Max int32 `json:"max"`
}

// SurveySegment is a dimension responses may carry.
type SurveySegment struct {
	// name of the segment as senders give it, in snake_case, for example
	// plan.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9_]*$`
	Name string `json:"name"`

	// maxValues is how many distinct values are kept apart; further
	// values are counted under "other" so that labels never explode.
	// +optional
	// +kubebuilder:default=20
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxValues int32 `json:"maxValues,omitempty"`
}

// SurveyReceiver configures authentication of responses posted for this
// survey. At least one method must be set; a request passing either is
// accepted.
// +kubebuilder:validation:XValidation:rule="has(self.bearerTokenSecretRef) || has(self.hmacSecretRef)",message="spec.receiver: set bearerTokenSecretRef, hmacSecretRef or both"
type SurveyReceiver struct {
	// bearerTokenSecretRef is the Secret key holding the token senders
	// present as `Authorization: Bearer <token>`.
	// +optional
	BearerTokenSecretRef *SecretKeyRef `json:"bearerTokenSecretRef,omitempty"`

	// hmacSecretRef is the Secret key holding the shared key senders use
	// to sign requests: X-Touchstone-Signature is
	// "sha256=" + hex(HMAC-SHA256(key, timestamp + "." + body)) and
	// X-Touchstone-Timestamp the Unix time in seconds.
	// +optional
	HMACSecretRef *SecretKeyRef `json:"hmacSecretRef,omitempty"`

	// deduplicationWindow is how long the receiver remembers response ids
	// to recognise retries. A retry that arrives within the window, counted
	// from the arrival of the response (not from its submittedAt), is
	// acknowledged as a duplicate and not counted again. Once a tally has
	// received nothing for this long, its ids are forgotten: the day's
	// tallies are compacted into one tally of counts, and a retry that
	// arrives later is counted as a new response. Between 1h and
	// spec.retention. The default, 48h, covers the whole retry schedule of
	// webhook senders (Standard Webhooks senders such as Svix retry for
	// about 28 hours), twice the 24 hours for which Stripe keeps
	// idempotency keys; it is unrelated to the 5-minute timestamp
	// tolerance of signatures, which bounds replays, not retries.
	// +optional
	// +kubebuilder:default="48h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1h')",message="spec.receiver.deduplicationWindow must be at least 1h"
	DeduplicationWindow *metav1.Duration `json:"deduplicationWindow,omitempty"`
}

// SurveyStatus is the observed state of a Survey, written by the operator
// only. Numbers are rounded display strings.
type SurveyStatus struct {
	// observedGeneration is the metadata.generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready and DataSufficient.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// receiverPath is the path, on the operator's receiver, where
	// responses for this survey are posted.
	// +optional
	ReceiverPath string `json:"receiverPath,omitempty"`

	// windowStart is the start of the scored window; it ends now.
	// +optional
	WindowStart *metav1.Time `json:"windowStart,omitempty"`

	// responses is the sample size n: responses in the window.
	// +optional
	Responses int64 `json:"responses"`

	// score of the window: NPS -100..100, CSAT percent 0..100, CES and
	// Rating the mean. Empty when there are no responses.
	// +optional
	Score string `json:"score,omitempty"`

	// marginOfError is the half-width of the confidence interval of score
	// at spec.confidenceLevel.
	// +optional
	MarginOfError string `json:"marginOfError,omitempty"`

	// confidenceInterval of score at spec.confidenceLevel: Wilson for
	// percentages, t for means, NPS score plus or minus marginOfError.
	// +optional
	ConfidenceInterval *Interval `json:"confidenceInterval,omitempty"`

	// mean of all scores in the window.
	// +optional
	Mean string `json:"mean,omitempty"`

	// thresholdPercent is the percentage of responses at or above
	// satisfiedAtOrAbove (CSAT: equal to score; CES: "easy").
	// +optional
	ThresholdPercent string `json:"thresholdPercent,omitempty"`

	// nps is the promoter / passive / detractor breakdown (NPS only).
	// +optional
	NPS *NPSBreakdown `json:"nps,omitempty"`

	// previous is the window of the same length just before this one.
	// +optional
	Previous *WindowScore `json:"previous,omitempty"`

	// trend compares score with the previous window.
	// +optional
	Trend *Trend `json:"trend,omitempty"`

	// segments breaks the score down by segment value.
	// +optional
	// +listType=map
	// +listMapKey=name
	Segments []SegmentStatus `json:"segments,omitempty"`

	// lastResponseTime is when the latest counted response was stored.
	// +optional
	LastResponseTime *metav1.Time `json:"lastResponseTime,omitempty"`
}

// Interval is a confidence interval, rounded for display.
type Interval struct {
	// lower bound.
	Lower string `json:"lower"`
	// upper bound.
	Upper string `json:"upper"`
}

// NPSBreakdown counts the three NPS categories.
type NPSBreakdown struct {
	// promoters answered 9 or 10.
	Promoters int64 `json:"promoters"`
	// passives answered 7 or 8.
	Passives int64 `json:"passives"`
	// detractors answered 0 to 6.
	Detractors int64 `json:"detractors"`
	// promoterPercent is promoters / n * 100.
	PromoterPercent string `json:"promoterPercent"`
	// passivePercent is passives / n * 100.
	PassivePercent string `json:"passivePercent"`
	// detractorPercent is detractors / n * 100.
	DetractorPercent string `json:"detractorPercent"`
}

// WindowScore is the sample size and score of one window.
type WindowScore struct {
	// responses in the window.
	Responses int64 `json:"responses"`
	// score of the window; empty when there are no responses.
	// +optional
	Score string `json:"score,omitempty"`
}

// TrendDirection says which way a score moved.
// +kubebuilder:validation:Enum=Up;Down;Flat
type TrendDirection string

// Trend directions.
const (
	TrendUp   TrendDirection = "Up"
	TrendDown TrendDirection = "Down"
	TrendFlat TrendDirection = "Flat"
)

// Trend compares the current window with the previous one.
type Trend struct {
	// change is score minus the previous window's score.
	Change string `json:"change"`
	// direction of the change.
	Direction TrendDirection `json:"direction"`
	// significant is true when a two-sample test rejects "no change" at
	// spec.confidenceLevel.
	Significant bool `json:"significant"`
}

// SegmentStatus is the breakdown of one segment.
type SegmentStatus struct {
	// name of the segment.
	Name string `json:"name"`
	// values of the segment seen in the window, at most maxValues plus
	// "other".
	// +optional
	Values []SegmentValueStatus `json:"values,omitempty"`
}

// SegmentValueStatus is the score of the responses with one segment value.
type SegmentValueStatus struct {
	// value of the segment, or "other".
	Value string `json:"value"`
	// responses with this value in the window.
	Responses int64 `json:"responses"`
	// score of those responses.
	// +optional
	Score string `json:"score,omitempty"`
	// marginOfError of that score.
	// +optional
	MarginOfError string `json:"marginOfError,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=svy,categories=cx
// +kubebuilder:printcolumn:name="Touchpoint",type=string,JSONPath=`.spec.touchpointRef.name`,priority=1
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Score",type=string,JSONPath=`.status.score`
// +kubebuilder:printcolumn:name="N",type=integer,JSONPath=`.status.responses`
// +kubebuilder:printcolumn:name="MOE",type=string,JSONPath=`.status.marginOfError`
// +kubebuilder:printcolumn:name="Trend",type=string,JSONPath=`.status.trend.direction`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Survey is one question asked at a touchpoint. Responses are posted to the
// operator's receiver and counted, never stored one by one.
type Survey struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the question and how it is scored.
	Spec SurveySpec `json:"spec"`
	// status is written by the operator.
	// +optional
	Status SurveyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// SurveyList is a list of Surveys.
type SurveyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Survey `json:"items"`
}

func init() {
	register(&Survey{}, &SurveyList{})
}
