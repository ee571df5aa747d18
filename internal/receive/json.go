package receive

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of a body's objects and arrays: survey
// tools' webhooks nest a few levels deep, and a bound keeps a hostile body
// from costing stack or evaluation time.
const maxJSONDepth = 64

// decodeJSON reads one JSON value (RFC 8259) from body and refuses what
// Go's encoding/json lets through silently: a key that appears twice in
// one object ({"score":9,"score":0}: parsers that disagree on which one
// counts are a known request-smuggling vector); and nesting deeper than
// maxJSONDepth. With build, it returns the value exactly as encoding/json
// decodes it into an any (objects as map[string]any, arrays as []any,
// numbers as float64, invalid UTF-8 replaced by U+FFFD; FuzzDecodeJSON
// checks it against encoding/json); without, it only checks, allocating
// nothing for the keys and values it reads.
//
// Every format goes through it: the native one before its strict struct
// decoding, the mapped ones (through decodeProjected) to give CEL the
// body. The Error names the path of the repeated key (responses[1].score).
func decodeJSON(body []byte, build bool) (any, *Error) {
	var p *Projection
	if build {
		p = fullProjection
	}
	return decodeProjected(body, p)
}

// decodeProjected is decodeJSON that builds only the part of the body p
// names (nil: nothing), checking all of it.
func decodeProjected(body []byte, p *Projection) (any, *Error) {
	d := jsonDecoder{data: body}
	d.skipSpace()
	if d.pos == len(d.data) {
		return nil, badRequest(ReasonMalformedJSON, "", "body is empty or ends in the middle of a JSON value")
	}
	v, err := d.value(0, p)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, badRequest(ReasonMalformedJSON, "", "unexpected data after the JSON value")
	}
	return v, nil
}

// Projection is the part of a JSON value that is built: the whole value
// (full), or of an object only the keys listed, each with its own
// projection; a key not listed, like a nil Projection, is checked and not
// built. A mapping's expressions read a few fields of a survey tool's body
// (body.data.data.nps): building only those saves most of the decoding's
// allocations. An array, or any value that is not an object, at a listed
// key is built whole.
type Projection struct {
	full bool
	keys map[string]*Projection
}

// fullProjection builds everything.
var fullProjection = &Projection{full: true}

// child is the projection of key within p.
func (p *Projection) child(key []byte) *Projection {
	switch {
	case p == nil:
		return nil
	case p.full:
		return p
	default:
		return p.keys[string(key)]
	}
}

// add makes the value at path (keys from p) built whole.
func (p *Projection) add(path []string) {
	for _, k := range path {
		if p.full {
			return
		}
		if p.keys == nil {
			p.keys = map[string]*Projection{}
		}
		next := p.keys[k]
		if next == nil {
			next = &Projection{}
			p.keys[k] = next
		}
		p = next
	}
	p.full, p.keys = true, nil
}

type jsonDecoder struct {
	data []byte
	pos  int
	// path is the stack of keys and indexes down to the value being read,
	// rendered only for an error.
	path []pathElem
}

// pathElem is a key of an object, or (isKey false) an index of an array.
type pathElem struct {
	key   keySeen
	isKey bool
	index int
}

func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// fieldPath renders the path stack: responses[1].score.
func (d *jsonDecoder) fieldPath() string {
	var b strings.Builder
	for _, p := range d.path {
		if !p.isKey {
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.key.text())
	}
	return b.String()
}

func (d *jsonDecoder) syntax(what string) *Error {
	if d.pos >= len(d.data) {
		return badRequest(ReasonMalformedJSON, "", "body is empty or ends in the middle of a JSON value")
	}
	return badRequest(ReasonMalformedJSON, "", fmt.Sprintf("malformed JSON at byte %d: %s", d.pos+1, what))
}

func (d *jsonDecoder) value(depth int, p *Projection) (any, *Error) {
	if d.pos >= len(d.data) {
		return nil, d.syntax("")
	}
	switch c := d.data[d.pos]; {
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return nil, badRequest(ReasonMalformedJSON, d.fieldPath(), fmt.Sprintf("nests objects and arrays more than %d levels deep", maxJSONDepth))
		}
		d.pos++
		if c == '{' {
			return d.object(depth, p)
		}
		return d.array(depth, p)
	case c == '"':
		raw, plain, err := d.rawString()
		if err != nil {
			return nil, err
		}
		if p == nil {
			if !plain { // the escapes must be valid even when not built
				_, err = d.unquote(raw)
			}
			return nil, err
		}
		return d.decodeString(raw, plain)
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number(p != nil)
	case c == 't':
		return d.literal("true", true)
	case c == 'f':
		return d.literal("false", false)
	case c == 'n':
		return d.literal("null", nil)
	default:
		return nil, d.syntax(fmt.Sprintf("invalid character %q looking for the beginning of a value", c))
	}
}

func (d *jsonDecoder) literal(word string, v any) (any, *Error) {
	if !strings.HasPrefix(string(d.data[d.pos:min(len(d.data), d.pos+len(word))]), word) {
		return nil, d.syntax("invalid literal")
	}
	d.pos += len(word)
	return v, nil
}

// keySeen is a key read in an object: its raw bytes, or its decoded
// text when it had escapes.
type keySeen struct {
	raw     []byte
	decoded string
	escaped bool
}

func (k keySeen) text() string {
	if k.escaped {
		return k.decoded
	}
	return string(k.raw)
}

func (k keySeen) equal(o keySeen) bool {
	if !k.escaped && !o.escaped {
		return string(k.raw) == string(o.raw) // no allocation
	}
	return k.text() == o.text()
}

// readKey reads the object key at d.pos: its bytes as written and, when
// it has escapes or is not valid UTF-8 as written, its decoded text.
func (d *jsonDecoder) readKey() (keySeen, *Error) {
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return keySeen{}, d.syntax("object keys must be strings")
	}
	raw, plain, err := d.rawString()
	if err != nil {
		return keySeen{}, err
	}
	key := keySeen{raw: raw}
	if !plain || !utf8.Valid(raw) {
		if key.decoded, err = d.unquote(raw); err != nil {
			return keySeen{}, err
		}
		key.escaped = true
	}
	return key, nil
}

// keySet holds the keys of one object read so far: a short list, as most
// objects are small, and a map past 32 keys (survey tools' response
// objects have about 20: a map built for them cost an allocation per key).
type keySet struct {
	local [32]keySeen
	n     int
	many  map[string]struct{}
}

// add records key and reports whether the object had it already.
func (s *keySet) add(key keySeen) (dup bool) {
	if s.many != nil {
		_, dup = s.many[key.text()]
		s.many[key.text()] = struct{}{}
		return dup
	}
	for _, k := range s.local[:s.n] {
		if k.equal(key) {
			return true
		}
	}
	if s.n < len(s.local) {
		s.local[s.n] = key
		s.n++
		return false
	}
	s.many = make(map[string]struct{}, 2*(s.n+1))
	for _, k := range s.local {
		s.many[k.text()] = struct{}{}
	}
	s.many[key.text()] = struct{}{}
	return false
}

func (d *jsonDecoder) object(depth int, p *Projection) (any, *Error) {
	var obj map[string]any
	if p != nil {
		obj = map[string]any{}
	}
	var keys keySet
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return result(obj, p), nil
	}
	for {
		key, err := d.readKey()
		if err != nil {
			return nil, err
		}
		dup := keys.add(key)
		d.path = append(d.path, pathElem{key: key, isKey: true})
		if dup {
			return nil, badRequest(ReasonDuplicateKey, d.fieldPath(),
				"appears twice in one object: send each field once (parsers disagree on which value counts)")
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.syntax("expected ':' after an object key")
		}
		d.pos++
		d.skipSpace()
		var child *Projection
		if key.escaped {
			child = p.child([]byte(key.decoded))
		} else {
			child = p.child(key.raw)
		}
		v, err := d.value(depth+1, child)
		if err != nil {
			return nil, err
		}
		d.path = d.path[:len(d.path)-1]
		if child != nil {
			obj[key.text()] = v
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.syntax("")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return result(obj, p), nil
		default:
			return nil, d.syntax("expected ',' or '}' after an object value")
		}
	}
}

func (d *jsonDecoder) array(depth int, p *Projection) (any, *Error) {
	var arr []any
	if p != nil {
		// An array at a listed key is built whole.
		p = fullProjection
		arr = []any{}
	}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return result(arr, p), nil
	}
	for i := 0; ; i++ {
		d.skipSpace()
		d.path = append(d.path, pathElem{index: i})
		v, err := d.value(depth+1, p)
		if err != nil {
			return nil, err
		}
		d.path = d.path[:len(d.path)-1]
		if p != nil {
			arr = append(arr, v)
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.syntax("")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return result(arr, p), nil
		default:
			return nil, d.syntax("expected ',' or ']' after an array element")
		}
	}
}

// result is v when building (a nil map or slice would not be an any
// holding nil), nil otherwise.
func result[T any](v T, p *Projection) any {
	if p == nil {
		return nil
	}
	return v
}

// number reads a JSON number as encoding/json does into an any: a
// float64, and an error when it does not fit one.
func (d *jsonDecoder) number(build bool) (any, *Error) {
	start := d.pos
	data := d.data
	digits := func() int {
		n := 0
		for d.pos < len(data) && data[d.pos] >= '0' && data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if data[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos < len(data) && data[d.pos] == '0':
		d.pos++
	case digits() == 0:
		return nil, d.syntax("invalid number")
	}
	if d.pos < len(data) && data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, d.syntax("invalid number")
		}
	}
	exponent := false
	if d.pos < len(data) && (data[d.pos] == 'e' || data[d.pos] == 'E') {
		exponent = true
		d.pos++
		if d.pos < len(data) && (data[d.pos] == '+' || data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.syntax("invalid number")
		}
	}
	if !build && !exponent && d.pos-start < 300 {
		// Fewer than 300 digits and no exponent always fit a float64
		// (whose largest is about 1.8e308): nothing to check.
		return nil, nil
	}
	f, err := strconv.ParseFloat(string(data[start:d.pos]), 64)
	if err != nil {
		return nil, badRequest(ReasonMalformedJSON, d.fieldPath(), "holds a number that does not fit a 64-bit float")
	}
	if !build {
		return nil, nil
	}
	return f, nil
}

// rawString reads a string, d.pos at its opening quote, and returns its
// bytes between the quotes; plain is false when they hold an escape.
func (d *jsonDecoder) rawString() (raw []byte, plain bool, err *Error) {
	d.pos++ // the opening quote
	start := d.pos
	data := d.data
	plain = true
	for d.pos < len(data) {
		c := data[d.pos]
		switch {
		case c == '"':
			raw = data[start:d.pos]
			d.pos++
			return raw, plain, nil
		case c == '\\':
			plain = false
			d.pos += 2
		case c < 0x20:
			return nil, false, d.syntax("invalid control character in a string")
		default:
			d.pos++
		}
	}
	return nil, false, d.syntax("")
}

// decodeString is the text of a string's raw bytes: themselves when they
// need no decoding, else with escapes decoded and invalid UTF-8 replaced
// by U+FFFD, as encoding/json does.
func (d *jsonDecoder) decodeString(raw []byte, plain bool) (any, *Error) {
	if plain && utf8.Valid(raw) {
		return string(raw), nil
	}
	s, err := d.unquote(raw)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// unquote decodes the escapes of a string's raw bytes (between its
// quotes, the closing quote already checked).
func (d *jsonDecoder) unquote(raw []byte) (string, *Error) {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteRune(utf8.RuneError)
			} else {
				b.Write(raw[i : i+size])
			}
			i += size
			continue
		}
		if i+1 >= len(raw) {
			return "", d.syntax("invalid escape in a string")
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			b.WriteByte(raw[i+1])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(raw[i+2:])
			if !ok {
				return "", d.syntax("invalid \\u escape in a string")
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A surrogate pair, or U+FFFD for half of one.
				if r2, ok := hex4(raw[min(len(raw), i+2):]); ok && i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b.WriteRune(dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b.WriteRune(r)
			continue
		default:
			return "", d.syntax("invalid escape in a string")
		}
		i += 2
	}
	return b.String(), nil
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
