package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ScorecardSpec declares weighted objectives over survey scores, touchpoint
// metrics and other scorecards.
type ScorecardSpec struct {
	// description says what the scorecard is for.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// objectives each read one value and compare it with a target.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	Objectives []Objective `json:"objectives"`

	// thresholds turn the total score (0..100) into a result.
	// +optional
	// +kubebuilder:default={pass: 90, warning: 75}
	Thresholds *Thresholds `json:"thresholds,omitempty"`

	// alerting asks for a PrometheusRule, named after the card, in its
	// namespace and owned by it, with an alert per objective (firing when
	// the objective is not met for alerting.for) and one for the card's
	// result (firing when it is Fail for alerting.for). Needs the
	// prometheus-operator PrometheusRule CRD: without it, condition
	// AlertingReady says so and nothing else changes. Removing alerting
	// deletes the rule.
	// +optional
	Alerting *Alerting `json:"alerting,omitempty"`

	// stabilizationWindow is how long a new result must hold before it is
	// published, in the spirit of the HorizontalPodAutoscaler's
	// behavior.*.stabilizationWindowSeconds: status.result, its
	// ResultChanged Event and cx_scorecard_result change only once every
	// evaluation over the whole window gave the new result (a failing key
	// objective included), so a card whose sources hover around a
	// threshold does not flap. Meanwhile status.pendingResult and
	// status.pendingSince say what is waiting; the score and the
	// objectives are published at once. The first result of a card is
	// published at once. A duration from 0s (publish every change at once)
	// to 24h; default 5m.
	// +optional
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(0|([0-9]+(\.[0-9]+)?(ms|s|m|h))+)$`
	// +kubebuilder:validation:XValidation:rule="duration(self) <= duration('24h')",message="spec.stabilizationWindow must be a duration between 0s and 24h"
	StabilizationWindow *metav1.Duration `json:"stabilizationWindow,omitempty"`
}

// Decision says how an objective's value is compared with its target.
// +kubebuilder:validation:Enum=Estimate;Confident
type Decision string

// The decisions.
const (
	// DecisionEstimate compares the value itself (the point estimate) with
	// the target and the warning band.
	DecisionEstimate Decision = "Estimate"
	// DecisionConfident compares the value's confidence interval, for
	// sources that publish one: Pass only when the whole interval lies
	// inside the target, Fail only when it lies wholly outside the
	// warning band (the target without one), Warning when it lies outside
	// the target and inside the band, Inconclusive otherwise.
	DecisionConfident Decision = "Confident"
)

// SurveyValue names a value a Survey publishes.
// +kubebuilder:validation:Enum=Score;Responses;MarginOfError;Mean;ThresholdPercent;PromoterPercent;DetractorPercent
type SurveyValue string

// The survey values an objective can read.
const (
	SurveyValueScore            SurveyValue = "Score"
	SurveyValueResponses        SurveyValue = "Responses"
	SurveyValueMarginOfError    SurveyValue = "MarginOfError"
	SurveyValueMean             SurveyValue = "Mean"
	SurveyValueThresholdPercent SurveyValue = "ThresholdPercent"
	SurveyValuePromoterPercent  SurveyValue = "PromoterPercent"
	SurveyValueDetractorPercent SurveyValue = "DetractorPercent"
)

// Objective reads exactly one value (from a survey, a touchpoint metric or
// another scorecard) and compares it with a target.
// +kubebuilder:validation:XValidation:rule="(has(self.survey) ? 1 : 0) + (has(self.touchpoint) ? 1 : 0) + (has(self.scorecard) ? 1 : 0) == 1",message="spec.objectives[]: set exactly one source of survey, touchpoint and scorecard"
// +kubebuilder:validation:XValidation:rule="!has(self.warning) || has(self.target.min) == has(self.warning.min) && has(self.target.max) == has(self.warning.max)",message="spec.objectives[].warning must bound the same sides (min, max) as target",fieldPath=".warning"
// +kubebuilder:validation:XValidation:rule="!has(self.warning) || !has(self.target.min) || quantity(string(self.warning.min)).compareTo(quantity(string(self.target.min))) <= 0",message="spec.objectives[].warning.min must not be above target.min: the warning band is looser than the target",fieldPath=".warning.min"
// +kubebuilder:validation:XValidation:rule="!has(self.warning) || !has(self.target.max) || quantity(string(self.warning.max)).compareTo(quantity(string(self.target.max))) >= 0",message="spec.objectives[].warning.max must not be below target.max: the warning band is looser than the target",fieldPath=".warning.max"
type Objective struct {
	// name identifies the objective within the card (a DNS label).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// description says what the objective means.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Description string `json:"description,omitempty"`

	// survey reads a value a Survey publishes.
	// +optional
	Survey *SurveySource `json:"survey,omitempty"`

	// touchpoint reads a metric of a Touchpoint.
	// +optional
	Touchpoint *TouchpointSource `json:"touchpoint,omitempty"`

	// scorecard reads the total score (0..100) of another Scorecard, so
	// that a journey card can be built from stage cards.
	// +optional
	Scorecard *LocalObjectReference `json:"scorecard,omitempty"`

	// target the value must meet to pass.
	Target Target `json:"target"`

	// warning is a looser band: a value outside target but inside warning
	// scores half the weight.
	// +optional
	Warning *Target `json:"warning,omitempty"`

	// weight of the objective in the total score.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Weight int32 `json:"weight,omitempty"`

	// key marks an objective that fails the whole card when it fails or
	// has no data.
	// +optional
	Key bool `json:"key,omitempty"`

	// decision says how the value is compared with target and warning.
	// Estimate (default) compares the value itself. Confident compares
	// its confidence interval, for sources that publish one (a Survey's
	// Score, at the Survey's confidenceLevel): Pass only when the whole
	// interval lies inside target; Fail only when it lies wholly outside
	// warning (outside target when there is no warning band); Warning
	// when it lies wholly outside target and wholly inside warning;
	// otherwise Inconclusive, which earns half the weight like Warning, is
	// never met, and does not fail the card as a key objective. For
	// sources without an interval, Confident compares the value as
	// Estimate does, and the objective's reason says so.
	// +optional
	// +kubebuilder:default=Estimate
	Decision Decision `json:"decision,omitempty"`

	// alertSeverity overrides spec.alerting.objectiveSeverity for this
	// objective's alert.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	AlertSeverity string `json:"alertSeverity,omitempty"`
}

// SurveySource selects a value of a Survey.
type SurveySource struct {
	// name of the Survey in the same namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// value to read: Score (default), Responses, MarginOfError, Mean,
	// ThresholdPercent, PromoterPercent or DetractorPercent.
	// +optional
	// +kubebuilder:default=Score
	Value SurveyValue `json:"value,omitempty"`
}

// TouchpointSource selects a metric of a Touchpoint.
type TouchpointSource struct {
	// name of the Touchpoint in the same namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// metric of the touchpoint, collected or derived.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9_]*$`
	Metric string `json:"metric"`
}

// Target is an inclusive range; at least one bound must be set.
// +kubebuilder:validation:XValidation:rule="has(self.min) || has(self.max)",message="target: set min, max or both"
// +kubebuilder:validation:XValidation:rule="!has(self.min) || !has(self.max) || quantity(string(self.min)).compareTo(quantity(string(self.max))) <= 0",message="target: min must not be greater than max"
type Target struct {
	// min is the lowest passing value, inclusive.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=32
	Min *resource.Quantity `json:"min,omitempty"`

	// max is the highest passing value, inclusive.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=32
	Max *resource.Quantity `json:"max,omitempty"`
}

// Thresholds turn a total score into a result: Pass at or above pass,
// Warning at or above warning, Fail below.
// +kubebuilder:validation:XValidation:rule="quantity(string(self.warning)).compareTo(quantity('0')) >= 0",message="spec.thresholds.warning must be at least 0",fieldPath=".warning"
// +kubebuilder:validation:XValidation:rule="quantity(string(self.warning)).compareTo(quantity(string(self.pass))) < 0",message="spec.thresholds.warning must be below spec.thresholds.pass",fieldPath=".warning"
// +kubebuilder:validation:XValidation:rule="quantity(string(self.pass)).compareTo(quantity('100')) <= 0",message="spec.thresholds.pass must be at most 100",fieldPath=".pass"
type Thresholds struct {
	// pass is the lowest total score that passes (0..100).
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=32
	Pass resource.Quantity `json:"pass"`

	// warning is the lowest total score that warns instead of failing.
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=32
	Warning resource.Quantity `json:"warning"`
}

// Alerting configures the PrometheusRule generated for a Scorecard.
type Alerting struct {
	// for is how long an objective (or the card) must keep failing before
	// its alert fires.
	// +optional
	// +kubebuilder:default="15m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	For *metav1.Duration `json:"for,omitempty"`

	// objectiveSeverity is the severity label of the per-objective alerts.
	// +optional
	// +kubebuilder:default=warning
	// +kubebuilder:validation:MaxLength=63
	ObjectiveSeverity string `json:"objectiveSeverity,omitempty"`

	// resultSeverity is the severity label of the alert on the card's
	// result.
	// +optional
	// +kubebuilder:default=critical
	// +kubebuilder:validation:MaxLength=63
	ResultSeverity string `json:"resultSeverity,omitempty"`

	// labels are added to every generated alert, for example team:
	// support for routing in Alertmanager. The names severity, namespace,
	// scorecard, objective, result and alertname are reserved: severity
	// comes from objectiveSeverity, resultSeverity and the objectives'
	// alertSeverity, the others identify the alert.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="!self.exists(k, k in ['severity', 'namespace', 'scorecard', 'objective', 'result', 'alertname'])",message="spec.alerting.labels must not set severity, namespace, scorecard, objective, result or alertname: they are set by the operator"
	Labels map[string]string `json:"labels,omitempty"`

	// annotations are added to every generated alert, for example a
	// runbook_url. They may use Prometheus alert templates such as
	// {{ $value }}. A summary or description given here replaces the
	// generated one.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Annotations map[string]string `json:"annotations,omitempty"`

	// ruleLabels are put on the generated PrometheusRule object itself
	// (not on the alerts), so that the Prometheus that should load it
	// selects it: kube-prometheus-stack, for example, selects rules by
	// its release label.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	RuleLabels map[string]string `json:"ruleLabels,omitempty"`
}

// ScorecardResult is the verdict of a scorecard.
// +kubebuilder:validation:Enum=Pass;Warning;Fail
type ScorecardResult string

// Scorecard results.
const (
	ResultPass    ScorecardResult = "Pass"
	ResultWarning ScorecardResult = "Warning"
	ResultFail    ScorecardResult = "Fail"
)

// ObjectiveResult is the verdict of one objective.
// +kubebuilder:validation:Enum=Pass;Warning;Inconclusive;Fail;NoData
type ObjectiveResult string

// Objective results. NoData scores zero, like Fail, and is never shown as
// met. Inconclusive (decision Confident only: the interval straddles a
// bound) scores half, like Warning, and is never met.
const (
	ObjectivePass         ObjectiveResult = "Pass"
	ObjectiveWarning      ObjectiveResult = "Warning"
	ObjectiveInconclusive ObjectiveResult = "Inconclusive"
	ObjectiveFail         ObjectiveResult = "Fail"
	ObjectiveNoData       ObjectiveResult = "NoData"
)

// ScorecardStatus is the observed state of a Scorecard, written by the
// operator only.
type ScorecardStatus struct {
	// observedGeneration is the metadata.generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready, and AlertingReady when spec.alerting is set.
	//
	// Ready is True (reason ObjectivesEvaluated) once every objective has
	// been evaluated, whatever the result: a failing card is healthy as a
	// Kubernetes object, and objectives without data are counted in the
	// message (they score 0 and are never shown as met). Ready is False
	// with reason SourceNotFound when an objective names a Survey,
	// Touchpoint or Scorecard that does not exist (the score is still
	// published, those objectives having no data), and with reason
	// ReferenceCycle when nested scorecards refer to each other in a
	// cycle (the message names the path; the objectives on the cycle have
	// no data). AlertingReady reports whether the PrometheusRule could be
	// written; it never changes Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// score is the weighted total, 0..100, rounded to two decimals:
	// 100 * (weights of the passing objectives + half the weights of the
	// warning ones) / all weights.
	// +optional
	Score string `json:"score,omitempty"`

	// result of the card: Pass at or above spec.thresholds.pass, Warning
	// at or above spec.thresholds.warning, Fail below it or when a key
	// objective fails or has no data. A new result is published once it
	// has held for spec.stabilizationWindow (pendingResult meanwhile).
	// +optional
	Result ScorecardResult `json:"result,omitempty"`

	// pendingResult is the result the objectives give now, when it differs
	// from result and waits for spec.stabilizationWindow; empty otherwise.
	// +optional
	PendingResult ScorecardResult `json:"pendingResult,omitempty"`

	// pendingSince is when pendingResult was first seen (rounded up to the
	// second); it becomes result at pendingSince +
	// spec.stabilizationWindow if every evaluation until then agrees.
	// +optional
	PendingSince *metav1.Time `json:"pendingSince,omitempty"`

	// objectives reports each objective's value and verdict.
	// +optional
	// +listType=map
	// +listMapKey=name
	Objectives []ObjectiveStatus `json:"objectives,omitempty"`
}

// ObjectiveStatus is the evaluation of one objective.
type ObjectiveStatus struct {
	// name of the objective.
	Name string `json:"name"`
	// value read from the source; empty when there is no data.
	// +optional
	Value string `json:"value,omitempty"`
	// target as text, for example ">= 40" or "0.5 .. 2".
	Target string `json:"target"`
	// warning band as text, when the objective has one.
	// +optional
	Warning string `json:"warning,omitempty"`
	// key is true for a key objective, which fails the card when it fails
	// or has no data.
	// +optional
	Key bool `json:"key,omitempty"`
	// result: Pass, Warning, Inconclusive, Fail or NoData.
	Result ObjectiveResult `json:"result"`
	// score is the weight earned: all of it on Pass, half on Warning and
	// Inconclusive, none otherwise.
	Score string `json:"score"`
	// weight of the objective.
	Weight int32 `json:"weight"`
	// reason explains the result in one line.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=sc,categories=cx
// +kubebuilder:printcolumn:name="Score",type=string,JSONPath=`.status.score`
// +kubebuilder:printcolumn:name="Result",type=string,JSONPath=`.status.result`
// +kubebuilder:printcolumn:name="Pending",type=string,JSONPath=`.status.pendingResult`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Scorecard is a set of weighted objectives over CX values, scored 0..100
// into Pass, Warning or Fail.
type Scorecard struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the objectives.
	Spec ScorecardSpec `json:"spec"`
	// status is written by the operator.
	// +optional
	Status ScorecardStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ScorecardList is a list of Scorecards.
type ScorecardList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Scorecard `json:"items"`
}

func init() {
	register(&Scorecard{}, &ScorecardList{})
}
