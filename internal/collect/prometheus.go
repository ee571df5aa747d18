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
// HTTP API (client_golang's api/prometheus/v1) and returns its one sample,
// or reduces the series of its vector to one number (aggregate).
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

// Run queries the source (Collect without the reason for no value).
func (r *PrometheusRunner) Run(ctx context.Context) (float64, error) {
	out, err := r.Collect(ctx)
	if err == nil && out.NoValue != "" {
		return 0, errorf(ErrResult, "%s", out.NoValue)
	}
	return out.Value, err
}

// Collect queries the source. The query gets the time left before ctx's
// deadline as its server-side timeout. Without aggregate the result must
// be one sample (SingleSample); with it, AggregateSamples reduces the
// series.
func (r *PrometheusRunner) Collect(ctx context.Context) (Outcome, error) {
	var agg *aggregation
	if r.Source.Aggregate != "" {
		a, problems := compileAggregation(r.Field, r.Source.Aggregation, "")
		if len(problems) > 0 {
			return Outcome{}, errorf(ErrConfig, "%s", strings.Join(problems, "; "))
		}
		agg = a
	}
	v, err := r.query(ctx)
	if err != nil {
		return Outcome{}, err
	}
	if agg == nil {
		f, err := SingleSample(v)
		return Outcome{Value: f}, err
	}
	return aggregateSamples(ctx, v, agg.startSeries(time.Now()))
}

// query runs the instant query.
func (r *PrometheusRunner) query(ctx context.Context) (model.Value, error) {
	rt, err := r.Env.roundTripper(ctx, r.Namespace, r.Field, r.Source.TLS)
	if err != nil {
		return nil, err
	}
	headers, err := r.authHeaders(ctx)
	if err != nil {
		return nil, err
	}
	if len(headers) > 0 {
		rt = &withHeaders{next: rt, headers: headers}
	}
	c, err := api.NewClient(api.Config{Address: r.Source.Address, RoundTripper: rt})
	if err != nil {
		return nil, errorf(ErrConfig, "%s.address: %v", r.Field, err)
	}
	var opts []promv1.Option
	if deadline, ok := ctx.Deadline(); ok {
		if t := queryTimeout(time.Until(deadline)); t > 0 {
			opts = append(opts, promv1.WithTimeout(t))
		}
	}
	v, _, _, err := promv1.NewAPI(c).Query(ctx, r.Source.Query, time.Time{}, opts...)
	if err != nil {
		return nil, prometheusError(err, redactURL(r.Source.Address))
	}
	return v, nil
}

// seriesItem is the item where sees for a series.
func seriesItem(labels map[string]any, value float64) map[string]any {
	return map[string]any{"metric": labels, exprValue: value}
}

// aggregateSamples reduces the series of an instant vector (or a scalar,
// one item) to one number. Each series is the item
// {"metric": {label: value...}, "value": sample} for where; its number is
// the sample value, NaN being no value (left out, like a JSON null).
func aggregateSamples(ctx context.Context, v model.Value, acc *accumulator) (Outcome, error) {
	switch r := v.(type) {
	case *model.Scalar:
		f := float64(r.Value)
		if err := acc.add(seriesItem(map[string]any{}, f), &f, func() string { return "the scalar" }); err != nil {
			return Outcome{}, err
		}
	case model.Vector:
		for i, s := range r {
			if i%4096 == 4095 && ctx.Err() != nil {
				return Outcome{}, classify(ctx.Err(), "")
			}
			if s.Histogram != nil {
				return Outcome{}, errorf(ErrResult, "series %d of the vector is a native histogram; reduce it to a number (for example with histogram_quantile)", i+1)
			}
			labels := make(map[string]any, len(s.Metric))
			for k, lv := range s.Metric {
				labels[string(k)] = string(lv)
			}
			f := float64(s.Value)
			at := func() string { return fmt.Sprintf("series %d of the vector", i+1) }
			if err := acc.add(seriesItem(labels, f), &f, at); err != nil {
				return Outcome{}, err
			}
		}
	case model.Matrix:
		return Outcome{}, errorf(ErrResult, "query returned a range vector of %d series; use an instant vector", len(r))
	case *model.String:
		return Outcome{}, errorf(ErrResult, "query returned a string, not a number")
	case nil:
		return Outcome{}, errorf(ErrInvalidResponse, "query returned no result")
	default:
		return Outcome{}, errorf(ErrResult, "query returned a %s, not a number", v.Type())
	}
	out := acc.outcome()
	if out.NoValue == "" && (math.IsNaN(out.Value) || math.IsInf(out.Value, 0)) {
		return Outcome{}, errorf(ErrResult, "the %s is not a finite number", acc.agg.kind)
	}
	return out, nil
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
	auth, err := r.Env.authHeader(ctx, r.Namespace, r.Field, r.Source.BearerTokenSecretRef, r.Source.BasicAuth)
	if err != nil {
		return nil, err
	}
	if auth != "" {
		h.Set("Authorization", auth)
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
