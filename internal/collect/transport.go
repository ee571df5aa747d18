package collect

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/secrets"
)

// DefaultMaxResponseBytes bounds the body of a source's answer.
const DefaultMaxResponseBytes = 1 << 20

// EnvOptions configure an Env.
type EnvOptions struct {
	// MaxResponseBytes bounds a response body (default 1 MiB).
	MaxResponseBytes int64
}

// Env is what the runners share: Secret values, HTTP transports (one per
// certificate authority, so that connections to a source are reused by all
// its collectors) and the response size cap.
type Env struct {
	// Secrets resolves Secret references (the operator's one resolver).
	Secrets *secrets.Resolver
	// MaxResponseBytes bounds a response body.
	MaxResponseBytes int64

	mu         sync.Mutex
	transports map[string]*http.Transport
}

// NewEnv returns an Env that reads Secrets through the resolver.
func NewEnv(resolver *secrets.Resolver, o EnvOptions) *Env {
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	return &Env{
		Secrets:          resolver,
		MaxResponseBytes: o.MaxResponseBytes,
		transports:       map[string]*http.Transport{},
	}
}

// secret reads one Secret value for a collector, as an *Error of kind
// ErrSecret when it cannot.
func (e *Env) secret(ctx context.Context, namespace, field string, ref cxv1alpha1.SecretKeyRef) ([]byte, error) {
	v, err := e.Secrets.Value(ctx, namespace, field, ref)
	if serr, ok := errors.AsType[*secrets.Error](err); ok {
		return nil, &Error{Kind: ErrSecret, Reason: serr.Reason, Message: truncate(serr.Message)}
	}
	return v, err
}

// authHeader is the Authorization header of a source's bearer token or
// basic credentials, read from their Secrets ("" when it has neither);
// field is the source's spec path, for messages.
func (e *Env) authHeader(ctx context.Context, namespace, field string, bearer *cxv1alpha1.SecretKeyRef, basic *cxv1alpha1.BasicAuth) (string, error) {
	switch {
	case bearer != nil:
		tok, err := e.secret(ctx, namespace, field+".bearerTokenSecretRef", *bearer)
		if err != nil {
			return "", err
		}
		return "Bearer " + strings.TrimSpace(string(tok)), nil
	case basic != nil:
		user, err := e.secret(ctx, namespace, field+".basicAuth.usernameSecretRef", basic.UsernameSecretRef)
		if err != nil {
			return "", err
		}
		pass, err := e.secret(ctx, namespace, field+".basicAuth.passwordSecretRef", basic.PasswordSecretRef)
		if err != nil {
			return "", err
		}
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(string(user)+":"+string(pass))), nil
	}
	return "", nil
}

// maxTransports bounds the transports kept; beyond it (many rotations of
// many CAs) they are all dropped and rebuilt on demand.
const maxTransports = 64

// roundTripper returns the transport for a TLS configuration, with the
// response size cap applied. The CA, when set, is read from its Secret.
func (e *Env) roundTripper(ctx context.Context, namespace, field string, cfg *cxv1alpha1.TLSConfig) (http.RoundTripper, error) {
	var ca []byte
	insecure := false
	if cfg != nil {
		insecure = cfg.InsecureSkipVerify
		if cfg.CASecretRef != nil {
			v, err := e.secret(ctx, namespace, field+".tls.caSecretRef", *cfg.CASecretRef)
			if err != nil {
				return nil, err
			}
			ca = v
		}
	}
	sum := sha256.Sum256(ca)
	key := fmt.Sprintf("%x/%t", sum, insecure)

	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.transports[key]
	if t == nil {
		tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // opt-in, documented as test-only
		if len(ca) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ca) {
				return nil, errorf(ErrConfig, "secret %q named in %s.tls.caSecretRef holds no PEM certificate", cfg.CASecretRef.Name, field)
			}
			tlsConfig.RootCAs = pool
		}
		if len(e.transports) >= maxTransports {
			for k, old := range e.transports {
				old.CloseIdleConnections()
				delete(e.transports, k)
			}
		}
		t = newTransport(tlsConfig)
		e.transports[key] = t
	}
	return &limitBody{next: t, max: e.MaxResponseBytes}, nil
}

// newTransport is an HTTP transport tuned for many small periodic
// requests to few hosts: enough idle connections per host for the worker
// pool, no proxy surprises beyond the environment's.
func newTransport(tlsConfig *tls.Config) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       tlsConfig,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// errBodyTooLarge is returned by a body read beyond the cap.
var errBodyTooLarge = errors.New("response body too large")

type bodyTooLargeError struct{ max int64 }

func (e bodyTooLargeError) Error() string {
	return fmt.Sprintf("response body exceeds %d bytes", e.max)
}
func (e bodyTooLargeError) Is(target error) bool { return target == errBodyTooLarge }

func bodyTooLargeMessage(err error) string {
	if e, ok := errors.AsType[bodyTooLargeError](err); ok {
		return e.Error()
	}
	return errBodyTooLarge.Error()
}

// limitBody caps every response body: reading past max fails with
// errBodyTooLarge, so that no client (client_golang's included) buffers
// an unbounded answer.
type limitBody struct {
	next http.RoundTripper
	max  int64
}

func (l *limitBody) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > l.max {
		resp.Body.Close()
		return nil, bodyTooLargeError{max: l.max}
	}
	resp.Body = &cappedReader{rc: resp.Body, left: l.max, max: l.max}
	return resp, nil
}

type cappedReader struct {
	rc   io.ReadCloser
	left int64
	max  int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One more byte tells a body of exactly max bytes from a longer one.
		var one [1]byte
		n, err := c.rc.Read(one[:])
		if n > 0 {
			return 0, bodyTooLargeError{max: c.max}
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cappedReader) Close() error { return c.rc.Close() }

// withHeaders sets request headers (credentials) on every request.
type withHeaders struct {
	next    http.RoundTripper
	headers http.Header
}

func (w *withHeaders) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	maps.Copy(req.Header, w.headers)
	return w.next.RoundTrip(req)
}
