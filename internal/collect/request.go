package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/util/jsonpath"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// httpPlan is an http source compiled for one run: its JSONPaths parsed
// (they are not safe for concurrent use, so every run parses its own; it
// takes microseconds), its CEL expressions compiled (through the cache),
// its placeholders checked.
type httpPlan struct {
	field  string
	src    *cxv1alpha1.HTTPSource
	method string
	path   *jsonpath.JSONPath
	agg    *aggregation // nil without aggregate
	scale  float64      // 1 without scale

	// pagination, when set
	pages    *cxv1alpha1.Pagination
	nextURL  *jsonpath.JSONPath
	cursor   *jsonpath.JSONPath
	hasMore  *jsonpath.JSONPath
	maxPages int
}

// compileHTTP compiles an http source; field is its spec path
// (spec.collectors[1].http). The error, of kind ErrConfig, names every
// field that cannot be used.
func compileHTTP(field string, src *cxv1alpha1.HTTPSource) (*httpPlan, *Error) {
	p, problems := compileHTTPProblems(field, src)
	if len(problems) > 0 {
		return nil, errorf(ErrConfig, "%s", strings.Join(problems, "; "))
	}
	return p, nil
}

// compileHTTPProblems is compileHTTP with each problem apart.
func compileHTTPProblems(field string, src *cxv1alpha1.HTTPSource) (*httpPlan, []string) {
	p := &httpPlan{field: field, src: src, method: string(src.MethodOrDefault()), scale: 1}
	var problems []string
	parse := func(name, expr string, allowMissing bool) *jsonpath.JSONPath {
		jp := jsonpath.New(name).AllowMissingKeys(allowMissing)
		if err := jp.Parse(expr); err != nil {
			problems = append(problems, fmt.Sprintf("%s.%s %s is not a valid JSONPath: %v", field, name, expr, err))
			return nil
		}
		return jp
	}
	p.path = parse("jsonPath", src.JSONPath, false)
	if src.Aggregate != "" {
		var aggProblems []string
		p.agg, aggProblems = compileAggregation(field, src.Aggregation, src.Value)
		problems = append(problems, aggProblems...)
	}
	if src.Scale != nil {
		s, err := exactFloat(src.Scale)
		if err != nil || !(s > 0) || math.IsInf(s, 0) {
			problems = append(problems, field+".scale must be a positive number")
		}
		p.scale = s
	}
	for i, prm := range src.Params {
		if err := checkPlaceholders(prm.Value); err != nil {
			problems = append(problems, fmt.Sprintf("%s.params[%d].value: %v", field, i, err))
		}
	}
	if err := checkPlaceholders(src.Body); err != nil {
		problems = append(problems, fmt.Sprintf("%s.body: %v", field, err))
	}
	if pg := src.Pagination; pg != nil {
		p.pages, p.maxPages = pg, min(pg.MaxPagesOrDefault(), 100)
		if pg.NextURL != "" {
			p.nextURL = parse("pagination.nextURL", pg.NextURL, true)
		}
		if pg.Cursor != "" {
			p.cursor = parse("pagination.cursor", pg.Cursor, true)
		}
		if pg.HasMore != "" {
			p.hasMore = parse("pagination.hasMore", pg.HasMore, false)
		}
		if pg.CursorBodyField != "" {
			if _, err := bodyObject(renderPlaceholders(src.Body, placeholderValues(time.Unix(0, 0), time.Hour))); err != nil {
				problems = append(problems, fmt.Sprintf("%s.body must be a JSON object to carry pagination.cursorBodyField: %v", field, err))
			}
		}
		if p.agg == nil {
			problems = append(problems, field+".pagination needs aggregate")
		}
	}
	return p, problems
}

// The time placeholders of params and body.
var (
	placeholderRE   = regexp.MustCompile(`\{\{ *\.([A-Za-z]+) *\}\}`)
	placeholderList = "{{ .Since }}, {{ .Until }}, {{ .SinceUnix }} and {{ .UntilUnix }}"
)

// checkPlaceholders reports a {{ that is not one of the time
// placeholders.
func checkPlaceholders(s string) error {
	if !strings.Contains(s, "{{") {
		return nil
	}
	matches := placeholderRE.FindAllStringSubmatch(s, -1)
	for _, m := range matches {
		switch m[1] {
		case "Since", "Until", "SinceUnix", "UntilUnix":
		default:
			return fmt.Errorf("unknown placeholder %s; the placeholders are %s", m[0], placeholderList)
		}
	}
	if strings.Count(s, "{{") != len(matches) {
		return fmt.Errorf("a {{ that is not a placeholder; the placeholders are %s", placeholderList)
	}
	return nil
}

// placeholderValues are the values of the time placeholders for a run
// that started at start: Until is the start, Since the start minus window,
// in whole seconds.
func placeholderValues(start time.Time, window time.Duration) map[string]string {
	until := start.UTC().Truncate(time.Second)
	since := until.Add(-window)
	return map[string]string{
		"Since":     since.Format(time.RFC3339),
		"Until":     until.Format(time.RFC3339),
		"SinceUnix": strconv.FormatInt(since.Unix(), 10),
		"UntilUnix": strconv.FormatInt(until.Unix(), 10),
	}
}

// renderPlaceholders replaces the placeholders of s (checked by
// checkPlaceholders) with their values. The values are digits, letters,
// '-' and ':' only, safe in a URL and inside a JSON string or number.
func renderPlaceholders(s string, values map[string]string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		return values[placeholderRE.FindStringSubmatch(m)[1]]
	})
}

// bodyObject decodes a JSON body that must be an object.
func bodyObject(body string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("not a JSON object (%s)", jsonErrorWhere(err, len(body)))
	}
	if obj == nil {
		return nil, fmt.Errorf("not a JSON object (null)")
	}
	return obj, nil
}

// withBodyField returns the body with the dot-separated field set to
// value, creating the objects on the way.
func withBodyField(obj map[string]any, field, value string) ([]byte, error) {
	obj = deepCopyJSON(obj).(map[string]any)
	keys := strings.Split(field, ".")
	m := obj
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			if m[k] != nil {
				return nil, fmt.Errorf("%s is not an object in the body", k)
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = value
	return json.Marshal(obj)
}

func deepCopyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = deepCopyJSON(e)
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = deepCopyJSON(e)
		}
		return c
	}
	return v
}

// firstURL is the URL of the first page: url with params, their
// placeholders filled.
func (p *httpPlan) firstURL(values map[string]string) (*url.URL, *Error) {
	u, err := url.Parse(p.src.URL)
	if err != nil || u.Host == "" {
		return nil, errorf(ErrConfig, "%s.url is not an absolute URL", p.field)
	}
	if len(p.src.Params) > 0 {
		q := u.Query()
		for _, prm := range p.src.Params {
			q.Add(prm.Name, renderPlaceholders(prm.Value, values))
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

// requestHeaders are the headers of every page: Accept, the source's
// headers (values from Secrets read through the shared resolver), the
// bearer or basic credentials, and Content-Type for a body.
func (r *HTTPRunner) requestHeaders(ctx context.Context) (http.Header, error) {
	h := http.Header{}
	h.Set("Accept", "application/json")
	if r.Source.Body != "" {
		h.Set("Content-Type", "application/json")
	}
	for i, hd := range r.Source.Headers {
		switch {
		case hd.Value != nil:
			h.Set(hd.Name, *hd.Value)
		case hd.ValueFrom != nil:
			v, err := r.Env.secret(ctx, r.Namespace, fmt.Sprintf("%s.headers[%d].valueFrom", r.Field, i), *hd.ValueFrom)
			if err != nil {
				return nil, err
			}
			h.Set(hd.Name, strings.TrimSpace(string(v)))
		}
	}
	auth, err := r.Env.authHeader(ctx, r.Namespace, r.Field, r.Source.BearerTokenSecretRef, r.Source.BasicAuth)
	if err != nil {
		return nil, err
	}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	return h, nil
}

// fetch sends one request and returns the body of a 2xx answer (bounded by
// the transport's cap). Errors name the method and the address without
// its query string.
func fetch(ctx context.Context, client *http.Client, method string, u *url.URL, body []byte, header http.Header) ([]byte, *Error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, errorf(ErrConfig, "%s %s: %v", method, redactURL(u.String()), err)
	}
	req.Header = header.Clone()
	target := method + " " + redactURL(u.String())
	resp, err := client.Do(req)
	if err != nil {
		return nil, classify(err, target)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
		return nil, errorf(ErrHTTPStatus, "%s: %s", target, statusText(resp.StatusCode))
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, classify(err, target)
	}
	return data, nil
}
