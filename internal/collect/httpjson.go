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
	"time"

	"k8s.io/client-go/util/jsonpath"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// HTTPRunner fetches a JSON document and picks one number in it with a
// JSONPath (client-go's util/jsonpath, kubectl's syntax), or reduces the
// items of a list, over its pages, to one number (aggregate).
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

// Run fetches the document and returns its number (Collect without the
// reason for no value and the warning).
func (r *HTTPRunner) Run(ctx context.Context) (float64, error) {
	out, err := r.Collect(ctx)
	if err == nil && out.NoValue != "" {
		return 0, errorf(ErrResult, "%s", out.NoValue)
	}
	return out.Value, err
}

// Collect fetches the document, or the pages of the list, and returns the
// number, scaled: the one the JSONPath selects, or the aggregate of the
// items of every page. An aggregate of nothing (a mean of an empty list)
// is an Outcome without value and with a reason; maxPages reached with
// pages left is a Warning.
func (r *HTTPRunner) Collect(ctx context.Context) (Outcome, error) {
	plan, cerr := compileHTTP(r.Field, &r.Source)
	if cerr != nil {
		return Outcome{}, cerr
	}
	rt, err := r.Env.roundTripper(ctx, r.Namespace, r.Field, r.Source.TLS)
	if err != nil {
		return Outcome{}, err
	}
	header, err := r.requestHeaders(ctx)
	if err != nil {
		return Outcome{}, err
	}
	start := time.Now()
	values := placeholderValues(start, r.Source.WindowOrDefault())
	first, cerr := plan.firstURL(values)
	if cerr != nil {
		return Outcome{}, cerr
	}
	var body []byte
	if r.Source.Body != "" {
		body = []byte(renderPlaceholders(r.Source.Body, values))
	}
	client := &http.Client{Transport: rt, CheckRedirect: sameHostRedirects}

	var out Outcome
	if plan.agg == nil {
		data, ferr := fetch(ctx, client, plan.method, first, body, header)
		if ferr != nil {
			return Outcome{}, ferr
		}
		doc, derr := decodeDocument(data)
		if derr != nil {
			return Outcome{}, derr
		}
		v, perr := pickNumber(doc, plan.path, r.Source.JSONPath)
		if perr != nil {
			return Outcome{}, perr
		}
		out.Value = v
	} else {
		pg := &pager{plan: plan, client: client, header: header, first: first, body: body}
		if out, err = pg.collect(ctx, plan.agg.start(start)); err != nil {
			return Outcome{}, err
		}
	}
	if out.NoValue == "" {
		out.Value *= plan.scale
		if math.IsNaN(out.Value) || math.IsInf(out.Value, 0) {
			return Outcome{}, errorf(ErrResult, "the collected number (scaled by %s.scale) is not finite", r.Field)
		}
	}
	return out, nil
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
	doc, err := decodeDocument(body)
	if err != nil {
		return 0, err
	}
	v, perr := pickNumber(doc, path, expr)
	if perr != nil {
		return 0, perr
	}
	return v, nil
}

// decodeDocument decodes one JSON document, numbers as int64 or float64.
func decodeDocument(body []byte) (any, *Error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, errorf(ErrInvalidResponse, "response is not JSON (%s)", jsonErrorWhere(err, len(body)))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(ErrInvalidResponse, "response is not one JSON document (trailing data after offset %d)", dec.InputOffset())
	}
	doc, err := convertNumbers(doc)
	if err != nil {
		return nil, errorf(ErrInvalidResponse, "response is not usable JSON (%v)", err)
	}
	return doc, nil
}

// findAll returns every value the JSONPath matches in doc, unwrapped.
func findAll(doc any, path *jsonpath.JSONPath, expr string) ([]any, *Error) {
	results, err := path.FindResults(doc)
	if err != nil {
		return nil, errorf(ErrResult, "JSONPath %s found nothing: %s", expr, firstLine(err.Error()))
	}
	n := 0
	for _, r := range results {
		n += len(r)
	}
	found := make([]any, 0, n)
	for _, r := range results {
		for _, v := range r {
			for v.Kind() == reflect.Interface && !v.IsNil() {
				v = v.Elem()
			}
			found = append(found, valueOf(v))
		}
	}
	return found, nil
}

// pickNumber returns the one number the JSONPath selects in doc.
func pickNumber(doc any, path *jsonpath.JSONPath, expr string) (float64, *Error) {
	found, err := findAll(doc, path, expr)
	if err != nil {
		return 0, err
	}
	switch len(found) {
	case 0:
		return 0, errorf(ErrResult, "JSONPath %s found nothing", expr)
	case 1:
	default:
		return 0, errorf(ErrResult, "JSONPath %s matched %d values; select exactly one", expr, len(found))
	}
	var f float64
	switch x := found[0].(type) {
	case int64:
		f = float64(x)
	case float64:
		f = x
	case string:
		var perr error
		f, perr = strconv.ParseFloat(strings.TrimSpace(x), 64)
		if perr != nil {
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
