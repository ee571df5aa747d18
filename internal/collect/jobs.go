package collect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// JobsFor returns the scheduler jobs of a touchpoint's collectors, in spec
// order.
func JobsFor(env *Env, tp *cxv1alpha1.Touchpoint) []Job {
	jobs := make([]Job, 0, len(tp.Spec.Collectors))
	for i := range tp.Spec.Collectors {
		c := tp.Spec.Collectors[i]
		field := fmt.Sprintf("spec.collectors[%d]", i)
		j := Job{
			Name:        c.Name,
			Metric:      c.Metric,
			Interval:    c.IntervalOrDefault(),
			Timeout:     c.TimeoutOrDefault(),
			Fingerprint: fingerprint(c),
		}
		switch {
		case c.Prometheus != nil:
			j.Source = sourceOf(c.Prometheus.Address)
			j.Runner = &PrometheusRunner{Env: env, Namespace: tp.Namespace, Field: field + ".prometheus", Source: *c.Prometheus.DeepCopy()}
		case c.HTTP != nil:
			j.Source = sourceOf(c.HTTP.URL)
			j.Runner = &HTTPRunner{Env: env, Namespace: tp.Namespace, Field: field + ".http", Source: *c.HTTP.DeepCopy()}
		default: // admission requires one source; keep the job so that status says so
			j.Runner = RunnerFunc(func(context.Context) (float64, error) {
				return 0, errorf(ErrConfig, "%s has neither prometheus nor http set", field)
			})
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// fingerprint identifies a collector's spec: a new fingerprint reschedules
// the collector at once and forgets its previous results.
func fingerprint(c cxv1alpha1.Collector) string {
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// sourceOf is the data source an address belongs to (scheme and host),
// the unit of the scheduler's per-source concurrency limit.
func sourceOf(address string) string {
	u, err := url.Parse(address)
	if err != nil || u.Host == "" {
		return address
	}
	return u.Scheme + "://" + u.Host
}

// secretRef is one Secret reference of a touchpoint's spec.
type secretRef struct {
	field string
	ref   cxv1alpha1.SecretKeyRef
}

// secretRefs lists every Secret reference of the touchpoint's collectors.
func secretRefs(tp *cxv1alpha1.Touchpoint) []secretRef {
	var refs []secretRef
	tlsRef := func(field string, t *cxv1alpha1.TLSConfig) {
		if t != nil && t.CASecretRef != nil {
			refs = append(refs, secretRef{field + ".tls.caSecretRef", *t.CASecretRef})
		}
	}
	for i, c := range tp.Spec.Collectors {
		switch {
		case c.Prometheus != nil:
			f := fmt.Sprintf("spec.collectors[%d].prometheus", i)
			if r := c.Prometheus.BearerTokenSecretRef; r != nil {
				refs = append(refs, secretRef{f + ".bearerTokenSecretRef", *r})
			}
			if b := c.Prometheus.BasicAuth; b != nil {
				refs = append(refs, secretRef{f + ".basicAuth.usernameSecretRef", b.UsernameSecretRef},
					secretRef{f + ".basicAuth.passwordSecretRef", b.PasswordSecretRef})
			}
			tlsRef(f, c.Prometheus.TLS)
		case c.HTTP != nil:
			f := fmt.Sprintf("spec.collectors[%d].http", i)
			for j, h := range c.HTTP.Headers {
				if h.ValueFrom != nil {
					refs = append(refs, secretRef{fmt.Sprintf("%s.headers[%d].valueFrom", f, j), *h.ValueFrom})
				}
			}
			if r := c.HTTP.BearerTokenSecretRef; r != nil {
				refs = append(refs, secretRef{f + ".bearerTokenSecretRef", *r})
			}
			if b := c.HTTP.BasicAuth; b != nil {
				refs = append(refs, secretRef{f + ".basicAuth.usernameSecretRef", b.UsernameSecretRef},
					secretRef{f + ".basicAuth.passwordSecretRef", b.PasswordSecretRef})
			}
			tlsRef(f, c.HTTP.TLS)
		}
	}
	return refs
}

// CheckCollectors checks what admission cannot in the collectors of a
// spec: their where and value CEL expressions compile and type-check,
// their JSONPaths parse, their placeholders are known. It reports every
// problem, each naming its field (spec.collectors[2].http.where: ...) and
// cut to a few hundred bytes, nil when there is none. CEL programs are
// compiled once per text (cached), so a reconcile costs microseconds.
func CheckCollectors(spec *cxv1alpha1.TouchpointSpec) error {
	var problems []string
	for i := range spec.Collectors {
		c := &spec.Collectors[i]
		switch {
		case c.HTTP != nil:
			_, p := compileHTTPProblems(fmt.Sprintf("spec.collectors[%d].http", i), c.HTTP)
			problems = append(problems, p...)
		case c.Prometheus != nil && c.Prometheus.Aggregate != "":
			_, p := compileAggregation(fmt.Sprintf("spec.collectors[%d].prometheus", i), c.Prometheus.Aggregation, "")
			problems = append(problems, p...)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	for i, p := range problems {
		problems[i] = truncateTo(p, maxProblemLength)
	}
	return errors.New(truncateTo(strings.Join(problems, "; "), 8*maxProblemLength))
}

// maxProblemLength bounds one problem of CheckCollectors' message (CEL's
// syntax errors list every token it expected).
const maxProblemLength = 240

// CheckSecrets reports the first Secret reference of the touchpoint that
// cannot be resolved: an *Error whose Reason is SecretNotFound or
// SecretKeyNotFound, or whose Reason is empty when reading failed (retry).
// It reads through the Env's cache.
func (e *Env) CheckSecrets(ctx context.Context, tp *cxv1alpha1.Touchpoint) *Error {
	for _, r := range secretRefs(tp) {
		if _, err := e.secret(ctx, tp.Namespace, r.field, r.ref); err != nil {
			return AsError(err)
		}
	}
	return nil
}
