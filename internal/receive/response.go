package receive

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

// Response is one validated survey response, reduced to what is counted:
// the keyed hash of its id (never the id), its score, its UTC day and its
// segment values. Nothing in it identifies a respondent.
type Response struct {
	// IDHash is HMAC-SHA256(survey UID, id), first 8 bytes: enough to
	// recognise a retry, useless to recover the id.
	IDHash uint64
	// Score is the answer, inside the survey's scale.
	Score int
	// Day is the UTC day of submittedAt.
	Day stats.Day
	// Segments are the response's segment values, sorted by segment name.
	Segments []SegmentValue
}

// SegmentValue is one segment of a response.
type SegmentValue struct {
	Name, Value string
}

// Rules are what a Survey accepts.
type Rules struct {
	// Scale of valid scores.
	Scale stats.Scale
	// Segments are the segment names a response may carry, with the
	// number of distinct values kept apart for each.
	Segments map[string]int
	// Retention is how old a submittedAt may be.
	Retention time.Duration
	// MaxSkew is how far in the future a submittedAt may be (clock skew).
	MaxSkew time.Duration
	// MaxBatch is the largest number of responses in one request.
	MaxBatch int
	// IDKey keys the hash of response ids (the Survey's UID).
	IDKey []byte
}

// maxIDLength bounds a response id: long enough for a UUID or a survey
// tool's own id, short enough that nobody mistakes it for a text field.
const maxIDLength = 128

// segmentValuePattern is what a segment value may look like: a category
// usable as a Prometheus label value and a Kubernetes label value.
var segmentValuePattern = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

// wireResponse is a response as senders write it.
type wireResponse struct {
	ID          *string           `json:"id"`
	Score       json.RawMessage   `json:"score"`
	SubmittedAt *string           `json:"submittedAt"`
	Segments    map[string]string `json:"segments"`
}

// wireBody is either one response or {"responses": [...]}.
type wireBody struct {
	wireResponse
	Responses *[]json.RawMessage `json:"responses"`
}

// Parse decodes and validates a request body: one response, or a batch
// {"responses": [...]}. It rejects the whole body at the first problem,
// with an Error that names the field, so that nothing of a bad request is
// counted.
func Parse(body []byte, rules Rules, now time.Time) ([]Response, *Error) {
	var b wireBody
	if err := decodeStrict(body, &b); err != nil {
		return nil, err.within("")
	}
	single := b.ID != nil || len(b.Score) > 0 || b.SubmittedAt != nil || b.Segments != nil
	switch {
	case b.Responses != nil && single:
		return nil, badRequest(ReasonInvalidBody, "", `body must be one response or {"responses": [...]}, not both`)
	case b.Responses == nil && !single:
		return nil, badRequest(ReasonInvalidBody, "", `body must be one response {"id", "score", "submittedAt", "segments"} or {"responses": [...]}`)
	case b.Responses == nil:
		r, err := validate(b.wireResponse, "", rules, now)
		if err != nil {
			return nil, err
		}
		return []Response{r}, nil
	}
	raw := *b.Responses
	if len(raw) == 0 {
		return nil, badRequest(ReasonInvalidBody, "responses", "must hold at least one response")
	}
	if len(raw) > rules.MaxBatch {
		return nil, badRequest(ReasonTooManyResponses, "responses",
			fmt.Sprintf("holds %d responses; at most %d are accepted per request", len(raw), rules.MaxBatch))
	}
	out := make([]Response, 0, len(raw))
	seen := make(map[uint64]int, len(raw))
	for i, m := range raw {
		field := fmt.Sprintf("responses[%d]", i)
		var w wireResponse
		if err := decodeStrict(m, &w); err != nil {
			return nil, err.within(field)
		}
		r, err := validate(w, field+".", rules, now)
		if err != nil {
			return nil, err
		}
		if j, dup := seen[r.IDHash]; dup {
			return nil, badRequest(ReasonDuplicateID, field+".id", fmt.Sprintf("repeats the id of responses[%d]", j))
		}
		seen[r.IDHash] = i
		out = append(out, r)
	}
	return out, nil
}

// decodeStrict decodes one JSON value, refusing unknown fields and
// trailing data.
func decodeStrict(data []byte, v any) *Error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest(ReasonMalformedJSON, "", "unexpected data after the JSON value")
	}
	return nil
}

// jsonError turns a decoding error into an Error naming the field when the
// decoder knows it.
func jsonError(err error) *Error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return badRequest(ReasonMalformedJSON, "", fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax))
	case errors.As(err, &typ):
		// The decoder names the embedded struct of the single form.
		field := strings.TrimPrefix(typ.Field, "wireResponse.")
		return badRequest(ReasonInvalidField, field, fmt.Sprintf("must be a JSON %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest(ReasonUnknownField, name, "is not a field of a survey response (id, score, submittedAt, segments)")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest(ReasonMalformedJSON, "", "body is empty or ends in the middle of a JSON value")
	default:
		return badRequest(ReasonMalformedJSON, "", err.Error())
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "map", "struct":
		return "object"
	case "slice":
		return "array"
	default:
		return "number"
	}
}

// validate checks one response against the rules.
func validate(w wireResponse, prefix string, rules Rules, now time.Time) (Response, *Error) {
	var r Response
	if w.ID == nil || *w.ID == "" {
		return r, badRequest(ReasonInvalidField, prefix+"id", "is required: it makes retries idempotent")
	}
	if len(*w.ID) > maxIDLength {
		return r, badRequest(ReasonInvalidField, prefix+"id", fmt.Sprintf("is %d bytes long; at most %d", len(*w.ID), maxIDLength))
	}
	r.IDHash = HashID(rules.IDKey, *w.ID)

	raw := strings.TrimSpace(string(w.Score))
	if raw == "" || raw == "null" {
		return r, badRequest(ReasonInvalidScore, prefix+"score", "is required")
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return r, badRequest(ReasonInvalidScore, prefix+"score", fmt.Sprintf("must be a JSON number, not %s", raw))
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return r, badRequest(ReasonInvalidScore, prefix+"score", fmt.Sprintf("%s is not an integer", raw))
	}
	if v < int64(rules.Scale.Min) || v > int64(rules.Scale.Max) {
		return r, badRequest(ReasonInvalidScore, prefix+"score", fmt.Sprintf("%d is outside the scale %d..%d", v, rules.Scale.Min, rules.Scale.Max))
	}
	r.Score = int(v)

	submitted := now
	if w.SubmittedAt != nil {
		t, err := time.Parse(time.RFC3339Nano, *w.SubmittedAt)
		if err != nil {
			return r, badRequest(ReasonInvalidTimestamp, prefix+"submittedAt", "must be an RFC 3339 time such as 2026-11-23T09:30:00Z")
		}
		if t.After(now.Add(rules.MaxSkew)) {
			return r, badRequest(ReasonInvalidTimestamp, prefix+"submittedAt",
				fmt.Sprintf("is in the future (more than %s after the receiver's clock)", rules.MaxSkew))
		}
		if t.Before(now.Add(-rules.Retention)) {
			return r, badRequest(ReasonInvalidTimestamp, prefix+"submittedAt",
				fmt.Sprintf("is older than the survey's retention (%s)", rules.Retention))
		}
		submitted = t
	}
	r.Day = stats.DayOf(submitted)

	if len(w.Segments) > 0 {
		r.Segments = make([]SegmentValue, 0, len(w.Segments))
		for name, value := range w.Segments {
			field := prefix + "segments." + name
			if _, ok := rules.Segments[name]; !ok {
				return r, badRequest(ReasonUnknownSegment, field, unknownSegmentMessage(name, rules.Segments))
			}
			if len(value) > 63 || !segmentValuePattern.MatchString(value) {
				return r, badRequest(ReasonInvalidSegmentValue, field,
					"must be a category of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (never a person's identifier or free text)")
			}
			r.Segments = append(r.Segments, SegmentValue{Name: name, Value: value})
		}
		sort.Slice(r.Segments, func(i, j int) bool { return r.Segments[i].Name < r.Segments[j].Name })
	}
	return r, nil
}

func unknownSegmentMessage(name string, allowed map[string]int) string {
	if len(allowed) == 0 {
		return fmt.Sprintf("segment %q is unknown: the survey declares no segments", name)
	}
	names := make([]string, 0, len(allowed))
	for n := range allowed {
		names = append(names, n)
	}
	sort.Strings(names)
	return fmt.Sprintf("segment %q is unknown: the survey declares %s", name, strings.Join(names, ", "))
}

// HashID is the keyed hash under which a response id is remembered.
func HashID(key []byte, id string) uint64 {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return binary.BigEndian.Uint64(m.Sum(nil)[:8])
}

// Reasons of rejected requests, in the JSON error body.
const (
	ReasonMalformedJSON       = "MalformedJSON"
	ReasonInvalidBody         = "InvalidBody"
	ReasonUnknownField        = "UnknownField"
	ReasonInvalidField        = "InvalidField"
	ReasonInvalidScore        = "InvalidScore"
	ReasonInvalidTimestamp    = "InvalidTimestamp"
	ReasonUnknownSegment      = "UnknownSegment"
	ReasonInvalidSegmentValue = "InvalidSegmentValue"
	ReasonDuplicateID         = "DuplicateID"
	ReasonTooManyResponses    = "TooManyResponses"
	ReasonBodyTooLarge        = "BodyTooLarge"
	ReasonUnsupportedMedia    = "UnsupportedMediaType"
	ReasonUnauthorized        = "Unauthorized"
	ReasonSurveyNotFound      = "SurveyNotFound"
	ReasonNotFound            = "NotFound"
	ReasonSurveyNotReady      = "SurveyNotReady"
	ReasonOverloaded          = "Overloaded"
	ReasonUnavailable         = "StorageUnavailable"
)

// Error is a rejected request: an HTTP status, a machine-readable reason,
// the field at fault (empty for the whole body) and a message for people.
type Error struct {
	Status  int    `json:"status"`
	Reason  string `json:"reason"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter time.Duration `json:"-"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// within prefixes the field of an error found while decoding a nested
// value.
func (e *Error) within(field string) *Error {
	switch {
	case field == "":
	case e.Field == "":
		e.Field = field
	default:
		e.Field = field + "." + e.Field
	}
	return e
}

func badRequest(reason, field, message string) *Error {
	return &Error{Status: http.StatusBadRequest, Reason: reason, Field: field, Message: message}
}
