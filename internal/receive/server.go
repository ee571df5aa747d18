// Package receive is the survey response receiver: an HTTP server that
// authenticates senders per Survey, validates responses, and acknowledges
// them only once they are counted durably in ResponseTally objects in the
// Kubernetes API (ack after durable, with group commit).
package receive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/metrics"
	"github.com/touchstone-dev/touchstone/internal/secrets"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

// PathOf is the path where responses for one Survey are posted:
// /api/v1/namespaces/{namespace}/surveys/{name}/responses. The server's
// route, the Survey's status.receiverPath, the demo and the tests all use
// it, so that they never disagree.
func PathOf(namespace, name string) string {
	return "/api/v1/namespaces/" + namespace + "/surveys/" + name + "/responses"
}

// route is the receiver's ServeMux pattern: PathOf with wildcards.
var route = "POST " + PathOf("{namespace}", "{name}")

// Config configures a Server.
type Config struct {
	// Addr is the address to listen on, such as ":8082"; ignored when
	// Listener is set.
	Addr string
	// Listener, when set, is used instead of listening on Addr (tests
	// pass a listener on a free port).
	Listener net.Listener
	// Surveys reads Surveys, normally from the manager's cache.
	Surveys client.Reader
	// Secrets resolves the receiver Secrets (the operator's shared
	// resolver).
	Secrets *secrets.Resolver
	// Store makes responses durable.
	Store Store
	// MaxBodyBytes bounds a request body (413 beyond).
	MaxBodyBytes int64
	// MaxBatch bounds the responses of one request.
	MaxBatch int
	// MaxSkew is the accepted clock difference of submittedAt and of HMAC
	// timestamps.
	MaxSkew time.Duration
	// QueueLength bounds the requests waiting per Survey lane (429 beyond).
	QueueLength int
	// MaxCommit bounds the responses of one durable write.
	MaxCommit int
	// CommitTimeout bounds one durable write (503 beyond).
	CommitTimeout time.Duration
	// ShutdownDelay is how long the receiver keeps receiving, not ready,
	// once asked to stop (see stop); 0 stops at once.
	ShutdownDelay time.Duration
}

// Defaults of Config.
const (
	DefaultMaxBodyBytes  = 1 << 20
	DefaultMaxBatch      = 1000
	DefaultMaxSkew       = 5 * time.Minute
	DefaultQueueLength   = 1024
	DefaultMaxCommit     = 2000
	DefaultCommitTimeout = 10 * time.Second
)

// Server is the receiver. It runs on every replica (it is a manager
// Runnable that does not need leader election).
type Server struct {
	cfg       Config
	committer *groupCommitter
	addr      chan net.Addr
	life      lifecycle
}

// NewServer returns a receiver; zero fields of cfg take their defaults.
func NewServer(cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.QueueLength <= 0 {
		cfg.QueueLength = DefaultQueueLength
	}
	if cfg.MaxCommit <= 0 {
		cfg.MaxCommit = DefaultMaxCommit
	}
	if cfg.CommitTimeout <= 0 {
		cfg.CommitTimeout = DefaultCommitTimeout
	}
	return &Server{
		cfg:  cfg,
		addr: make(chan net.Addr, 1),
	}
}

// NeedLeaderElection is false: every replica receives responses.
func (s *Server) NeedLeaderElection() bool { return false }

// Addr waits until the server listens and returns its address.
func (s *Server) Addr(ctx context.Context) (net.Addr, error) {
	select {
	case a := <-s.addr:
		s.addr <- a
		return a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Handler is the receiver's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(route, s.receive)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Status: http.StatusNotFound, Reason: ReasonNotFound,
			Message: "responses are posted to " + PathOf("{namespace}", "{name}")})
	})
	return mux
}

// Start serves until ctx ends, then stops gracefully (see stop): requests
// in flight finish (their writes complete) before Start returns.
func (s *Server) Start(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("receiver")
	ln := s.cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.cfg.Addr); err != nil {
			return fmt.Errorf("receiver: %w", err)
		}
	}
	// Writes outlive the manager's context by up to the shutdown grace
	// period, so that a request being committed is answered truthfully.
	commitCtx, stopCommits := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCommits()
	s.committer = &groupCommitter{
		log:   log,
		store: s.cfg.Store, queueLength: s.cfg.QueueLength, maxCommit: s.cfg.MaxCommit,
		commitTimeout: s.cfg.CommitTimeout, idle: time.Minute,
		ctx: commitCtx, writers: map[writerKey]chan *pending{},
	}
	srv := &http.Server{
		Handler:           s.closeWhenDraining(s.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.cfg.CommitTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	s.addr <- ln.Addr()
	s.life.listening.Store(true)
	log.Info("receiving survey responses", "address", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("receiver: %w", err)
	case <-ctx.Done():
	}
	return s.stop(log, srv, errc, stopCommits)
}

// outcome is how a request was answered: its status code, and how many
// of its responses were accepted, duplicates, or not counted.
type outcome struct {
	code                           int
	accepted, duplicates, rejected int
	// survey is set once the Survey was found: only known Surveys get
	// per-survey series (bounded labels).
	survey *cxv1alpha1.Survey
}

// refused is the outcome of a request answered with an error, none of
// whose n responses was counted.
func refused(w http.ResponseWriter, e *Error, svy *cxv1alpha1.Survey, n int) outcome {
	return outcome{code: writeError(w, e), rejected: n, survey: svy}
}

// receive handles one POST of responses.
func (s *Server) receive(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	key := types.NamespacedName{Namespace: r.PathValue("namespace"), Name: r.PathValue("name")}
	out := s.handle(w, r, key)
	code := strconv.Itoa(out.code)
	metrics.ReceiverRequests.WithLabelValues(code).Inc()
	metrics.ReceiverRequestDuration.WithLabelValues(code).Observe(time.Since(start).Seconds())
	if out.survey == nil {
		return
	}
	count := func(result string, n int) {
		if n > 0 {
			metrics.ReceiverResponses.WithLabelValues(key.Namespace, key.Name, result).Add(float64(n))
		}
	}
	count("accepted", out.accepted)
	count("duplicate", out.duplicates)
	if out.code == http.StatusTooManyRequests || out.code == http.StatusServiceUnavailable {
		count("failed", out.rejected)
	} else {
		count("rejected", out.rejected)
	}
}

// handle answers a request: read the body, find the Survey, authenticate,
// parse and validate, then commit durably and answer.
func (s *Server) handle(w http.ResponseWriter, r *http.Request, key types.NamespacedName) outcome {
	ctx := r.Context()
	now := time.Now()
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return refused(w, &Error{Status: http.StatusUnsupportedMediaType, Reason: ReasonUnsupportedMedia,
			Message: "Content-Type must be application/json"}, nil, 0)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return refused(w, &Error{Status: http.StatusRequestEntityTooLarge, Reason: ReasonBodyTooLarge,
				Message: fmt.Sprintf("body is larger than %d bytes: send fewer responses per request", s.cfg.MaxBodyBytes)}, nil, 0)
		}
		return refused(w, badRequest(ReasonMalformedJSON, "", "reading the body: "+err.Error()), nil, 0)
	}

	var svy cxv1alpha1.Survey
	if err := s.cfg.Surveys.Get(ctx, key, &svy); err != nil {
		if apierrors.IsNotFound(err) {
			return refused(w, &Error{Status: http.StatusNotFound, Reason: ReasonSurveyNotFound,
				Message: fmt.Sprintf("survey %s not found", key)}, nil, 0)
		}
		return refused(w, unavailable(err), nil, 0)
	}
	if svy.DeletionTimestamp != nil {
		return refused(w, &Error{Status: http.StatusConflict, Reason: ReasonSurveyNotReady,
			Message: "the survey is being deleted"}, &svy, 0)
	}
	if aerr := s.authenticate(ctx, r, body, &svy, now); aerr != nil {
		if aerr.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="touchstone"`)
		}
		return refused(w, aerr, &svy, 0)
	}

	t, rules := targetOf(&svy, s.cfg)
	responses, perr := Parse(body, rules, now)
	if perr != nil {
		return refused(w, perr, &svy, countResponses(body))
	}
	accepted, duplicates, cerr := s.commit(t, responses)
	if cerr != nil {
		return refused(w, cerr, &svy, len(responses))
	}
	writeJSON(w, http.StatusOK, map[string]int{"accepted": accepted, "duplicates": duplicates})
	return outcome{code: http.StatusOK, accepted: accepted, duplicates: duplicates, survey: &svy}
}

// authenticate checks the request against the Survey's credentials, and
// once more with freshly read Secrets when it fails (a Secret rotated a
// moment ago).
func (s *Server) authenticate(ctx context.Context, r *http.Request, body []byte, svy *cxv1alpha1.Survey, now time.Time) *Error {
	creds, aerr := credentialsOf(ctx, s.cfg.Secrets, svy, false)
	if aerr != nil {
		return aerr
	}
	aerr = authenticate(r, body, creds, now, s.cfg.MaxSkew)
	if aerr == nil || aerr.Status != http.StatusUnauthorized {
		return aerr
	}
	if creds, aerr = credentialsOf(ctx, s.cfg.Secrets, svy, true); aerr != nil {
		return aerr
	}
	return authenticate(r, body, creds, now, s.cfg.MaxSkew)
}

// commit queues the responses of each lane with the group committer and
// waits until all of them are durable (or failed): nothing is
// acknowledged that is not durable.
func (s *Server) commit(t Target, responses []Response) (accepted, duplicates int, err *Error) {
	byLane := map[int][]Response{}
	for _, resp := range responses {
		l := LaneOf(resp.IDHash)
		byLane[l] = append(byLane[l], resp)
	}
	parts := make([]*pending, 0, len(byLane))
	for lane, rs := range byLane {
		p, err := s.committer.submit(t, lane, rs)
		if err != nil {
			// Parts already queued still commit; the retry finds them as
			// duplicates.
			return 0, 0, &Error{Status: http.StatusTooManyRequests, Reason: ReasonOverloaded, RetryAfter: time.Second,
				Message: "too many responses are waiting to be stored: retry shortly"}
		}
		parts = append(parts, p)
	}
	for _, p := range parts {
		select {
		case <-p.done:
		case <-s.committer.ctx.Done():
			return 0, 0, unavailable(errors.New("the receiver is shutting down"))
		}
		if p.err != nil {
			return 0, 0, unavailable(p.err)
		}
		for _, d := range p.duplicate {
			if d {
				duplicates++
			} else {
				accepted++
			}
		}
	}
	return accepted, duplicates, nil
}

// targetOf derives the commit target and the validation rules of a Survey.
func targetOf(svy *cxv1alpha1.Survey, cfg Config) (Target, Rules) {
	scale := svy.Spec.ScaleOrDefault()
	segs := make(map[string]int, len(svy.Spec.Segments))
	for i := range svy.Spec.Segments {
		segs[svy.Spec.Segments[i].Name] = svy.Spec.Segments[i].MaxValuesOrDefault()
	}
	sc := stats.Scale{Min: int(scale.Min), Max: int(scale.Max)}
	t := Target{Namespace: svy.Namespace, Name: svy.Name, UID: svy.UID, Scale: sc, Segments: segs}
	return t, Rules{
		Scale: sc, Segments: segs, Retention: svy.Spec.RetentionOrDefault(),
		MaxSkew: cfg.MaxSkew, MaxBatch: cfg.MaxBatch, IDKey: []byte(svy.UID),
	}
}

// countResponses estimates how many responses a rejected body held, for
// the rejected counter.
func countResponses(body []byte) int {
	var b struct {
		Responses []json.RawMessage `json:"responses"`
	}
	if json.Unmarshal(body, &b) == nil && len(b.Responses) > 0 {
		return len(b.Responses)
	}
	return 1
}

func writeError(w http.ResponseWriter, e *Error) int {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds())))
	}
	writeJSON(w, e.Status, map[string]*Error{"error": e})
	return e.Status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
