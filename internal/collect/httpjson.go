package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"k8s.io/client-go/util/jsonpath"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// HTTPRunner fetches a JSON document with GET and picks one number in it
// with a JSONPath (client-go's util/jsonpath, kubectl's syntax).
type HTTPRunner struct {
	// Env provides Secrets, transports and the response cap.
	Env *Env
	// Namespace is where the Secrets referenced by Source live.
	Namespace string
	// Field is the spec path of the source, for messages, for example
	// spec.collectors[1].http.
	Field string
	// Source is the collector's http source.
	Source cxv1alpha1.HTTPSource
}

// Run fetches the document and returns the number at the JSONPath.
func (r *HTTPRunner) Run(ctx context.Context) (float64, error) {
	path := jsonpath.New("value").AllowMissingKeys(false)
	if err := path.Parse(r.Source.JSONPath); err != nil {
		return 0, errorf(ErrConfig, "%s.jsonPath %s is not a valid JSONPath: %v", r.Field, r.Source.JSONPath, err)
	}
	rt, err := r.Env.roundTripper(ctx, r.Namespace, r.Field, r.Source.TLS)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.Source.URL, nil)
	if err != nil {
		return 0, errorf(ErrConfig, "%s.url: %v", r.Field, err)
	}
	req.Header.Set("Accept", "application/json")
	for i, h := range r.Source.Headers {
		switch {
		case h.Value != nil:
			req.Header.Set(h.Name, *h.Value)
		case h.ValueFrom != nil:
			v, err := r.Env.secret(ctx, r.Namespace, fmt.Sprintf("%s.headers[%d].valueFrom", r.Field, i), *h.ValueFrom)
			if err != nil {
				return 0, err
			}
			req.Header.Set(h.Name, strings.TrimSpace(string(v)))
		}
	}
	target := "GET " + redactURL(r.Source.URL)
	resp, err := (&http.Client{Transport: rt, CheckRedirect: sameHostRedirects}).Do(req)
	if err != nil {
		return 0, classify(err, target)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
		return 0, errorf(ErrHTTPStatus, "%s: %s", target, statusText(resp.StatusCode))
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, classify(err, target)
	}
	return PickNumber(body, path, r.Source.JSONPath)
}

// sameHostRedirects follows at most 5 redirects and only to the same
// host, so that credentials in headers never reach another server.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("redirect to another host (%s) refused", req.URL.Host)
	}
	return nil
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return strconv.Itoa(code)
}

// PickNumber decodes a JSON document and returns the one number the
// JSONPath selects. Numbers decode as in kubectl (Kubernetes' unstructured
// JSON): integers as int64, others as float64, so that filters such as
// [?(@.count>1)] or [?(@.ratio>0.5)] compare them. A JSON number, or a string
// holding one (some APIs quote numbers), is accepted; anything else, no
// match, or several matches is an error. The messages never quote the
// document.
func PickNumber(body []byte, path *jsonpath.JSONPath, expr string) (float64, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return 0, errorf(ErrInvalidResponse, "response is not JSON (%s)", jsonErrorWhere(err, len(body)))
	}
	if _, err := dec.Token(); err != io.EOF {
		return 0, errorf(ErrInvalidResponse, "response is not one JSON document (trailing data after offset %d)", dec.InputOffset())
	}
	doc, err := convertNumbers(doc)
	if err != nil {
		return 0, errorf(ErrInvalidResponse, "response is not usable JSON (%v)", err)
	}
	results, err := path.FindResults(doc)
	if err != nil {
		return 0, errorf(ErrResult, "JSONPath %s found nothing: %s", expr, firstLine(err.Error()))
	}
	var found []reflect.Value
	for _, r := range results {
		found = append(found, r...)
	}
	switch len(found) {
	case 0:
		return 0, errorf(ErrResult, "JSONPath %s found nothing", expr)
	case 1:
	default:
		return 0, errorf(ErrResult, "JSONPath %s matched %d values; select exactly one", expr, len(found))
	}
	v := found[0]
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	var f float64
	switch x := valueOf(v).(type) {
	case int64:
		f = float64(x)
	case float64:
		f = x
	case string:
		f, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, errorf(ErrResult, "value at %s is a string that does not hold a number", expr)
		}
	case nil:
		return 0, errorf(ErrResult, "value at %s is null, not a number", expr)
	case bool:
		return 0, errorf(ErrResult, "value at %s is a boolean, not a number", expr)
	case map[string]any:
		return 0, errorf(ErrResult, "value at %s is an object, not a number", expr)
	case []any:
		return 0, errorf(ErrResult, "value at %s is an array, not a number", expr)
	default:
		return 0, errorf(ErrResult, "value at %s is not a number", expr)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errorf(ErrResult, "value at %s is not a finite number", expr)
	}
	return f, nil
}

// convertNumbers turns the json.Numbers of a decoded document into int64
// (integers) or float64.
func convertNumbers(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, errors.New("a number out of range")
		}
		return f, nil
	case map[string]any:
		for k, e := range x {
			c, err := convertNumbers(e)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
	case []any:
		for i, e := range x {
			c, err := convertNumbers(e)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
	}
	return v, nil
}

func valueOf(v reflect.Value) any {
	if !v.IsValid() || (v.Kind() == reflect.Interface && v.IsNil()) {
		return nil
	}
	return v.Interface()
}

// jsonErrorWhere says where decoding failed without quoting the body.
func jsonErrorWhere(err error, size int) string {
	if syn, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("syntax error at offset %d", syn.Offset)
	}

	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if size == 0 {
			return "empty body"
		}
		return "truncated document"
	}
	return "cannot decode it"
}
