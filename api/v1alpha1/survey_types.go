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
// +kubebuilder:validation:XValidation:rule="self.type == oldSelf.type",message="spec.type is immutable: create a new Survey to ask a different question"
// +kubebuilder:validation:XValidation:rule="has(self.scale) == has(oldSelf.scale) && (!has(self.scale) || self.scale == oldSelf.scale)",message="spec.scale is immutable: responses already counted were given on it"
// +kubebuilder:validation:XValidation:rule="!has(self.weighting) || self.weighting.method == 'None' || !has(self.weighting.segments) || self.weighting.segments.all(w, has(self.segments) && self.segments.exists(s, s.name == w))",message="spec.weighting.segments must name segments declared in spec.segments",fieldPath=".weighting.segments"
// +kubebuilder:validation:XValidation:rule="!has(self.weighting) || self.weighting.method == 'None' || !has(self.weighting.segments) || !has(self.segments) || self.segments.all(s, !(s.name in self.weighting.segments) || has(s.expected) || has(s.expectedFrom))",message="spec.weighting.segments must name a segment with expected shares (spec.segments[].expected or expectedFrom)",fieldPath=".weighting.segments"
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

	// minSegmentResponses is the smallest group of responses whose score
	// is published: a segment value answered fewer times in the window is
	// never shown on its own, in status or in a metric label; its
	// responses count under "other". It is a k-anonymity floor: no
	// published number describes fewer than this many respondents (see
	// the README, "Segments").
	// +optional
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	MinSegmentResponses int32 `json:"minSegmentResponses,omitempty"`

	// weighting corrects the score for a sample that does not represent
	// the customer base. Absent, or method None, scores the responses as
	// received.
	// +optional
	Weighting *SurveyWeighting `json:"weighting,omitempty"`

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
// +kubebuilder:validation:XValidation:rule="!(has(self.expected) && has(self.expectedFrom))",message="spec.segments[]: set at most one of expected and expectedFrom"
// +kubebuilder:validation:XValidation:rule="!has(self.expected) || size(self.expected) <= (has(self.maxValues) ? self.maxValues : 20)",message="spec.segments[].expected lists more values than maxValues keeps apart",fieldPath=".expected"
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

	// expected is the share of each value in the customer base, for
	// example pro 0.25: the responses are compared with it
	// (status.segments[].representation) and weighting may correct for
	// it. Shares are between 0 and 1 and add up to at most 1 (up to 1.01
	// is accepted as rounding and scaled down to 1); the values not listed
	// share the rest, 1 minus the sum, and count under "other". At most
	// maxValues values.
	// +optional
	// +listType=map
	// +listMapKey=value
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:XValidation:rule="self.map(e, quantity(string(e.share)).asApproximateFloat()).sum() <= 1.01",message="spec.segments[].expected: the shares must add up to at most 1"
	Expected []ExpectedShare `json:"expected,omitempty"`

	// expectedFrom reads the expected shares from a Touchpoint's metrics,
	// so that a collector keeps them current: each metric named
	// metricPrefix + value gives the share of that value. Exclusive with
	// expected.
	// +optional
	ExpectedFrom *ExpectedSharesSource `json:"expectedFrom,omitempty"`
}

// ExpectedShare is the share of one segment value in the customer base.
// +kubebuilder:validation:XValidation:rule="quantity(string(self.share)).compareTo(quantity('0')) >= 0 && quantity(string(self.share)).compareTo(quantity('1')) <= 0",message="spec.segments[].expected[].share must be between 0 and 1",fieldPath=".share"
type ExpectedShare struct {
	// value of the segment, as senders give it. "other" is the bucket of
	// the values not listed and cannot be listed itself.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self != 'other'",message="spec.segments[].expected[].value must not be \"other\": it is the bucket of the values not listed"
	Value string `json:"value"`

	// share of the customer base with this value, between 0 and 1, for
	// example "0.25".
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=32
	Share resource.Quantity `json:"share"`
}

// ExpectedSharesSource reads a segment's expected shares from the metrics
// of a Touchpoint in the same namespace. Every metric whose name starts
// with metricPrefix gives the share of the value that follows the prefix
// (plan_share_pro: value pro). The metrics' unit decides how: ratio is a
// share (0..1), percent is divided by 100, and count values (customers
// per plan) are divided by their sum, so that they cover the whole base.
// Values read this way are snake_case, like metric names.
type ExpectedSharesSource struct {
	// touchpointRef names the Touchpoint whose status.metrics hold the
	// shares. The Survey follows its changes.
	TouchpointRef LocalObjectReference `json:"touchpointRef"`

	// metricPrefix selects the metrics, for example plan_share_.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=62
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9_]*$`
	MetricPrefix string `json:"metricPrefix"`
}

// WeightingMethod is how a Survey's score is weighted.
// +kubebuilder:validation:Enum=None;PostStratified
type WeightingMethod string

// Weighting methods.
const (
	// WeightingNone scores the responses as received.
	WeightingNone WeightingMethod = "None"
	// WeightingPostStratified weights each value of one segment by its
	// expected share: score = sum of share x score of the value.
	WeightingPostStratified WeightingMethod = "PostStratified"
)

// SurveyWeighting selects how the score is weighted.
// +kubebuilder:validation:XValidation:rule="self.method != 'PostStratified' || (has(self.segments) && size(self.segments) == 1)",message="spec.weighting.segments: PostStratified weights by exactly one segment (raking over several is not supported)",fieldPath=".segments"
type SurveyWeighting struct {
	// method is None (the default: no weighting) or PostStratified: the
	// score becomes the sum over the values of the segment of expected
	// share x score of the value, with its margin from the stratified
	// variance; status.weighting keeps the unweighted score beside it.
	Method WeightingMethod `json:"method"`

	// segments names the segment to weight by; it must declare expected
	// shares. PostStratified takes exactly one. Ignored with None.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MaxLength=63
	Segments []string `json:"segments,omitempty"`
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

	// marginOfError is half the width of confidenceInterval, at
	// spec.confidenceLevel. Where the NPS interval is clamped at -100 or
	// 100 it is asymmetric about score, and marginOfError is still half
	// its width.
	// +optional
	MarginOfError string `json:"marginOfError,omitempty"`

	// confidenceInterval of score at spec.confidenceLevel. NPS: the
	// adjusted Wald interval (Rocks 2016: n+3 responses, 3/4 added to the
	// promoters and to the detractors), centred on that adjusted score and
	// clamped to -100..100, so it never collapses to a point (50 passives
	// give -4.5..4.5, not 0..0), is asymmetric about score near the ends,
	// and from a handful of responses may not even contain score. CSAT
	// and threshold percentages: Wilson. CES and Rating means: Student's t.
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

	// weighting reports the weighted score's basis when spec.weighting is
	// PostStratified: score, marginOfError, confidenceInterval and
	// previous.score are then weighted, and the unweighted ones are here.
	// +optional
	Weighting *WeightingStatus `json:"weighting,omitempty"`

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
	// responses of the window that carry this segment.
	// +optional
	Responses int64 `json:"responses,omitempty"`
	// values of the segment seen in the window, at most maxValues plus
	// "other". A value with fewer than spec.minSegmentResponses
	// responses is never listed: it counts under "other".
	// +optional
	Values []SegmentValueStatus `json:"values,omitempty"`
	// representation compares the responses with the segment's expected
	// shares; absent when the segment declares none.
	// +optional
	Representation *SegmentRepresentation `json:"representation,omitempty"`
}

// SegmentValueStatus is the score of the responses with one segment value.
type SegmentValueStatus struct {
	// value of the segment, or "other".
	Value string `json:"value"`
	// responses with this value in the window.
	Responses int64 `json:"responses"`
	// score of those responses. Empty for "other" while it holds fewer
	// than spec.minSegmentResponses responses (or while its score would
	// reveal a smaller group's by subtraction).
	// +optional
	Score string `json:"score,omitempty"`
	// marginOfError of that score.
	// +optional
	MarginOfError string `json:"marginOfError,omitempty"`
	// share of the segment's responses with this value, 0..1.
	// +optional
	Share string `json:"share,omitempty"`
	// expectedShare of this value in the customer base, 0..1 (for
	// "other": the share of every value not listed on its own).
	// +optional
	ExpectedShare string `json:"expectedShare,omitempty"`
	// ratio is share / expectedShare: above 1 the value is
	// over-represented among the responses, below 1 under-represented.
	// +optional
	Ratio string `json:"ratio,omitempty"`
}

// RepresentationResult is what a representation test found.
// +kubebuilder:validation:Enum=Consistent;Unrepresentative;NotTested
type RepresentationResult string

// Representation results.
const (
	// RepresentationConsistent: the test does not reject that the
	// responses follow the expected shares.
	RepresentationConsistent RepresentationResult = "Consistent"
	// RepresentationUnrepresentative: the shares of the responses differ
	// from the expected shares beyond chance at spec.confidenceLevel.
	RepresentationUnrepresentative RepresentationResult = "Unrepresentative"
	// RepresentationNotTested: the test cannot be run (too few responses,
	// or no expected shares available); the message says why.
	RepresentationNotTested RepresentationResult = "NotTested"
)

// SegmentRepresentation is Pearson's chi-square goodness-of-fit test of a
// segment's responses against its expected shares.
type SegmentRepresentation struct {
	// result of the test at spec.confidenceLevel.
	Result RepresentationResult `json:"result"`
	// chiSquare is the test statistic, sum of (observed - expected)^2 /
	// expected over the groups tested.
	// +optional
	ChiSquare string `json:"chiSquare,omitempty"`
	// degreesOfFreedom of the test: groups tested minus 1.
	// +optional
	DegreesOfFreedom int32 `json:"degreesOfFreedom,omitempty"`
	// pValue is the probability of a chi-square at least this large if
	// the responses followed the expected shares.
	// +optional
	PValue string `json:"pValue,omitempty"`
	// message says in plain words what the test found, for example
	// "plan: responses over-represent pro (41% vs 25%), p < 0.001".
	Message string `json:"message"`
}

// WeightingStatus is the basis of a weighted score.
type WeightingStatus struct {
	// method of spec.weighting.
	Method WeightingMethod `json:"method"`
	// segment weighted by.
	Segment string `json:"segment"`
	// effectiveResponses is Kish's effective sample size of the weighted
	// score, (sum of weights)^2 / sum of squared weights: the number of
	// unweighted responses that would give the same precision. At most
	// responses.
	// +optional
	EffectiveResponses string `json:"effectiveResponses,omitempty"`
	// unweighted is the score of the same responses as received.
	// +optional
	Unweighted *UnweightedScore `json:"unweighted,omitempty"`
	// message says what the weighting did, or why it could not be
	// applied (then score is empty).
	// +optional
	Message string `json:"message,omitempty"`
}

// UnweightedScore is the plain score of a weighted Survey's window.
type UnweightedScore struct {
	// score of the responses as received.
	// +optional
	Score string `json:"score,omitempty"`
	// marginOfError of that score.
	// +optional
	MarginOfError string `json:"marginOfError,omitempty"`
	// confidenceInterval of that score.
	// +optional
	ConfidenceInterval *Interval `json:"confidenceInterval,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=svy,categories=cx
// +kubebuilder:printcolumn:name="Touchpoint",type=string,JSONPath=`.spec.touchpointRef.name`,priority=1
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Score",type=string,JSONPath=`.status.score`
// +kubebuilder:printcolumn:name="N",type=integer,JSONPath=`.status.responses`
// +kubebuilder:printcolumn:name="MOE",type=string,JSONPath=`.status.marginOfError`
// +kubebuilder:printcolumn:name="Effective N",type=string,JSONPath=`.status.weighting.effectiveResponses`,priority=1
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
