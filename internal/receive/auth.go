package receive

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/secrets"
)

// Headers of HMAC-signed requests.
const (
	HeaderSignature = "X-Touchstone-Signature"
	HeaderTimestamp = "X-Touchstone-Timestamp"
)

// credentials are the secrets a Survey's senders authenticate with.
type credentials struct {
	token   []byte // bearer token; nil when not configured
	hmacKey []byte // HMAC key; nil when not configured
	// signingKey is the key of signingSecretRef (for StandardWebhooks the
	// decoded whsec_ secret); nil when not configured.
	signingKey []byte
	// headerToken is the token of tokenHeader; nil when not configured.
	headerToken []byte
}

// refreshAge is how old a Secret may be when it is read again after a
// failed authentication: a rotated Secret is picked up at once, and a
// stream of bad signatures costs at most one GET per second.
const refreshAge = time.Second

// credentialsOf resolves the Secrets a Survey names, through the
// operator's shared resolver. With refresh, answers older than refreshAge
// are read again.
func credentialsOf(ctx context.Context, res *secrets.Resolver, svy *cxv1alpha1.Survey, refresh bool) (credentials, *Error) {
	read := func(field string, ref cxv1alpha1.SecretKeyRef) ([]byte, *Error) {
		var v []byte
		var err error
		if refresh {
			v, err = res.Fresh(ctx, svy.Namespace, field, ref, refreshAge)
		} else {
			v, err = res.Value(ctx, svy.Namespace, field, ref)
		}
		var serr *secrets.Error
		switch {
		case err == nil:
			return v, nil
		case errors.As(err, &serr) && !serr.Retryable():
			return nil, &Error{Status: http.StatusConflict, Reason: ReasonSurveyNotReady, Field: field,
				Message: "the survey cannot authenticate senders: " + serr.Message}
		default:
			return nil, unavailable(err)
		}
	}
	var creds credentials
	var err *Error
	if ref := svy.Spec.Receiver.BearerTokenSecretRef; ref != nil {
		if creds.token, err = read("spec.receiver.bearerTokenSecretRef", *ref); err != nil {
			return creds, err
		}
	}
	if ref := svy.Spec.Receiver.HMACSecretRef; ref != nil {
		if creds.hmacKey, err = read("spec.receiver.hmacSecretRef", *ref); err != nil {
			return creds, err
		}
	}
	if ref := svy.Spec.Receiver.SigningSecretRef; ref != nil {
		const field = "spec.receiver.signingSecretRef"
		if creds.signingKey, err = read(field, *ref); err != nil {
			return creds, err
		}
		if svy.Spec.Receiver.FormatOrDefault() == cxv1alpha1.FormatStandardWebhooks {
			key, derr := DecodeStandardWebhookSecret(string(creds.signingKey))
			if derr != nil {
				return creds, &Error{Status: http.StatusConflict, Reason: ReasonSurveyNotReady, Field: field,
					Message: "the survey cannot authenticate senders: the Secret's value " + derr.Error()}
			}
			creds.signingKey = key
		}
	}
	if th := svy.Spec.Receiver.TokenHeader; th != nil {
		if creds.headerToken, err = read("spec.receiver.tokenHeader.secretRef", th.SecretRef); err != nil {
			return creds, err
		}
	}
	return creds, nil
}

// authenticateFormat checks a request the way the Survey's format signs
// it.
func authenticateFormat(r *http.Request, body []byte, rcv *cxv1alpha1.SurveyReceiver, creds credentials, now time.Time, maxSkew time.Duration) *Error {
	switch rcv.FormatOrDefault() {
	case cxv1alpha1.FormatStandardWebhooks:
		if err := VerifyStandardWebhook(creds.signingKey, r.Header.Get(HeaderWebhookID), r.Header.Get(HeaderWebhookTimestamp),
			r.Header.Get(HeaderWebhookSignature), body, now, maxSkew); err != nil {
			return unauthorized(err.Error())
		}
		return nil
	case cxv1alpha1.FormatTypeform:
		if err := verifyTypeform(creds.signingKey, r.Header.Get(HeaderTypeform), body); err != nil {
			return unauthorized(err.Error())
		}
		return nil
	case cxv1alpha1.FormatGeneric:
		return authenticateGeneric(r, body, rcv, creds, now, maxSkew)
	default:
		return authenticate(r, body, creds, now, maxSkew)
	}
}

// authenticateGeneric accepts a request that passes one of the Survey's
// configured methods whose header it carries: the signature, the bearer
// token, the token header.
func authenticateGeneric(r *http.Request, body []byte, rcv *cxv1alpha1.SurveyReceiver, creds credentials, now time.Time, maxSkew time.Duration) *Error {
	var failure string
	tried := false
	if sig := rcv.Signature; sig != nil && r.Header.Get(sig.Header) != "" {
		tried = true
		err := verifyGeneric(sig, creds.signingKey, r.Header.Get, body, now, maxSkew)
		if err == nil {
			return nil
		}
		failure = err.Error()
	}
	if auth := r.Header.Get("Authorization"); auth != "" && creds.token != nil {
		tried = true
		scheme, token, _ := strings.Cut(auth, " ")
		if strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), creds.token) == 1 {
			return nil
		}
		if failure == "" {
			failure = "the bearer token is not this survey's"
		}
	}
	if th := rcv.TokenHeader; th != nil && r.Header.Get(th.Name) != "" {
		tried = true
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(r.Header.Get(th.Name))), creds.headerToken) == 1 {
			return nil
		}
		if failure == "" {
			failure = "the " + th.Name + " header is not this survey's token"
		}
	}
	if !tried {
		var want []string
		if rcv.Signature != nil {
			want = append(want, "a "+rcv.Signature.Header+" signature")
		}
		if rcv.BearerTokenSecretRef != nil {
			want = append(want, "Authorization: Bearer <token>")
		}
		if rcv.TokenHeader != nil {
			want = append(want, "a "+rcv.TokenHeader.Name+" header")
		}
		return unauthorized("send " + strings.Join(want, " or "))
	}
	return unauthorized(failure)
}

// authenticate checks a request against a Survey's credentials: a bearer
// token, or an HMAC-SHA256 signature of timestamp + "." + body made within
// maxSkew of now. Comparisons take constant time.
func authenticate(r *http.Request, body []byte, creds credentials, now time.Time, maxSkew time.Duration) *Error {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") || creds.token == nil {
			return unauthorized("the Authorization header must be \"Bearer <token>\" and the survey must accept bearer tokens")
		}
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), creds.token) != 1 {
			return unauthorized("the bearer token is not this survey's")
		}
		return nil
	}
	sig := r.Header.Get(HeaderSignature)
	if sig == "" {
		return unauthorized("send \"Authorization: Bearer <token>\" or an " + HeaderSignature + " header")
	}
	if creds.hmacKey == nil {
		return unauthorized("this survey does not accept HMAC signatures")
	}
	ts := r.Header.Get(HeaderTimestamp)
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return unauthorized(HeaderTimestamp + " must be the Unix time in seconds")
	}
	if d := now.Sub(time.Unix(secs, 0)); d > maxSkew || d < -maxSkew {
		return unauthorized(fmt.Sprintf("%s is more than %s away from the receiver's clock", HeaderTimestamp, maxSkew))
	}
	got, err := hex.DecodeString(strings.TrimPrefix(sig, "sha256="))
	if err != nil || !strings.HasPrefix(sig, "sha256=") {
		return unauthorized(HeaderSignature + " must be sha256=<hex>")
	}
	if !hmac.Equal(got, Sign(creds.hmacKey, ts, body)) {
		return unauthorized("the signature does not match the body")
	}
	return nil
}

// Sign computes the HMAC-SHA256 signature senders put in
// X-Touchstone-Signature (as "sha256=" + hex): the key signs the timestamp,
// a dot and the body.
func Sign(key []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

func unauthorized(message string) *Error {
	return &Error{Status: http.StatusUnauthorized, Reason: ReasonUnauthorized, Message: message}
}

// unavailable is the answer when the Kubernetes API cannot be reached:
// nothing was stored, the sender should retry.
func unavailable(err error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Reason: ReasonUnavailable, RetryAfter: 5 * time.Second,
		Message: "responses could not be stored durably, nothing was counted: retry later (" + err.Error() + ")"}
}
