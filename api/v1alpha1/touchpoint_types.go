package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Stage is a step of the customer lifecycle.
// +kubebuilder:validation:Enum=Awareness;Consideration;Acquisition;Onboarding;Adoption;Support;Billing;Renewal;Offboarding;Advocacy
type Stage string

// The lifecycle stages, in the order a customer meets them.
const (
	StageAwareness     Stage = "Awareness"
	StageConsideration Stage = "Consideration"
	StageAcquisition   Stage = "Acquisition"
	StageOnboarding    Stage = "Onboarding"
	StageAdoption      Stage = "Adoption"
	StageSupport       Stage = "Support"
	StageBilling       Stage = "Billing"
	StageRenewal       Stage = "Renewal"
	StageOffboarding   Stage = "Offboarding"
	StageAdvocacy      Stage = "Advocacy"
)

// Unit is the unit of a touchpoint metric. Values are stored in base units:
// a ratio is 0..1, a percent is 0..100.
// +kubebuilder:validation:Enum=seconds;ratio;percent;count;score
type Unit string

// The units a metric can have.
const (
	UnitSeconds Unit = "seconds"
	UnitRatio   Unit = "ratio"
	UnitPercent Unit = "percent"
	UnitCount   Unit = "count"
	UnitScore   Unit = "score"
)

// TouchpointSpec declares one point where a customer meets the company and
// how to measure it.
// +kubebuilder:validation:XValidation:rule="!has(self.collectors) || self.collectors.all(c, self.collectors.exists_one(d, d.metric == c.metric))",message="spec.collectors: each collector must yield a different metric"
// +kubebuilder:validation:XValidation:rule="!has(self.derived) || !has(self.collectors) || self.derived.all(d, !self.collectors.exists(c, c.metric == d.metric))",message="spec.derived: a derived metric must not reuse the name of a collected metric"
type TouchpointSpec struct {
	// stage of the customer lifecycle this touchpoint belongs to: one of
	// Awareness, Consideration, Acquisition, Onboarding, Adoption, Support,
	// Billing, Renewal, Offboarding, Advocacy.
	Stage Stage `json:"stage"`

	// channel through which the customer meets the company here, for
	// example web, mobile, email, phone or store.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Channel string `json:"channel,omitempty"`

	// owner is the team accountable for this touchpoint, for example
	// "support-team". Shown in `kubectl get` and copied to no metric label.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Owner string `json:"owner,omitempty"`

	// description says in one or two sentences what happens at this
	// touchpoint.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// collectors pull one number each from a data source on a schedule.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Collectors []Collector `json:"collectors,omitempty"`

	// derived metrics are CEL expressions over the other metrics of this
	// touchpoint, for example `churned / customers_at_start`. They are
	// evaluated in order: an expression may use every collected metric and
	// the derived metrics listed before it.
	// +optional
	// +listType=map
	// +listMapKey=metric
	// +kubebuilder:validation:MaxItems=16
	Derived []DerivedMetric `json:"derived,omitempty"`
}

// Collector pulls one metric from one source on its own schedule. Exactly
// one of prometheus or http must be set.
//
// A new collector, or one whose spec changed, runs at once. After a
// successful run it runs again about one interval later; after its n-th
// failed run in a row, about interval × 2^n later, at most interval × 8
// (2, 4, 8, 8... intervals). The collectors of a touchpoint that share an
// interval run together, in one round, at a phase of the interval derived
// from the touchpoint's name, so that touchpoints spread over the
// interval.
// +kubebuilder:validation:XValidation:rule="(has(self.prometheus) ? 1 : 0) + (has(self.http) ? 1 : 0) == 1",message="spec.collectors[].prometheus or spec.collectors[].http: exactly one source must be set"
// +kubebuilder:validation:XValidation:rule="duration(self.interval) >= duration('10s')",message="spec.collectors[].interval must be at least 10s",fieldPath=".interval"
// +kubebuilder:validation:XValidation:rule="duration(self.timeout) < duration(self.interval)",message="spec.collectors[].timeout must be shorter than interval",fieldPath=".timeout"
type Collector struct {
	// name identifies the collector within the touchpoint (a DNS label).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// metric is the snake_case name of the value this collector yields,
	// unique within the touchpoint, for example first_response_seconds.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9_]*$`
	Metric string `json:"metric"`

	// unit of the value: seconds, ratio (0..1), percent (0..100), count or
	// score.
	Unit Unit `json:"unit"`

	// interval between two runs, at least 10s. Each run starts with a small
	// jitter (at most a tenth of the interval, and at most 1s) so that
	// collectors do not all fire at once.
	// +optional
	// +kubebuilder:default="60s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	Interval *metav1.Duration `json:"interval,omitempty"`

	// timeout of one run, shorter than interval. A run that takes longer
	// fails with a timeout error.
	// +optional
	// +kubebuilder:default="10s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// prometheus runs an instant PromQL query that must return exactly one
	// sample.
	// +optional
	Prometheus *PrometheusSource `json:"prometheus,omitempty"`

	// http fetches a JSON document and picks one number from it.
	// +optional
	HTTP *HTTPSource `json:"http,omitempty"`
}

// PrometheusSource queries a Prometheus-compatible HTTP API.
// +kubebuilder:validation:XValidation:rule="!has(self.bearerTokenSecretRef) || !has(self.basicAuth)",message="spec.collectors[].prometheus: set at most one of bearerTokenSecretRef and basicAuth"
type PrometheusSource struct {
	// address is the base URL of the API, for example
	// http://prometheus.monitoring:9090.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (url(self).getScheme() == 'http' || url(self).getScheme() == 'https')",message="spec.collectors[].prometheus.address must be an http or https URL"
	Address string `json:"address"`

	// query is the PromQL expression evaluated as an instant query. It must
	// return one sample: a scalar or a one-element vector. Several series,
	// no series, NaN or ±Inf fail the run with an error that says so
	// (aggregate with sum, max... to get one series).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Query string `json:"query"`

	// bearerTokenSecretRef is a Secret key holding a bearer token sent as
	// the Authorization header.
	// +optional
	BearerTokenSecretRef *SecretKeyRef `json:"bearerTokenSecretRef,omitempty"`

	// basicAuth sends HTTP basic credentials read from Secrets.
	// +optional
	BasicAuth *BasicAuth `json:"basicAuth,omitempty"`

	// tls configures the server's certificate authority.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`
}

// BasicAuth holds references to HTTP basic-auth credentials.
type BasicAuth struct {
	// usernameSecretRef is the Secret key holding the user name.
	UsernameSecretRef SecretKeyRef `json:"usernameSecretRef"`
	// passwordSecretRef is the Secret key holding the password.
	PasswordSecretRef SecretKeyRef `json:"passwordSecretRef"`
}

// TLSConfig configures how a server's certificate is verified.
type TLSConfig struct {
	// caSecretRef is a Secret key holding PEM-encoded CA certificates used
	// instead of the system pool.
	// +optional
	CASecretRef *SecretKeyRef `json:"caSecretRef,omitempty"`

	// insecureSkipVerify disables certificate verification. Use only for
	// tests.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// HTTPSource fetches a JSON document with GET and picks one number.
type HTTPSource struct {
	// url of the JSON document.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (url(self).getScheme() == 'http' || url(self).getScheme() == 'https')",message="spec.collectors[].http.url must be an http or https URL"
	URL string `json:"url"`

	// jsonPath selects one number in the document, in kubectl's JSONPath
	// syntax, for example {.tickets.open}. It must match exactly one value:
	// a JSON number, or a string holding a number. The document must be
	// JSON, answered with a 2xx status, and at most 1 MiB (the operator's
	// --collector-max-response-bytes).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('{') && self.endsWith('}')",message="spec.collectors[].http.jsonPath must be a JSONPath template in braces, for example {.tickets.open}"
	JSONPath string `json:"jsonPath"`

	// headers are sent with the request; a value may come from a Secret.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Headers []HTTPHeader `json:"headers,omitempty"`

	// tls configures the server's certificate authority.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`
}

// HTTPHeader is one request header, given inline or read from a Secret.
// +kubebuilder:validation:XValidation:rule="has(self.value) != has(self.valueFrom)",message="spec.collectors[].http.headers[]: set exactly one of value and valueFrom"
type HTTPHeader struct {
	// name of the header, for example Authorization.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`
	Name string `json:"name"`

	// value of the header, inline. Put credentials in valueFrom instead.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Value *string `json:"value,omitempty"`

	// valueFrom reads the header value from a Secret key.
	// +optional
	ValueFrom *SecretKeyRef `json:"valueFrom,omitempty"`
}

// DerivedMetric computes a metric from the touchpoint's other metrics.
// +kubebuilder:validation:XValidation:rule=`!self.expression.matches(r'\b' + self.metric + r'\b')`,message="spec.derived[].expression must not use its own metric",fieldPath=".expression"
type DerivedMetric struct {
	// metric is the snake_case name of the derived value.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9_]*$`
	Metric string `json:"metric"`

	// unit of the derived value.
	Unit Unit `json:"unit"`

	// expression is a CEL expression over the other metrics of this
	// touchpoint, each a double variable named after its metric, for
	// example `churned / customers_at_start` or
	// `100.0 * resolved / (resolved + escalated)`. Metrics are doubles:
	// write number literals with a decimal point (100.0). The math
	// extension is available (math.greatest, math.least, math.abs,
	// math.round...). It may use the collected metrics and the derived
	// metrics listed before it, and must evaluate to a number.
	//
	// The expression is compiled and type-checked when the Touchpoint is
	// reconciled: an invalid one sets Ready=False with reason
	// InvalidExpression, and its metric has no value. At run time, the
	// metric has no value, with a reason in status, while one of its
	// inputs has none, and on division by zero (never Inf or NaN).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Expression string `json:"expression"`
}

// TouchpointStatus is the observed state of a Touchpoint, written by the
// operator only.
type TouchpointStatus struct {
	// observedGeneration is the metadata.generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready and CollectorsHealthy.
	//
	// Ready is False for a configuration problem first (reason
	// InvalidExpression, SecretNotFound or SecretKeyNotFound), then
	// CollectorsFailing when the last run of a collector failed (the
	// message names them), then CollectorsPending until every collector
	// has run once; it is True (CollectorsSucceeded) otherwise. A derived
	// metric without a value (an input without value, a division by zero)
	// says why in its reason and does not make the Touchpoint unready.
	//
	// CollectorsHealthy is True (CollectorsSucceeded) when the last run of
	// every collector succeeded; False with CollectorsFailing (the message
	// names each failing collector and its error) or CollectorsPending.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// metrics holds the latest value of each collected and derived metric:
	// the collected ones in the order of spec.collectors, then the derived
	// ones.
	// +optional
	// +listType=map
	// +listMapKey=name
	Metrics []MetricStatus `json:"metrics,omitempty"`

	// collectors reports the health of each collector.
	// +optional
	// +listType=map
	// +listMapKey=name
	Collectors []CollectorStatus `json:"collectors,omitempty"`

	// healthyCollectors is "healthy/total": the collectors whose last run
	// succeeded out of all, for example "3/4", shown by `kubectl get tp`.
	// +optional
	HealthyCollectors string `json:"healthyCollectors,omitempty"`
}

// MetricStatus is the latest value of one metric.
//
// A collected metric has the value of its collector's last successful
// run, kept through failed runs until the collector has failed three
// times in a row (the operator's --collector-stale-after-failures); then,
// or before its first success, it has no value and a reason naming the
// collector and its error. Until a collector has run since the operator
// started (or since the collector's spec changed), its metric keeps what
// the status said, so that a restart never blanks values.
type MetricStatus struct {
	// name of the metric.
	Name string `json:"name"`

	// value rounded for display to six significant digits, in base units;
	// empty when there is no value (see reason). It is refreshed at most
	// once per --touchpoint-status-interval (a value that appears or is
	// lost, at once); the cx_touchpoint_value series has the unrounded
	// value of every run.
	// +optional
	Value string `json:"value,omitempty"`

	// unit of the value.
	Unit Unit `json:"unit"`

	// source is the collector that yields the metric, or "derived".
	Source string `json:"source"`

	// since is when the metric took its current value (or lost it), in
	// whole seconds. It does not move while the value stays the same.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`

	// reason says why there is no value, for example a division by zero
	// in a derived expression or a collector that never succeeded.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// CollectorStatus reports the schedule and health of one collector. The
// times (whole seconds) are those known when the status was last written;
// status is written at once when a collector starts failing or recovers,
// otherwise at most once per --touchpoint-status-interval (values, errors,
// failure counts) and never for run times alone, so the live clock is the
// cx_collector_last_success_timestamp_seconds metric.
type CollectorStatus struct {
	// name of the collector.
	Name string `json:"name"`

	// lastRunTime is when the collector last ran.
	// +optional
	LastRunTime *metav1.Time `json:"lastRunTime,omitempty"`

	// lastSuccessTime is when the collector last succeeded.
	// +optional
	LastSuccessTime *metav1.Time `json:"lastSuccessTime,omitempty"`

	// nextRunTime is when the collector is due to run next.
	// +optional
	NextRunTime *metav1.Time `json:"nextRunTime,omitempty"`

	// consecutiveFailures counts the failed runs since the last success.
	// +optional
	ConsecutiveFailures int32 `json:"consecutiveFailures,omitempty"`

	// lastError is the error of the last run; cleared when a run succeeds.
	// It never contains Secret values.
	// +optional
	LastError string `json:"lastError,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tp,categories=cx
// +kubebuilder:printcolumn:name="Stage",type=string,JSONPath=`.spec.stage`
// +kubebuilder:printcolumn:name="Channel",type=string,JSONPath=`.spec.channel`,priority=1
// +kubebuilder:printcolumn:name="Owner",type=string,JSONPath=`.spec.owner`,priority=1
// +kubebuilder:printcolumn:name="Healthy",type=string,JSONPath=`.status.healthyCollectors`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Touchpoint is one point of the customer lifecycle where a customer meets
// the company, with the collectors that measure it.
type Touchpoint struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the touchpoint and its collectors.
	Spec TouchpointSpec `json:"spec"`
	// status is written by the operator.
	// +optional
	Status TouchpointStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// TouchpointList is a list of Touchpoints.
type TouchpointList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Touchpoint `json:"items"`
}

func init() {
	register(&Touchpoint{}, &TouchpointList{})
}
