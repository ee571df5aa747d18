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
// checks it against encoding/json); without, it only checks.
//
// Every format goes through it: the native one before its strict struct
// decoding, the mapped ones to give CEL the body, in one pass that is
// several times faster than encoding/json's tokenizer. The Error names the
// path of the repeated key (responses[1].score).
func decodeJSON(body []byte, build bool) (any, *Error) {
	d := jsonDecoder{data: body, build: build}
	d.skipSpace()
	if d.pos == len(d.data) {
		return nil, badRequest(ReasonMalformedJSON, "", "body is empty or ends in the middle of a JSON value")
	}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, badRequest(ReasonMalformedJSON, "", "unexpected data after the JSON value")
	}
	return v, nil
}

type jsonDecoder struct {
	data  []byte
	pos   int
	build bool
	// path is the stack of keys and indexes down to the value being read,
	// rendered only for an error.
	path []pathElem
}

// pathElem is a key of an object, or (key empty) an index of an array.
type pathElem struct {
	key   string
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
		if p.key == "" {
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.key)
	}
	return b.String()
}

func (d *jsonDecoder) syntax(what string) *Error {
	if d.pos >= len(d.data) {
		return badRequest(ReasonMalformedJSON, "", "body is empty or ends in the middle of a JSON value")
	}
	return badRequest(ReasonMalformedJSON, "", fmt.Sprintf("malformed JSON at byte %d: %s", d.pos+1, what))
}

func (d *jsonDecoder) value(depth int) (any, *Error) {
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
			return d.object(depth)
		}
		return d.array(depth)
	case c == '"':
		s, err := d.str()
		if err != nil || !d.build {
			return nil, err
		}
		return s, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
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

func (d *jsonDecoder) object(depth int) (any, *Error) {
	var obj map[string]any
	if d.build {
		obj = map[string]any{}
	}
	// seen holds the keys read so far: a short list, as most objects are
	// small, and a map past 16 keys.
	var few []string
	var many map[string]struct{}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return d.result(obj), nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.syntax("object keys must be strings")
		}
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		dup := false
		if many != nil {
			_, dup = many[key]
			many[key] = struct{}{}
		} else {
			for _, k := range few {
				if k == key {
					dup = true
					break
				}
			}
			if few = append(few, key); len(few) > 16 {
				many = make(map[string]struct{}, 32)
				for _, k := range few {
					many[k] = struct{}{}
				}
			}
		}
		d.path = append(d.path, pathElem{key: key})
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
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.path = d.path[:len(d.path)-1]
		if d.build {
			obj[key] = v
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
			return d.result(obj), nil
		default:
			return nil, d.syntax("expected ',' or '}' after an object value")
		}
	}
}

func (d *jsonDecoder) array(depth int) (any, *Error) {
	var arr []any
	if d.build {
		arr = []any{}
	}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return d.result(arr), nil
	}
	for i := 0; ; i++ {
		d.skipSpace()
		d.path = append(d.path, pathElem{index: i})
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.path = d.path[:len(d.path)-1]
		if d.build {
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
			return d.result(arr), nil
		default:
			return nil, d.syntax("expected ',' or ']' after an array element")
		}
	}
}

// result is v when building (a nil map or slice would not be an any
// holding nil), nil otherwise.
func (d *jsonDecoder) result(v any) any {
	if !d.build {
		return nil
	}
	return v
}

// number reads a JSON number as encoding/json does into an any: a
// float64, and an error when it does not fit one.
func (d *jsonDecoder) number() (any, *Error) {
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
	if d.pos < len(data) && (data[d.pos] == 'e' || data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(data) && (data[d.pos] == '+' || data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.syntax("invalid number")
		}
	}
	f, err := strconv.ParseFloat(string(data[start:d.pos]), 64)
	if err != nil {
		return nil, badRequest(ReasonMalformedJSON, d.fieldPath(), "holds a number that does not fit a 64-bit float")
	}
	if !d.build {
		return nil, nil
	}
	return f, nil
}

// str reads a string, d.pos at its opening quote: the bytes themselves
// when they need no decoding, else with escapes decoded and invalid UTF-8
// replaced by U+FFFD, as encoding/json does.
func (d *jsonDecoder) str() (string, *Error) {
	d.pos++ // the opening quote
	start := d.pos
	data := d.data
	plain := true
	for d.pos < len(data) {
		c := data[d.pos]
		switch {
		case c == '"':
			raw := data[start:d.pos]
			d.pos++
			if plain && utf8.Valid(raw) {
				return string(raw), nil
			}
			return d.unquote(raw)
		case c == '\\':
			plain = false
			d.pos += 2
		case c < 0x20:
			return "", d.syntax("invalid control character in a string")
		default:
			d.pos++
		}
	}
	return "", d.syntax("")
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
