package collect

import (
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/touchstone-dev/touchstone/internal/secrets"
)

const testNS = "shop"

// newTestEnv returns an Env whose Secrets are the given ones (name ->
// key -> value) in testNS.
func newTestEnv(t testing.TB, secretData map[string]map[string]string, o EnvOptions) *Env {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	var objs []client.Object
	for name, data := range secretData {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: name}, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		objs = append(objs, s)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	return NewEnv(secrets.NewResolver(c, time.Minute), o)
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
