package v1alpha1

// Condition types shared by the Touchstone kinds. Every kind carries Ready,
// which is what kstatus, Flux and Argo CD read as health.
const (
	// ConditionReady is True when the object is fully reconciled and its
	// published values can be trusted.
	ConditionReady = "Ready"
	// ConditionCollectorsHealthy (Touchpoint) is True when the last run of
	// every collector succeeded.
	ConditionCollectorsHealthy = "CollectorsHealthy"
	// ConditionDataSufficient (Survey) is True when the window holds at
	// least spec.minResponses responses.
	ConditionDataSufficient = "DataSufficient"
	// ConditionAlertingReady (Scorecard) reports whether the PrometheusRule
	// asked for by spec.alerting could be written.
	ConditionAlertingReady = "AlertingReady"
)

// Condition reasons. A reason is a CamelCase word that says why a condition
// has its status; the message carries the details.
const (
	ReasonReconciled          = "Reconciled"
	ReasonTouchpointNotFound  = "TouchpointNotFound"
	ReasonSecretNotFound      = "SecretNotFound"
	ReasonSecretKeyNotFound   = "SecretKeyNotFound"
	ReasonInsufficientData    = "InsufficientData"
	ReasonSufficientData      = "SufficientData"
	ReasonCollectorsSucceeded = "CollectorsSucceeded"
	ReasonCollectorsFailing   = "CollectorsFailing"
	ReasonCollectorsPending   = "CollectorsPending"
	ReasonInvalidExpression   = "InvalidExpression"
	ReasonInvalidCollector    = "InvalidCollector"
	ReasonInvalidSpec         = "InvalidSpec"
	ReasonSourceNotFound      = "SourceNotFound"
	ReasonReferenceCycle      = "ReferenceCycle"
	ReasonObjectivesEvaluated = "ObjectivesEvaluated"
	ReasonTalliesUnreadable   = "TalliesUnreadable"
	// ReasonExpectedSharesUnavailable (Survey): a segment reads its
	// expected shares from a Touchpoint whose metrics do not give them.
	ReasonExpectedSharesUnavailable = "ExpectedSharesUnavailable"
	ReasonRuleWritten               = "RuleWritten"
	ReasonRuleCRDNotInstalled       = "PrometheusRuleCRDNotInstalled"
	ReasonRuleWriteFailed           = "RuleWriteFailed"
)

// SecretKeyRef selects one key of a Secret in the same namespace as the
// object that refers to it.
type SecretKeyRef struct {
	// name of the Secret, in the namespace of the referring object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// key within the Secret's data whose value is used.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// LocalObjectReference names an object of a known kind in the same namespace.
type LocalObjectReference struct {
	// name of the referenced object, in the same namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}
