package collect

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/touchstone-dev/touchstone/internal/fixtures"
	"github.com/touchstone-dev/touchstone/internal/secrets"
)

const testNS = "shop"

// newTestEnv returns an Env whose Secrets are the given ones (name ->
// key -> value) in testNS.
func newTestEnv(t testing.TB, secretData map[string]map[string]string, o EnvOptions) *Env {
	t.Helper()
	return NewEnv(secrets.NewResolver(fixtures.SecretClient(t, testNS, secretData), time.Minute), o)
}

// wantError checks that err is an *Error of the given kind whose message
// contains every fragment.
func wantError(t *testing.T, err error, kind ErrorKind, fragments ...string) {
	t.Helper()
	_ = checkError(t, err, kind, fragments...)
}

// checkError is wantError returning the *Error, for further checks.
func checkError(t *testing.T, err error, kind ErrorKind, fragments ...string) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a %s error containing %q", kind, fragments)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %v, want *Error", err, err)
	}
	if e.Kind != kind {
		t.Errorf("kind = %s, want %s (message %q)", e.Kind, kind, e.Message)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Message, f) {
			t.Errorf("message %q does not contain %q", e.Message, f)
		}
	}
	return e
}
