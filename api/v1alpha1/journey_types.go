package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LifecycleStages are the stages of the customer lifecycle in the order a
// customer meets them: the order of a Journey's map.
func LifecycleStages() []Stage {
	return []Stage{StageAwareness, StageConsideration, StageAcquisition, StageOnboarding, StageAdoption,
		StageSupport, StageBilling, StageRenewal, StageOffboarding, StageAdvocacy}
}

// JourneySpec declares a lifecycle map: which Touchpoints it lays out, over
// which stages, and optionally the Scorecard that judges the whole journey.
type JourneySpec struct {
	// description says in one or two sentences what journey this is, for
	// example "From first visit to recommendation."
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// touchpointSelector selects, by label, the Touchpoints of the
	// Journey's namespace that are on the map. Left out, or empty ({}), it
	// selects every Touchpoint of the namespace, as an empty selector does
	// elsewhere in Kubernetes. A selector that matches no Touchpoint makes
	// the Journey Ready=False with reason NoTouchpoints. Touchpoints whose
	// stage is not in spec.stages are not on the map.
	// +optional
	TouchpointSelector *metav1.LabelSelector `json:"touchpointSelector,omitempty"`

	// stages are the lifecycle stages the journey covers, each at most
	// once: Awareness, Consideration, Acquisition, Onboarding, Adoption,
	// Support, Billing, Renewal, Offboarding, Advocacy. Default: all ten.
	// Coverage counts these stages; the status lists them in lifecycle
	// order, whatever their order here.
	// +optional
	// +kubebuilder:default={Awareness,Consideration,Acquisition,Onboarding,Adoption,Support,Billing,Renewal,Offboarding,Advocacy}
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.all(s, self.exists_one(t, t == s))",message="spec.stages must list each stage at most once"
	Stages []Stage `json:"stages,omitempty"`

	// scorecardRef names a Scorecard, in the same namespace, that judges
	// the whole journey; its score and result are shown in the status. A
	// name that does not exist makes the Journey Ready=False with reason
	// ScorecardNotFound.
	// +optional
	ScorecardRef *LocalObjectReference `json:"scorecardRef,omitempty"`

	// confidenceLevel of the stages' margins of error, which also decide
	// whether the weakest stage is clearly the weakest, between 0.5 and
	// 0.999.
	// +optional
	// +kubebuilder:default="0.95"
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('0.5')) >= 0 && quantity(string(self)).compareTo(quantity('0.999')) <= 0",message="spec.confidenceLevel must be between 0.5 and 0.999"
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=32
	ConfidenceLevel *resource.Quantity `json:"confidenceLevel,omitempty"`
}

// JourneyStatus is the lifecycle map, written by the operator only. Numbers
// are rounded display strings; the cx_journey_* series carry them whole.
type JourneyStatus struct {
	// observedGeneration is the metadata.generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready and StagesMeasured.
	//
	// Ready is True (reason Mapped) once the map is computed, gaps and
	// all: an unmeasured stage is a finding, not a failure to reconcile.
	// It is False with reason NoTouchpoints when the selector matches no
	// Touchpoint in the declared stages, ScorecardNotFound when
	// spec.scorecardRef names no Scorecard, and InvalidSpec when the
	// selector cannot be parsed.
	//
	// StagesMeasured is True (AllStagesMeasured) when every declared stage
	// has at least one measured Touchpoint, False (StagesUnmeasured, the
	// message names them) otherwise.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// coverage is "measured/declared": the stages with at least one
	// measured Touchpoint out of the declared stages, for example "9/10",
	// shown by `kubectl get jny`.
	// +optional
	Coverage string `json:"coverage,omitempty"`

	// touchpoints is the number of Touchpoints on the map: selected, and
	// in a declared stage.
	// +optional
	Touchpoints int32 `json:"touchpoints"`

	// stages is the map: one entry per declared stage, in lifecycle order.
	// +optional
	// +listType=map
	// +listMapKey=name
	Stages []JourneyStageStatus `json:"stages,omitempty"`

	// unmeasuredStages are the declared stages without a measured
	// Touchpoint (none at all, or none with data), in lifecycle order.
	// +optional
	UnmeasuredStages []Stage `json:"unmeasuredStages,omitempty"`

	// unmeasuredTouchpoints names the Touchpoints on the map with no
	// measurement at all: no metric with a value and no Survey with
	// responses in its window. At most 50 names, sorted; the stages'
	// counts give the total.
	// +optional
	UnmeasuredTouchpoints []string `json:"unmeasuredTouchpoints,omitempty"`

	// consistency compares the stages' satisfaction.
	// +optional
	Consistency *JourneyConsistency `json:"consistency,omitempty"`

	// scorecard is the score and result of the Scorecard named by
	// spec.scorecardRef.
	// +optional
	Scorecard *JourneyScorecard `json:"scorecard,omitempty"`
}

// JourneyStageStatus is one stage of the map.
//
// Its satisfaction is the response-weighted mean of the scores of its
// Surveys with enough responses (DataSufficient), each put on a common
// 0..100 scale: NPS (x + 100)/2, CSAT as it is, CES and Rating means
// (x − min)/(max − min)·100. Its margin of error combines theirs,
// z·√Σ(wᵢ·SEᵢ)² with wᵢ = nᵢ/Σn, assuming the surveys reach different
// respondents.
type JourneyStageStatus struct {
	// name of the stage.
	Name Stage `json:"name"`

	// touchpoints on the map at this stage.
	Touchpoints int32 `json:"touchpoints"`

	// measuredTouchpoints have a measurement: at least one metric with a
	// value, or a Survey with responses in its window.
	MeasuredTouchpoints int32 `json:"measuredTouchpoints"`

	// surveys asked at this stage's Touchpoints: the responses of each in
	// its window, and its score on the 0..100 scale when it counts towards
	// the stage satisfaction. At most 20, sorted by name.
	// +optional
	Surveys []JourneySurveyStatus `json:"surveys,omitempty"`

	// responses behind the satisfaction: the sum over the Surveys it
	// combines.
	// +optional
	Responses int64 `json:"responses"`

	// satisfaction of the stage on the 0..100 scale; empty when no Survey
	// of the stage has enough responses (see reason).
	// +optional
	Satisfaction string `json:"satisfaction,omitempty"`

	// marginOfError of satisfaction at spec.confidenceLevel, on the same
	// scale; empty when undefined.
	// +optional
	MarginOfError string `json:"marginOfError,omitempty"`

	// reason says why the stage has no satisfaction, for example that it
	// has no Survey or that its Surveys have too few responses.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// JourneySurveyStatus is one Survey of a stage.
type JourneySurveyStatus struct {
	// name of the Survey.
	Name string `json:"name"`

	// type of the Survey.
	Type SurveyType `json:"type"`

	// responses in the Survey's window.
	Responses int64 `json:"responses"`

	// satisfaction is the Survey's score on the 0..100 scale; empty when
	// it does not count towards the stage (too few responses, no score).
	// +optional
	Satisfaction string `json:"satisfaction,omitempty"`
}

// JourneyConsistency says how even the experience is from stage to stage.
type JourneyConsistency struct {
	// scoredStages is the number of stages with a satisfaction.
	ScoredStages int32 `json:"scoredStages"`

	// spread is the best stage's satisfaction minus the worst's (0..100);
	// empty with fewer than two scored stages.
	// +optional
	Spread string `json:"spread,omitempty"`

	// standardDeviation of the scored stages' satisfaction (taken as the
	// whole population of stages); empty with fewer than two.
	// +optional
	StandardDeviation string `json:"standardDeviation,omitempty"`

	// weakest is the stage with the lowest satisfaction, named only when
	// its interval does not overlap the best stage's: otherwise the data
	// cannot tell the stages apart, and it is empty (see summary).
	// +optional
	Weakest Stage `json:"weakest,omitempty"`

	// strongest is the stage with the highest satisfaction, named under
	// the same rule.
	// +optional
	Strongest Stage `json:"strongest,omitempty"`

	// summary says it in a sentence, for example "no clear weakest stage:
	// Support (61.5 ± 9) overlaps Advocacy (68.2 ± 7.7)".
	// +optional
	Summary string `json:"summary,omitempty"`
}

// JourneyScorecard is the verdict of the Scorecard that judges the journey.
type JourneyScorecard struct {
	// name of the Scorecard.
	Name string `json:"name"`

	// score of the Scorecard, 0..100; empty until it is evaluated.
	// +optional
	Score string `json:"score,omitempty"`

	// result of the Scorecard: Pass, Warning or Fail.
	// +optional
	Result ScorecardResult `json:"result,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=jny,categories=cx
// +kubebuilder:printcolumn:name="Coverage",type=string,JSONPath=`.status.coverage`
// +kubebuilder:printcolumn:name="Weakest",type=string,JSONPath=`.status.consistency.weakest`
// +kubebuilder:printcolumn:name="Strongest",type=string,JSONPath=`.status.consistency.strongest`,priority=1
// +kubebuilder:printcolumn:name="Spread",type=string,JSONPath=`.status.consistency.spread`
// +kubebuilder:printcolumn:name="Scorecard",type=string,JSONPath=`.status.scorecard.result`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Journey is a lifecycle map: the Touchpoints of a namespace laid out by
// stage, in lifecycle order, with what is measured at each stage (coverage),
// each stage's satisfaction on a common 0..100 scale, how even it is from
// stage to stage, and the weakest stage when the data can tell.
type Journey struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the map; every field is optional (an empty spec maps
	// every Touchpoint of the namespace over all ten stages).
	// +optional
	// +kubebuilder:default={}
	Spec JourneySpec `json:"spec,omitempty"`
	// status is written by the operator.
	// +optional
	Status JourneyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// JourneyList is a list of Journeys.
type JourneyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Journey `json:"items"`
}

func init() {
	register(&Journey{}, &JourneyList{})
}
