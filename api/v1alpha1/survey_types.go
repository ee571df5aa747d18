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
// +kubebuilder:validation:XValidation:rule="!has(self.receiver.mapping) || !has(self.receiver.mapping.segments) || self.receiver.mapping.segments.all(k, has(self.segments) && self.segments.exists(s, s.name == k))",message="spec.receiver.mapping.segments may only name segments declared in spec.segments",fieldPath=".receiver.mapping.segments"
// +kubebuilder:validation:XValidation:rule="!has(self.receiver.deduplicationWindow) || duration(self.receiver.deduplicationWindow) <= duration(self.retention)",message="spec.receiver.deduplicationWindow must be at most spec.retention",fieldPath=".receiver.deduplicationWindow"
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

// ReceiverFormat is the shape of the request bodies a Survey's receiver
// accepts, and how their senders authenticate.
// +kubebuilder:validation:Enum=Touchstone;StandardWebhooks;Typeform;Generic
type ReceiverFormat string

// The receiver formats.
const (
	// FormatTouchstone is the native body, {"id", "score", "submittedAt",
	// "segments"} or {"responses": [...]}, with a bearer token or the
	// X-Touchstone-Signature HMAC.
	FormatTouchstone ReceiverFormat = "Touchstone"
	// FormatStandardWebhooks is any JSON body signed by the Standard
	// Webhooks v1 scheme (webhook-id, webhook-timestamp, webhook-signature),
	// as Formbricks sends it, read through spec.receiver.mapping.
	FormatStandardWebhooks ReceiverFormat = "StandardWebhooks"
	// FormatTypeform is Typeform's webhook: Typeform-Signature is
	// "sha256=" + base64(HMAC-SHA256(secret, body)).
	FormatTypeform ReceiverFormat = "Typeform"
	// FormatGeneric is any JSON body, authenticated by the signature that
	// spec.receiver.signature describes, a bearer token or a token header.
	FormatGeneric ReceiverFormat = "Generic"
)

// SurveyReceiver configures the body format senders post for this survey
// and how they authenticate. With format Touchstone (the default), set
// bearerTokenSecretRef, hmacSecretRef or both (a request passing either is
// accepted); the other formats read a tool's own webhook through mapping.
//
// +kubebuilder:validation:XValidation:rule="self.format != 'Touchstone' || has(self.bearerTokenSecretRef) || has(self.hmacSecretRef)",message="spec.receiver: set bearerTokenSecretRef, hmacSecretRef or both"
// +kubebuilder:validation:XValidation:rule="self.format == 'Touchstone' || has(self.mapping)",message="spec.receiver.mapping is required with format StandardWebhooks, Typeform or Generic: it says where the score is in the tool's body",fieldPath=".mapping"
// +kubebuilder:validation:XValidation:rule="self.format != 'Touchstone' || !has(self.mapping)",message="spec.receiver.mapping does not apply to format Touchstone, whose body is already a response",fieldPath=".mapping"
// +kubebuilder:validation:XValidation:rule="!has(self.hmacSecretRef) || self.format == 'Touchstone'",message="spec.receiver.hmacSecretRef is the Touchstone format's signature; other formats use signingSecretRef",fieldPath=".hmacSecretRef"
// +kubebuilder:validation:XValidation:rule="!has(self.bearerTokenSecretRef) || self.format == 'Touchstone' || self.format == 'Generic'",message="spec.receiver.bearerTokenSecretRef applies to formats Touchstone and Generic only: StandardWebhooks and Typeform are authenticated by their signature",fieldPath=".bearerTokenSecretRef"
// +kubebuilder:validation:XValidation:rule="self.format == 'Touchstone' || self.format == 'Generic' || has(self.signingSecretRef)",message="spec.receiver.signingSecretRef is required with format StandardWebhooks or Typeform: it holds the key the tool signs with"
// +kubebuilder:validation:XValidation:rule="self.format != 'Touchstone' || !has(self.signingSecretRef)",message="spec.receiver.signingSecretRef does not apply to format Touchstone: use hmacSecretRef",fieldPath=".signingSecretRef"
// +kubebuilder:validation:XValidation:rule="!has(self.signature) || self.format == 'Generic'",message="spec.receiver.signature applies to format Generic only (StandardWebhooks and Typeform have fixed signatures)",fieldPath=".signature"
// +kubebuilder:validation:XValidation:rule="!has(self.tokenHeader) || self.format == 'Generic'",message="spec.receiver.tokenHeader applies to format Generic only",fieldPath=".tokenHeader"
// +kubebuilder:validation:XValidation:rule="self.format != 'Generic' || has(self.signature) == has(self.signingSecretRef)",message="spec.receiver: with format Generic, signature and signingSecretRef go together (the signature is made with that key)"
// +kubebuilder:validation:XValidation:rule="self.format != 'Generic' || has(self.signature) || has(self.bearerTokenSecretRef) || has(self.tokenHeader)",message="spec.receiver: format Generic needs signature (with signingSecretRef), bearerTokenSecretRef or tokenHeader"
// +kubebuilder:validation:XValidation:rule="self.format == 'Touchstone' || self.format == 'StandardWebhooks' || !has(self.mapping) || has(self.mapping.id)",message="spec.receiver.mapping.id is required with format Typeform or Generic: without it a retried delivery would be counted twice (StandardWebhooks falls back to webhook-id)",fieldPath=".mapping"
type SurveyReceiver struct {
	// format of the request bodies and of their authentication:
	// Touchstone (the native body, default), StandardWebhooks (for example
	// Formbricks), Typeform, or Generic (any signed JSON). Every format but
	// Touchstone needs mapping.
	// +optional
	// +kubebuilder:default=Touchstone
	Format ReceiverFormat `json:"format,omitempty"`

	// bearerTokenSecretRef is the Secret key holding the token senders
	// present as `Authorization: Bearer <token>` (formats Touchstone and
	// Generic).
	// +optional
	BearerTokenSecretRef *SecretKeyRef `json:"bearerTokenSecretRef,omitempty"`

	// hmacSecretRef is the Secret key holding the shared key senders use
	// to sign requests: X-Touchstone-Signature is
	// "sha256=" + hex(HMAC-SHA256(key, timestamp + "." + body)) and
	// X-Touchstone-Timestamp the Unix time in seconds (format Touchstone).
	// +optional
	HMACSecretRef *SecretKeyRef `json:"hmacSecretRef,omitempty"`

	// signingSecretRef is the Secret key holding the key the survey tool
	// signs its webhooks with: for StandardWebhooks the endpoint secret
	// "whsec_<base64>" (the prefix is optional, the rest is base64), for
	// Typeform and Generic the secret as the tool shows it (its bytes are
	// the HMAC key).
	// +optional
	SigningSecretRef *SecretKeyRef `json:"signingSecretRef,omitempty"`

	// signature describes how a Generic sender signs its requests.
	// +optional
	Signature *ReceiverSignature `json:"signature,omitempty"`

	// tokenHeader accepts Generic requests that carry a fixed token in a
	// header of their own (for example Survicate's Token header).
	// +optional
	TokenHeader *ReceiverTokenHeader `json:"tokenHeader,omitempty"`

	// mapping reads a response out of a survey tool's webhook body with
	// CEL expressions. Required by every format but Touchstone.
	// +optional
	Mapping *ReceiverMapping `json:"mapping,omitempty"`

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

// HMACAlgorithm is the hash function of an HMAC signature.
// +kubebuilder:validation:Enum=sha256;sha1;sha512
type HMACAlgorithm string

// The HMAC algorithms.
const (
	HMACSHA256 HMACAlgorithm = "sha256"
	HMACSHA1   HMACAlgorithm = "sha1"
	HMACSHA512 HMACAlgorithm = "sha512"
)

// SignatureEncoding is how a signature is written in its header.
// +kubebuilder:validation:Enum=hex;base64
type SignatureEncoding string

// The signature encodings.
const (
	EncodingHex    SignatureEncoding = "hex"
	EncodingBase64 SignatureEncoding = "base64"
)

// TimestampFormat is how a signature timestamp header is written.
// +kubebuilder:validation:Enum=Unix;RFC3339
type TimestampFormat string

// The timestamp formats.
const (
	// TimestampUnix is whole seconds since the Unix epoch.
	TimestampUnix TimestampFormat = "Unix"
	// TimestampRFC3339 is an RFC 3339 time such as 2026-11-23T09:30:00Z.
	TimestampRFC3339 TimestampFormat = "RFC3339"
)

// SignedContent is what a Generic signature is computed over.
// +kubebuilder:validation:Enum=Body;TimestampBody;TimestampDotBody
type SignedContent string

// The signed contents.
const (
	// SignedBody is the raw request body alone.
	SignedBody SignedContent = "Body"
	// SignedTimestampBody is the timestamp header's value followed directly
	// by the body (Zendesk).
	SignedTimestampBody SignedContent = "TimestampBody"
	// SignedTimestampDotBody is the timestamp, a dot, then the body.
	SignedTimestampDotBody SignedContent = "TimestampDotBody"
)

// ReceiverSignature describes an HMAC signature header of a Generic
// sender: header: prefix + encoding(HMAC-algorithm(signingSecret, signed)).
//
// +kubebuilder:validation:XValidation:rule="has(self.timestampHeader) == (self.signed != 'Body')",message="spec.receiver.signature: set timestampHeader exactly when signed is TimestampBody or TimestampDotBody (an unsigned timestamp proves nothing)"
type ReceiverSignature struct {
	// header that carries the signature, for example
	// X-Zendesk-Webhook-Signature.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`
	Header string `json:"header"`

	// algorithm of the HMAC: sha256 (default), sha1 or sha512.
	// +optional
	// +kubebuilder:default=sha256
	Algorithm HMACAlgorithm `json:"algorithm,omitempty"`

	// encoding of the signature in the header: hex (default) or base64.
	// +optional
	// +kubebuilder:default=hex
	Encoding SignatureEncoding `json:"encoding,omitempty"`

	// prefix written before the signature, for example "sha256=".
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Prefix string `json:"prefix,omitempty"`

	// timestampHeader carries the time the request was signed; it must be
	// within 5 minutes of the receiver's clock.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`
	TimestampHeader string `json:"timestampHeader,omitempty"`

	// timestampFormat of timestampHeader: Unix seconds (default) or
	// RFC3339.
	// +optional
	// +kubebuilder:default=Unix
	TimestampFormat TimestampFormat `json:"timestampFormat,omitempty"`

	// signed is what the HMAC is computed over: Body (default),
	// TimestampBody (the timestamp then the body) or TimestampDotBody
	// (timestamp + "." + body).
	// +optional
	// +kubebuilder:default=Body
	Signed SignedContent `json:"signed,omitempty"`
}

// ReceiverTokenHeader is a fixed token that a Generic sender puts in a
// header of its own.
type ReceiverTokenHeader struct {
	// name of the header, for example Token.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`
	Name string `json:"name"`

	// secretRef is the Secret key holding the token.
	SecretRef SecretKeyRef `json:"secretRef"`
}

// ReceiverMapping reads one response, or a list of them, out of a survey
// tool's webhook body. Each field is a CEL expression over body (the
// decoded JSON), headers (a map of lower-cased header names to values)
// and, with responses, item (one element of the list). Only the values
// these expressions give are kept; nothing else of the body is stored or
// logged.
type ReceiverMapping struct {
	// when filters deliveries: a bool; false answers 2xx with
	// {"accepted":0,"duplicates":0,"ignored":1} and counts nothing (test
	// pings, partial responses, other events). Default: every delivery.
	// Evaluated once per delivery, before responses.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	When string `json:"when,omitempty"`

	// responses, when one delivery carries several responses, is a list;
	// the other expressions (but when) are evaluated once per element,
	// which they read as item. An empty list is an ignored delivery.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Responses string `json:"responses,omitempty"`

	// score is the answer: an integer inside the survey's scale (a JSON
	// number without a fraction also works).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Score string `json:"score"`

	// id identifies the response, so that a retried delivery is counted
	// once: a string (or an integer) of at most 128 bytes. Required by
	// Typeform and Generic; StandardWebhooks defaults to the webhook-id
	// header (with the item's index for lists).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	ID string `json:"id,omitempty"`

	// submittedAt is when the response was given: an RFC 3339 string, a
	// timestamp, or Unix seconds. Default: when it is received.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	SubmittedAt string `json:"submittedAt,omitempty"`

	// segments maps segment names declared in spec.segments to
	// expressions giving the response's value: a short category (a
	// string, integer or bool). null, an empty string or an empty optional
	// leaves the segment out.
	// +optional
	// +kubebuilder:validation:MaxProperties=8
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(self[k]) > 0 && size(self[k]) <= 1024)",message="spec.receiver.mapping.segments: each expression must be 1 to 1024 characters"
	Segments map[string]string `json:"segments,omitempty"`
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

	// forecast projects score one window ahead from the window's daily
	// scores, once the window has at least 14 days with responses.
	// +optional
	Forecast *SurveyForecast `json:"forecast,omitempty"`
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
// +kubebuilder:printcolumn:name="Forecast",type=string,JSONPath=`.status.forecast.score`,priority=1
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
