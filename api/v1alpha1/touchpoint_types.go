package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
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
// a ratio is 0..1, a percent is 0..100, a duration is in seconds (a source
// that answers in minutes or hours is converted with http.scale), an
// amount of money is in the currency the metric's name says (for example
// resurrected_ltv_eur).
// +kubebuilder:validation:Enum=seconds;ratio;percent;count;score;currency
type Unit string

// The units a metric can have.
const (
	UnitSeconds  Unit = "seconds"
	UnitRatio    Unit = "ratio"
	UnitPercent  Unit = "percent"
	UnitCount    Unit = "count"
	UnitScore    Unit = "score"
	UnitCurrency Unit = "currency"
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
// +kubebuilder:validation:XValidation:rule="!has(self.timeout) || duration(self.timeout) < duration(has(self.interval) ? self.interval : '60s')",message="spec.collectors[].timeout must be shorter than interval",fieldPath=".timeout"
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

	// unit of the value: seconds, ratio (0..1), percent (0..100), count,
	// score or currency.
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
	// fails with a timeout error; for an http collector that follows
	// pages, the timeout bounds all its pages together. When unset, the
	// smaller of 10s and half the interval: 10s from an interval of 20s
	// up, 5s at the minimum interval of 10s, so that every valid interval
	// has a valid default.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// prometheus runs an instant PromQL query that returns one sample, or
	// a vector that aggregate reduces to one number.
	// +optional
	Prometheus *PrometheusSource `json:"prometheus,omitempty"`

	// http fetches a JSON document (one page or several) and picks one
	// number from it, or reduces a list of items to one with aggregate.
	// +optional
	HTTP *HTTPSource `json:"http,omitempty"`
}

// Aggregate is how a collector reduces the many values it selects to one
// number.
// +kubebuilder:validation:Enum=count;sum;mean;min;max;median;quantile;ratio
type Aggregate string

// The aggregates.
const (
	AggregateCount    Aggregate = "count"
	AggregateSum      Aggregate = "sum"
	AggregateMean     Aggregate = "mean"
	AggregateMin      Aggregate = "min"
	AggregateMax      Aggregate = "max"
	AggregateMedian   Aggregate = "median"
	AggregateQuantile Aggregate = "quantile"
	AggregateRatio    Aggregate = "ratio"
)

// Aggregation reduces a list to one number: the items a JSONPath selects
// (http), or the series of a Prometheus vector (prometheus).
type Aggregation struct {
	// aggregate reduces the selected items to one number:
	//
	// - count: the number of items (that pass where); 0 for an empty list.
	// - sum: the sum of their values; 0 for an empty list.
	// - mean, min, max: of their values.
	// - median and quantile: the nearest-rank quantile, the smallest
	//   value v such that at least a fraction q of the values are at
	//   most v (gonum's stat.Quantile with stat.Empirical; median is
	//   q = 0.5). It is always one of the values, never an interpolation
	//   between two: with the values 10, 20, 30 and 40 the median is 20
	//   and the 0.9 quantile 40. This is how helpdesks read a reply-time
	//   percentile: "90% of the tickets were answered within v"
	//   (Intercom defines its median first response time this way).
	// - ratio: the share of the items for which where is true, 0..1.
	//
	// count and ratio count items of any kind (objects, strings...); the
	// others need numbers: a JSON number or a string holding one (http:
	// the item itself, or what value computes from it; prometheus: the
	// sample value). An item whose value is null (a ticket not replied
	// to yet; for prometheus, NaN) is left out of them. A list with no
	// item (none that passes where, none with a value) gives no value,
	// with a reason in status, never 0 (count and sum excepted): the run
	// succeeds, and the metric says why it has no value.
	// +optional
	Aggregate Aggregate `json:"aggregate,omitempty"`

	// quantile is the fraction q of the quantile aggregate, strictly
	// between 0 and 1, for example "0.9" for the 90th percentile or
	// "0.99" for the 99th. Set it with aggregate: quantile, and only then.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('0')) > 0 && quantity(string(self)).compareTo(quantity('1')) < 0",message="quantile must be strictly between 0 and 1, for example \"0.9\""
	Quantile *resource.Quantity `json:"quantile,omitempty"`

	// where is a CEL expression over each item that selects the items an
	// aggregate counts: for example `item.score == 'good'` (http: item is
	// the JSON value the JSONPath matched; prometheus: item.metric is the
	// series' label map and item.value its sample value). now is the
	// run's start time, a timestamp, for filters such as
	// `timestamp(item.created_at) > now - duration('24h')`. The string
	// and math extensions are available. For ratio, where is required:
	// ratio is the share of the items for which it is true; for the other
	// aggregates the items for which it is false are left out.
	//
	// The expression is compiled when the Touchpoint is reconciled: an
	// invalid one sets Ready=False with reason InvalidCollector and a
	// message naming the field. An item for which it fails (a missing
	// key: use has(item.score)) fails the run, naming the item.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Where string `json:"where,omitempty"`
}

// PrometheusSource queries a Prometheus-compatible HTTP API.
// +kubebuilder:validation:XValidation:rule="!has(self.bearerTokenSecretRef) || !has(self.basicAuth)",message="spec.collectors[].prometheus: set at most one of bearerTokenSecretRef and basicAuth"
// +kubebuilder:validation:XValidation:rule="(has(self.aggregate) && self.aggregate == 'quantile') == has(self.quantile)",message="spec.collectors[].prometheus.quantile must be set when aggregate is quantile, and only then",fieldPath=".quantile"
// +kubebuilder:validation:XValidation:rule="!has(self.where) || has(self.aggregate)",message="spec.collectors[].prometheus.where needs aggregate: it selects the series an aggregate counts",fieldPath=".where"
// +kubebuilder:validation:XValidation:rule="!has(self.aggregate) || self.aggregate != 'ratio' || has(self.where)",message="spec.collectors[].prometheus.where is required by aggregate ratio: the share of the series for which where is true",fieldPath=".where"
type PrometheusSource struct {
	// address is the base URL of the API, for example
	// http://prometheus.monitoring:9090.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (url(self).getScheme() == 'http' || url(self).getScheme() == 'https')",message="spec.collectors[].prometheus.address must be an http or https URL"
	Address string `json:"address"`

	// query is the PromQL expression evaluated as an instant query.
	// Without aggregate it must return one sample: a scalar or a
	// one-element vector; several series, no series, NaN or ±Inf fail the
	// run with an error that says so (aggregate with sum, max... in PromQL,
	// or set aggregate). With aggregate, every series of the vector is one
	// item.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Query string `json:"query"`

	// Aggregation (aggregate, quantile, where) reduces the series of a
	// vector to one number instead of refusing several.
	Aggregation `json:",inline"`

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

// HTTPSource fetches a JSON document and picks one number, or reduces a
// list of items (over several pages, when pagination is set) to one.
// +kubebuilder:validation:XValidation:rule="(has(self.aggregate) && self.aggregate == 'quantile') == has(self.quantile)",message="spec.collectors[].http.quantile must be set when aggregate is quantile, and only then",fieldPath=".quantile"
// +kubebuilder:validation:XValidation:rule="!has(self.where) || has(self.aggregate)",message="spec.collectors[].http.where needs aggregate: it selects the items an aggregate counts",fieldPath=".where"
// +kubebuilder:validation:XValidation:rule="!has(self.aggregate) || self.aggregate != 'ratio' || has(self.where)",message="spec.collectors[].http.where is required by aggregate ratio: the share of the items for which where is true",fieldPath=".where"
// +kubebuilder:validation:XValidation:rule="!has(self.value) || (has(self.aggregate) && self.aggregate in ['sum', 'mean', 'min', 'max', 'median', 'quantile'])",message="spec.collectors[].http.value applies to aggregate sum, mean, min, max, median and quantile (count and ratio count items)",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="!has(self.pagination) || has(self.aggregate)",message="spec.collectors[].http.pagination needs aggregate: the items of all pages are aggregated together",fieldPath=".pagination"
// +kubebuilder:validation:XValidation:rule="!has(self.body) || (has(self.method) && self.method == 'POST')",message="spec.collectors[].http.body needs method POST",fieldPath=".body"
// +kubebuilder:validation:XValidation:rule="!has(self.pagination) || !has(self.pagination.cursorBodyField) || has(self.body)",message="spec.collectors[].http.pagination.cursorBodyField needs a JSON body (method POST)",fieldPath=".pagination.cursorBodyField"
// +kubebuilder:validation:XValidation:rule="!has(self.bearerTokenSecretRef) || !has(self.basicAuth)",message="spec.collectors[].http: set at most one of bearerTokenSecretRef and basicAuth"
// +kubebuilder:validation:XValidation:rule="!(has(self.bearerTokenSecretRef) || has(self.basicAuth)) || !has(self.headers) || !self.headers.exists(h, h.name.lowerAscii() == 'authorization')",message="spec.collectors[].http.headers: an Authorization header conflicts with bearerTokenSecretRef or basicAuth",fieldPath=".headers"
type HTTPSource struct {
	// url of the JSON document (the first page).
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (url(self).getScheme() == 'http' || url(self).getScheme() == 'https')",message="spec.collectors[].http.url must be an http or https URL"
	URL string `json:"url"`

	// method of the request: GET (the default) or POST, for APIs that
	// take their query in a body (GraphQL, search endpoints).
	// +optional
	Method HTTPMethod `json:"method,omitempty"`

	// params are query parameters added to url, in order (a name may
	// repeat). A value may hold the time placeholders {{ .Since }},
	// {{ .Until }} (RFC 3339, UTC, whole seconds), {{ .SinceUnix }} and
	// {{ .UntilUnix }} (Unix seconds): the run's start minus window, and
	// the run's start. Values are URL-encoded.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	Params []HTTPParam `json:"params,omitempty"`

	// body of a POST request, sent as is with Content-Type
	// application/json unless headers set another. It may hold the time
	// placeholders of params, for example
	// {"query":{"field":"created_at","operator":">","value":{{ .SinceUnix }}}}.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=16384
	// +kubebuilder:validation:XValidation:rule="self.findAll('{{').size() == self.findAll('{{ *[.](Since|Until|SinceUnix|UntilUnix) *}}').size()",message="spec.collectors[].http.body may use only the placeholders {{ .Since }}, {{ .Until }}, {{ .SinceUnix }} and {{ .UntilUnix }}"
	Body string `json:"body,omitempty"`

	// window is the time range of the placeholders: {{ .Since }} is the
	// run's start minus window. Default 24h ("the last 24 hours").
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s')",message="spec.collectors[].http.window must be at least 1s"
	Window *metav1.Duration `json:"window,omitempty"`

	// jsonPath selects, in kubectl's JSONPath syntax, one number in the
	// document, for example {.tickets.open}: it must match exactly one
	// value, a JSON number or a string holding one. With aggregate, it
	// selects the list instead: every value it matches is one item, for
	// example {.ticket_metrics[*]} (each ticket) or
	// {.ticket_metrics[*].reply_time_in_minutes.calendar} (each number).
	// A key it names must exist (an empty list is fine). The document
	// must be JSON, answered with a 2xx status, and at most 1 MiB per
	// page (the operator's --collector-max-response-bytes).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('{') && self.endsWith('}')",message="spec.collectors[].http.jsonPath must be a JSONPath template in braces, for example {.tickets.open}"
	JSONPath string `json:"jsonPath"`

	// Aggregation (aggregate, quantile, where) reduces the items jsonPath
	// selects to one number.
	Aggregation `json:",inline"`

	// value is a CEL expression over each item (item) that computes the
	// number an aggregate reduces, for example
	// `item.reply_time_in_minutes.calendar`; by default the item itself.
	// It may evaluate to null, which leaves the item out (a ticket not
	// replied to yet). For sum, mean, min, max, median and quantile.
	// Compiled when the Touchpoint is reconciled, like where.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Value string `json:"value,omitempty"`

	// scale multiplies the collected number, so that the metric is in
	// base units: 60 turns minutes into seconds, 3600 hours into seconds,
	// 100 a ratio into a percent, "0.001" milliseconds into seconds.
	// Positive.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('0')) > 0",message="spec.collectors[].http.scale must be positive, for example 60 or \"0.001\""
	Scale *resource.Quantity `json:"scale,omitempty"`

	// pagination follows the next pages of a list, whose items are
	// aggregated together.
	// +optional
	Pagination *Pagination `json:"pagination,omitempty"`

	// headers are sent with the request; a value may come from a Secret.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Headers []HTTPHeader `json:"headers,omitempty"`

	// bearerTokenSecretRef is a Secret key holding a bearer token, sent as
	// "Authorization: Bearer <token>" with every page.
	// +optional
	BearerTokenSecretRef *SecretKeyRef `json:"bearerTokenSecretRef,omitempty"`

	// basicAuth sends HTTP basic credentials read from Secrets with every
	// page (for Zendesk API tokens: the user name is
	// "<email>/token", the password the token).
	// +optional
	BasicAuth *BasicAuth `json:"basicAuth,omitempty"`

	// tls configures the server's certificate authority.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`
}

// HTTPMethod is the method of an http collector's request.
// +kubebuilder:validation:Enum=GET;POST
type HTTPMethod string

// The methods an http collector can use.
const (
	HTTPGet  HTTPMethod = "GET"
	HTTPPost HTTPMethod = "POST"
)

// HTTPParam is one query parameter.
type HTTPParam struct {
	// name of the parameter, for example start_time.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name"`

	// value of the parameter; it may hold the time placeholders
	// {{ .Since }}, {{ .Until }}, {{ .SinceUnix }} and {{ .UntilUnix }}.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.findAll('{{').size() == self.findAll('{{ *[.](Since|Until|SinceUnix|UntilUnix) *}}').size()",message="spec.collectors[].http.params[].value may use only the placeholders {{ .Since }}, {{ .Until }}, {{ .SinceUnix }} and {{ .UntilUnix }}"
	Value string `json:"value"`
}

// Pagination says how to find the next page of a list: a link
// (nextURL), or a cursor sent back as a query parameter or in the body.
// Pages are fetched one after the other, at most maxPages, all within the
// collector's timeout, with the same method, headers and credentials; a
// next page must be on the same scheme and host as url, so that
// credentials never leave it. Pagination ends when the link or cursor is
// missing, null or empty, or when hasMore is false. Reaching maxPages
// with pages left is not silent: the value covers the pages read and the
// CollectorsHealthy condition says so. A page that fails (an error
// status, a body that is not JSON) fails the run, naming the page, and
// gives no value.
// +kubebuilder:validation:XValidation:rule="(has(self.nextURL) ? 1 : 0) + (has(self.cursor) ? 1 : 0) == 1",message="spec.collectors[].http.pagination: set exactly one of nextURL and cursor"
// +kubebuilder:validation:XValidation:rule="!has(self.cursor) || (has(self.cursorParam) ? 1 : 0) + (has(self.cursorBodyField) ? 1 : 0) == 1",message="spec.collectors[].http.pagination.cursor needs exactly one of cursorParam and cursorBodyField",fieldPath=".cursor"
// +kubebuilder:validation:XValidation:rule="has(self.cursor) || (!has(self.cursorParam) && !has(self.cursorBodyField))",message="spec.collectors[].http.pagination: cursorParam and cursorBodyField need cursor"
type Pagination struct {
	// nextURL is the JSONPath of the next page's URL in a page, absolute
	// or relative to the page's, for example {.links.next} (Zendesk,
	// JSON:API), {.next_page} (Zendesk's offset pagination) or
	// {.topic_list.more_topics_url} (Discourse).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('{') && self.endsWith('}')",message="spec.collectors[].http.pagination.nextURL must be a JSONPath template in braces, for example {.links.next}"
	NextURL string `json:"nextURL,omitempty"`

	// cursor is the JSONPath of the next page's cursor in a page, a
	// string or an integer, for example {.meta.after_cursor} (Zendesk)
	// or {.pages.next.starting_after} (Intercom).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('{') && self.endsWith('}')",message="spec.collectors[].http.pagination.cursor must be a JSONPath template in braces, for example {.meta.after_cursor}"
	Cursor string `json:"cursor,omitempty"`

	// cursorParam is the query parameter that carries the cursor to the
	// next page, for example page[after] (Zendesk) or starting_after
	// (Intercom's list endpoints).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	CursorParam string `json:"cursorParam,omitempty"`

	// cursorBodyField is where the cursor goes in a JSON body, as
	// dot-separated keys, for example variables.after (GraphQL) or
	// pagination.starting_after (Intercom's search endpoints). The body
	// must be a JSON object; missing objects on the way are created.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`
	CursorBodyField string `json:"cursorBodyField,omitempty"`

	// hasMore is the JSONPath of a boolean that says whether more pages
	// follow, for example {.meta.has_more} (Zendesk) or
	// {.data.tickets.pageInfo.hasNextPage} (GraphQL): when it is false,
	// pagination ends even if a link or cursor is there. It must be in
	// every page.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('{') && self.endsWith('}')",message="spec.collectors[].http.pagination.hasMore must be a JSONPath template in braces, for example {.meta.has_more}"
	HasMore string `json:"hasMore,omitempty"`

	// maxPages bounds the pages read in one run, first page included:
	// 1 to 100, default 10.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxPages int32 `json:"maxPages,omitempty"`
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
	// InvalidCollector: a collector's where or value does not compile, or
	// one of its JSONPaths does not parse, the message naming the field;
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
	// Its message also names the collectors whose last run read only part
	// of a list (maxPages reached with pages left).
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
