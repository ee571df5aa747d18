package collect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// PrometheusRunner runs an instant query against a Prometheus-compatible
// HTTP API (client_golang's api/prometheus/v1) and returns its one sample.
type PrometheusRunner struct {
	// Env provides Secrets, transports and the response cap.
	Env *Env
	// Namespace is where the Secrets referenced by Source live.
	Namespace string
	// Field is the spec path of the source, for messages, for example
	// spec.collectors[0].prometheus.
	Field string
	// Source is the collector's prometheus source.
	Source cxv1alpha1.PrometheusSource
}

// Run queries the source. The query gets the time left before ctx's
// deadline as its server-side timeout.
func (r *PrometheusRunner) Run(ctx context.Context) (float64, error) {
	rt, err := r.Env.roundTripper(ctx, r.Namespace, r.Field, r.Source.TLS)
	if err != nil {
		return 0, err
	}
	headers, err := r.authHeaders(ctx)
	if err != nil {
		return 0, err
	}
	if len(headers) > 0 {
		rt = &withHeaders{next: rt, headers: headers}
	}
	c, err := api.NewClient(api.Config{Address: r.Source.Address, RoundTripper: rt})
	if err != nil {
		return 0, errorf(ErrConfig, "%s.address: %v", r.Field, err)
	}
	var opts []promv1.Option
	if deadline, ok := ctx.Deadline(); ok {
		if t := queryTimeout(time.Until(deadline)); t > 0 {
			opts = append(opts, promv1.WithTimeout(t))
		}
	}
	v, _, _, err := promv1.NewAPI(c).Query(ctx, r.Source.Query, time.Time{}, opts...)
	if err != nil {
		return 0, prometheusError(err, redactURL(r.Source.Address))
	}
	return SingleSample(v)
}

// queryTimeout rounds the time left for the server-side query timeout down
// to what Prometheus parses from client_golang's rendering
// (Duration.String): whole seconds ("2s", "1m30s"), or whole
// milliseconds below a second ("500ms"); never a fraction such as
// "1.9999s".
func queryTimeout(left time.Duration) time.Duration {
	if left >= time.Second {
		return left.Truncate(time.Second)
	}
	return left.Truncate(time.Millisecond)
}

// authHeaders are the bearer or basic credentials of the source, read from
// their Secrets.
func (r *PrometheusRunner) authHeaders(ctx context.Context) (http.Header, error) {
	h := http.Header{}
	switch {
	case r.Source.BearerTokenSecretRef != nil:
		tok, err := r.Env.secret(ctx, r.Namespace, r.Field+".bearerTokenSecretRef", *r.Source.BearerTokenSecretRef)
		if err != nil {
			return nil, err
		}
		h.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	case r.Source.BasicAuth != nil:
		user, err := r.Env.secret(ctx, r.Namespace, r.Field+".basicAuth.usernameSecretRef", r.Source.BasicAuth.UsernameSecretRef)
		if err != nil {
			return nil, err
		}
		pass, err := r.Env.secret(ctx, r.Namespace, r.Field+".basicAuth.passwordSecretRef", r.Source.BasicAuth.PasswordSecretRef)
		if err != nil {
			return nil, err
		}
		req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
		req.SetBasicAuth(string(user), string(pass))
		h.Set("Authorization", req.Header.Get("Authorization"))
	}
	return h, nil
}

// prometheusError turns a client_golang error into an *Error.
func prometheusError(err error, target string) *Error {
	var perr *promv1.Error
	if !errors.As(err, &perr) {
		return classify(err, target)
	}
	switch perr.Type {
	case promv1.ErrBadData, promv1.ErrExec, promv1.ErrTimeout, promv1.ErrCanceled:
		// The API's own error message (a parse error, an execution
		// failure) is what the user needs to fix the query; it is status
		// material, not Event material.
		e := errorf(ErrQuery, "%s rejected the query (%s): %s", target, perr.Type, perr.Msg)
		e.Note = fmt.Sprintf("%s rejected the query (%s)", target, perr.Type)
		return e
	case promv1.ErrBadResponse:
		if errors.Is(err, errBodyTooLarge) || strings.Contains(perr.Msg, errBodyTooLarge.Error()) {
			return errorf(ErrInvalidResponse, "%s: %s", target, bodyTooLargeMessage(err))
		}
		if strings.Contains(perr.Msg, `unexpected value type "string"`) {
			return errorf(ErrResult, "query returned a string, not a number")
		}
		return errorf(ErrInvalidResponse, "%s did not answer like a Prometheus API (%s)", target, firstLine(perr.Msg))
	default: // client_error, server_error: an HTTP status without an API body
		return errorf(ErrHTTPStatus, "%s answered %s", target, perr.Msg)
	}
}

// firstLine keeps the first line of a message, at most 120 bytes.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// SingleSample returns the one number of a query result: a scalar, or a
// vector of exactly one float sample. Anything else is an error that says
// what to change; NaN and ±Inf are errors, not values.
func SingleSample(v model.Value) (float64, error) {
	var f float64
	switch r := v.(type) {
	case *model.Scalar:
		f = float64(r.Value)
	case model.Vector:
		switch len(r) {
		case 0:
			return 0, errorf(ErrResult, "query returned no series")
		case 1:
		default:
			return 0, errorf(ErrResult, "query returned %d series; aggregate it to one (for example with sum or max)", len(r))
		}
		if r[0].Histogram != nil {
			return 0, errorf(ErrResult, "query returned a native histogram; reduce it to a number (for example with histogram_quantile)")
		}
		f = float64(r[0].Value)
	case model.Matrix:
		return 0, errorf(ErrResult, "query returned a range vector of %d series; use an instant vector or a scalar", len(r))
	case *model.String:
		return 0, errorf(ErrResult, "query returned a string, not a number")
	case nil:
		return 0, errorf(ErrInvalidResponse, "query returned no result")
	default:
		return 0, errorf(ErrResult, "query returned a %s, not a number", v.Type())
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errorf(ErrResult, "query returned %v, not a finite number", f)
	}
	return f, nil
}
