package receive

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
		// Past the short list of keys, in the map of them: repeated after
		// the 40th key, and a first key repeated as the 40th.
		{manyKeys(40, "k7"), ReasonDuplicateKey, "k7"},
		{manyKeys(39, "k0"), ReasonDuplicateKey, "k0"},
		{manyKeys(5, "k4"), ReasonDuplicateKey, "k4"},
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
	// What it builds is what encoding/json builds, for small objects and
	// for one of 50 distinct keys (past the short list).
	for _, body := range []string{`{"a":[1,2.5,"x",true,null,{}],"b":{"c":[]},"d":"é\n","e":-0.1e3}`, manyKeys(49, "k49")} {
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
}

// manyKeys is an object of n keys k0..k(n-1), then the key again.
func manyKeys(n int, again string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	fmt.Fprintf(&b, `%q:0}`, again)
	return b.String()
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
