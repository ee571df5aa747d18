package receive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxJSONDepth bounds the nesting of a body's objects and arrays: survey
// tools' webhooks nest a few levels deep, and a bound keeps a hostile body
// from costing stack or evaluation time.
const maxJSONDepth = 64

// decodeJSON reads one JSON value from body with encoding/json's
// tokenizer and refuses what Go's decoder lets through silently: a key
// that appears twice in one object ({"score":9,"score":0}: parsers that
// disagree on which one counts are a known request-smuggling vector), and
// nesting deeper than maxJSONDepth. With build, it returns the value as
// encoding/json would decode it into an any (objects as map[string]any,
// arrays as []any, numbers as float64); without, it only checks.
//
// Every format goes through it: the native one before its strict struct
// decoding, the mapped ones to give CEL the body. The Error names the
// path of the repeated key (responses[1].score).
func decodeJSON(body []byte, build bool) (any, *Error) {
	d := jsonDecoder{dec: json.NewDecoder(bytes.NewReader(body)), build: build}
	v, err := d.value(0, "")
	if err != nil {
		return nil, err
	}
	if _, terr := d.dec.Token(); terr != io.EOF {
		return nil, badRequest(ReasonMalformedJSON, "", "unexpected data after the JSON value")
	}
	return v, nil
}

type jsonDecoder struct {
	dec   *json.Decoder
	build bool
}

func (d *jsonDecoder) value(depth int, path string) (any, *Error) {
	tok, err := d.dec.Token()
	if err != nil {
		return nil, tokenError(err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		if !d.build {
			return nil, nil
		}
		return tok, nil
	}
	if depth >= maxJSONDepth {
		return nil, badRequest(ReasonMalformedJSON, path, fmt.Sprintf("nests objects and arrays more than %d levels deep", maxJSONDepth))
	}
	switch delim {
	case '{':
		return d.object(depth, path)
	case '[':
		return d.array(depth, path)
	}
	return nil, badRequest(ReasonMalformedJSON, path, fmt.Sprintf("unexpected %q", delim))
}

func (d *jsonDecoder) object(depth int, path string) (any, *Error) {
	var obj map[string]any
	if d.build {
		obj = map[string]any{}
	}
	seen := map[string]struct{}{}
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return nil, tokenError(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, badRequest(ReasonMalformedJSON, path, "object keys must be strings")
		}
		field := key
		if path != "" {
			field = path + "." + key
		}
		if _, dup := seen[key]; dup {
			return nil, badRequest(ReasonDuplicateKey, field,
				"appears twice in one object: send each field once (parsers disagree on which value counts)")
		}
		seen[key] = struct{}{}
		v, verr := d.value(depth+1, field)
		if verr != nil {
			return nil, verr
		}
		if d.build {
			obj[key] = v
		}
	}
	if _, err := d.dec.Token(); err != nil { // the closing brace
		return nil, tokenError(err)
	}
	if !d.build {
		return nil, nil
	}
	return obj, nil
}

func (d *jsonDecoder) array(depth int, path string) (any, *Error) {
	var arr []any
	for i := 0; d.dec.More(); i++ {
		v, err := d.value(depth+1, path+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		if d.build {
			arr = append(arr, v)
		}
	}
	if _, err := d.dec.Token(); err != nil { // the closing bracket
		return nil, tokenError(err)
	}
	if !d.build {
		return nil, nil
	}
	if arr == nil {
		arr = []any{}
	}
	return arr, nil
}

// tokenError is a tokenizer error as an answer; it never quotes the body.
func tokenError(err error) *Error {
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		return badRequest(ReasonMalformedJSON, "", fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest(ReasonMalformedJSON, "", "body is empty or ends in the middle of a JSON value")
	default:
		return badRequest(ReasonMalformedJSON, "", strings.TrimPrefix(err.Error(), "json: "))
	}
}
