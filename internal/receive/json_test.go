package receive

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func hmacOf(key, msg string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

func TestDecodeJSON(t *testing.T) {
	for _, tc := range []struct {
		body, reason, field string
	}{
		{`{"score":9,"score":0}`, ReasonDuplicateKey, "score"},
		{`{"a":{"b":1,"b":2}}`, ReasonDuplicateKey, "a.b"},
		{`{"a":[{"b":1},{"c":1,"c":1}]}`, ReasonDuplicateKey, "a[1].c"},
		{`{"s\u0063ore":1,"score":2}`, ReasonDuplicateKey, "score"},
		{`{"a":1}{"a":1}`, ReasonMalformedJSON, ""},
		{`{"a":}`, ReasonMalformedJSON, ""},
		{``, ReasonMalformedJSON, ""},
		{strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1), ReasonMalformedJSON, strings.Repeat("[0]", maxJSONDepth)},
	} {
		_, err := decodeJSON([]byte(tc.body), true)
		if err == nil || err.Reason != tc.reason || err.Field != tc.field {
			t.Errorf("%s: %v, want %s at %q", tc.body, err, tc.reason, tc.field)
		}
	}
	// What it builds is what encoding/json builds.
	body := `{"a":[1,2.5,"x",true,null,{}],"b":{"c":[]},"d":"é\n","e":-0.1e3}`
	got, err := decodeJSON([]byte(body), true)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal([]byte(body), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %#v, want %#v", got, want)
	}
}

// FuzzDecodeJSON checks decodeJSON against encoding/json: whatever it
// accepts, encoding/json accepts and decodes to the same value; whatever
// encoding/json accepts, it accepts too unless an object repeats a key.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,{"b":[true,null]}]`, `{"a":1,"a":2}`, `"x"`, `{"\u0061":1,"a":2}`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, gerr := decodeJSON(data, true)
		if _, perr := decodeProjected(data, &Projection{keys: map[string]*Projection{"a": {}}}); (perr == nil) != (gerr == nil) {
			t.Fatalf("a projection changes the verdict (%v, %v): %q", perr, gerr, data)
		}
		var want any
		werr := json.Unmarshal(data, &want)
		switch {
		case gerr == nil && werr != nil:
			t.Fatalf("accepted what encoding/json refuses (%v): %q", werr, data)
		case gerr == nil && !reflect.DeepEqual(got, want):
			t.Fatalf("decoded %#v, encoding/json %#v: %q", got, want, data)
		case gerr != nil && werr == nil && gerr.Reason != ReasonDuplicateKey && !strings.Contains(gerr.Message, "levels deep"):
			t.Fatalf("refused (%v) what encoding/json accepts: %q", gerr, data)
		}
	})
}
