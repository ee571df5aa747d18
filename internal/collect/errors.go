package collect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrorKind classifies why a run failed.
type ErrorKind string

// The kinds of run failures.
const (
	// ErrConnection: the source could not be reached (DNS, refused, reset, TLS).
	ErrConnection ErrorKind = "Connection"
	// ErrTimeout: the run did not finish within the collector's timeout.
	ErrTimeout ErrorKind = "Timeout"
	// ErrHTTPStatus: the source answered with a status other than 2xx.
	ErrHTTPStatus ErrorKind = "HTTPStatus"
	// ErrInvalidResponse: the answer is not what the protocol promises
	// (not JSON, too large, not a Prometheus API response).
	ErrInvalidResponse ErrorKind = "InvalidResponse"
	// ErrQuery: the Prometheus API rejected or failed the query.
	ErrQuery ErrorKind = "Query"
	// ErrResult: the answer is well formed but is not exactly one finite
	// number (several series, NaN, a missing JSONPath, a string...).
	ErrResult ErrorKind = "Result"
	// ErrSecret: a referenced Secret or key does not exist, or could not be
	// read.
	ErrSecret ErrorKind = "Secret"
	// ErrConfig: the collector's spec cannot be used (a bad URL, JSONPath
	// or CA certificate).
	ErrConfig ErrorKind = "Config"
)

// MaxErrorLength bounds the length of an error message kept in status.
const MaxErrorLength = 512

// Error is why a collector run failed. Message is written to status; Note
// is the same without anything the source sent back, fit for Events and
// logs.
type Error struct {
	// Kind classifies the failure.
	Kind ErrorKind
	// Reason is a condition reason for configuration problems
	// (SecretNotFound, SecretKeyNotFound), empty otherwise.
	Reason string
	// Message says what failed, for status.
	Message string
	// Note is Message without text taken from the source's answer; empty
	// means Message is safe as it is.
	Note string
}

// Error returns Message.
func (e *Error) Error() string { return e.Message }

// Retryable reports whether running again, with the same spec and Secrets,
// can help: false for a missing Secret or key (Reason is set) and for a
// spec that cannot be used (ErrConfig), true for everything that depends
// on a source or the API server (unreachable, timeout, error status...).
func (e *Error) Retryable() bool { return e.Reason == "" && e.Kind != ErrConfig }

// SafeNote is the message without text taken from the source's answer,
// for Events and logs.
func (e *Error) SafeNote() string {
	if e.Note != "" {
		return e.Note
	}
	return e.Message
}

// errorf builds an *Error with a formatted message.
func errorf(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: truncate(fmt.Sprintf(format, args...))}
}

// AsError returns err as an *Error, classifying errors that are not one
// yet (transport errors from net/http and client_golang).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	return classify(err, "")
}

// classify turns a transport error into an *Error. target is the redacted
// address the request went to, when known.
func classify(err error, target string) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	if errors.Is(err, errBodyTooLarge) {
		return errorf(ErrInvalidResponse, "%s", bodyTooLargeMessage(err))
	}
	// Strip the *url.Error wrapper: its URL may carry a query string or
	// user info; target is the redacted address.
	if uerr, ok := errors.AsType[*url.Error](err); ok {
		if target == "" {
			target = redactURL(uerr.URL)
		}
		err = uerr.Err
	}
	prefix := ""
	if target != "" {
		prefix = target + ": "
	}
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return errorf(ErrTimeout, "%stimed out", prefix)
	}
	if errors.Is(err, context.Canceled) {
		return errorf(ErrTimeout, "%scanceled", prefix)
	}
	return errorf(ErrConnection, "%s%v", prefix, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// redactURL drops user info, query and fragment from a URL, which may hold
// credentials, for error messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the source"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// truncate bounds a message to MaxErrorLength bytes (on a rune boundary).
func truncate(s string) string { return truncateTo(s, MaxErrorLength) }

// truncateTo bounds a message to n bytes (on a rune boundary), ending it
// with "..." when cut.
func truncateTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// joinNames lists names for messages: "a, b and c".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
