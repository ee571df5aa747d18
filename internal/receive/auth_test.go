package receive

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestAuthenticate(t *testing.T) {
	body := []byte(`{"id":"a","score":9}`)
	creds := credentials{token: []byte("tok"), hmacKey: []byte("key")}
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := fmt.Sprintf("sha256=%x", Sign([]byte("key"), ts, body))
	for _, tc := range []struct {
		name    string
		headers map[string]string
		creds   credentials
		ok      bool
	}{
		{"bearer", map[string]string{"Authorization": "Bearer tok"}, creds, true},
		{"bearer, scheme in lower case", map[string]string{"Authorization": "bearer tok"}, creds, true},
		{"wrong token", map[string]string{"Authorization": "Bearer tok2"}, creds, false},
		{"token prefix", map[string]string{"Authorization": "Bearer to"}, creds, false},
		{"basic auth", map[string]string{"Authorization": "Basic dG9r"}, creds, false},
		{"bearer to an HMAC-only survey", map[string]string{"Authorization": "Bearer tok"}, credentials{hmacKey: []byte("key")}, false},
		{"nothing", map[string]string{}, creds, false},
		{"hmac", map[string]string{HeaderTimestamp: ts, HeaderSignature: sig}, creds, true},
		{"hmac without sha256= prefix", map[string]string{HeaderTimestamp: ts, HeaderSignature: sig[7:]}, creds, false},
		{"hmac of another timestamp", map[string]string{HeaderTimestamp: strconv.FormatInt(now.Unix()+1, 10), HeaderSignature: sig}, creds, false},
		{"hmac to a bearer-only survey", map[string]string{HeaderTimestamp: ts, HeaderSignature: sig}, credentials{token: []byte("tok")}, false},
		{"hmac too old", map[string]string{HeaderTimestamp: strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10),
			HeaderSignature: fmt.Sprintf("sha256=%x", Sign([]byte("key"), strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), body))}, creds, false},
		{"hmac without timestamp", map[string]string{HeaderSignature: sig}, creds, false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		for k, v := range tc.headers {
			r.Header.Set(k, v)
		}
		err := authenticate(r, body, tc.creds, now, 5*time.Minute)
		if tc.ok && err != nil {
			t.Errorf("%s: rejected: %v", tc.name, err)
		}
		if !tc.ok && (err == nil || err.Status != http.StatusUnauthorized) {
			t.Errorf("%s: got %v, want 401", tc.name, err)
		}
	}
}
