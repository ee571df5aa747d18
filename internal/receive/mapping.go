package receive

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
	"github.com/google/cel-go/parser"
	ktypes "k8s.io/apimachinery/pkg/types"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// The variables of mapping expressions.
const (
	varBody    = "body"
	varHeaders = "headers"
	varItem    = "item"
)

// Limits of mapping expressions.
const (
	// CostLimit bounds the evaluation of one expression (cel-go's cost
	// units, about one per operation), and the cost estimated at
	// reconcile.
	CostLimit = 1_000_000
	// estimatedSize is the size assumed, when a mapping is checked, of
	// every list, map and string of the body: a comprehension over a list
	// of the body fits the limit, one nested in another does not.
	estimatedSize = 1000
)

// Mapping is a Survey's compiled spec.receiver.mapping: the CEL programs
// that read responses out of a survey tool's webhook body. It is safe for
// concurrent use.
type Mapping struct {
	when, responses, score, id, submittedAt *program
	segments                                []segmentProgram
	// usesHeaders is true when an expression reads headers: the map is
	// built only then.
	usesHeaders bool
	// projection is the part of the body the expressions read.
	projection *Projection
	err        error
}

type segmentProgram struct {
	name string
	prg  *program
}

// program is one compiled expression.
type program struct {
	// field names the expression in errors: mapping.score.
	field    string
	prg      cel.Program
	tracking cel.Program // the same, recording every subexpression's value
	ast      *cel.Ast
	headers  bool // reads headers
	err      error
}

// Err reports the first expression that does not compile, type-check or
// fit the cost limit, naming its field (spec.receiver.mapping.score: ...);
// nil when every expression is usable.
func (m *Mapping) Err() error { return m.err }

// kind is what an expression must evaluate to.
type kind int

const (
	kindBool kind = iota
	kindList
	kindNumber
	kindID
	kindTime
	kindSegment
)

// celEnvs are the mapping environments: body (dyn) and headers
// (map(string, string)), plus item (dyn) for the expressions of a list
// mapping; with the strings, math, lists and bindings extensions and
// optional values (body.?field.orValue('none')).
var celEnvs = sync.OnceValues(func() (map[bool]*cel.Env, error) {
	opts := []cel.EnvOption{
		cel.Variable(varBody, cel.DynType),
		cel.Variable(varHeaders, cel.MapType(cel.StringType, cel.StringType)),
		ext.Strings(), ext.Math(), ext.Lists(), ext.Bindings(),
		cel.OptionalTypes(), cel.CrossTypeNumericComparisons(true),
	}
	single, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, err
	}
	list, err := single.Extend(cel.Variable(varItem, cel.DynType))
	if err != nil {
		return nil, err
	}
	return map[bool]*cel.Env{false: single, true: list}, nil
})

// exprKey keys the expression cache.
type exprKey struct {
	field, src string
	kind       kind
	list       bool
}

// exprCache keeps compiled expressions by their text, for the Survey
// controller and the receiver alike: a reconcile or a request does not
// compile an unchanged expression again. It forgets everything past its
// bound.
var exprCache = struct {
	sync.Mutex
	m map[exprKey]*program
}{}

// mappingCache keeps each Survey generation's Mapping, so that a request
// looks it up without building a key from every expression.
var mappingCache = struct {
	sync.RWMutex
	m map[mappingKey]*Mapping
}{}

type mappingKey struct {
	uid        ktypes.UID
	generation int64
}

const maxCompiled = 4096

// MappingOf returns the compiled mapping of a Survey's spec (nil when it
// has none), from the cache when the Survey's generation was compiled
// before. Check Err before use.
func MappingOf(svy *cxv1alpha1.Survey) *Mapping {
	spec := svy.Spec.Receiver.Mapping
	if spec == nil {
		return nil
	}
	key := mappingKey{uid: svy.UID, generation: svy.Generation}
	if key.uid != "" {
		mappingCache.RLock()
		m := mappingCache.m[key]
		mappingCache.RUnlock()
		if m != nil {
			return m
		}
	}
	m := CompileMapping(spec)
	if key.uid != "" {
		mappingCache.Lock()
		if mappingCache.m == nil || len(mappingCache.m) >= maxCompiled {
			mappingCache.m = map[mappingKey]*Mapping{}
		}
		mappingCache.m[key] = m
		mappingCache.Unlock()
	}
	return m
}

// CompileMapping compiles and cost-checks every expression of a mapping.
// The result is always returned; Err names the first bad expression.
func CompileMapping(spec *cxv1alpha1.ReceiverMapping) *Mapping {
	list := spec.Responses != ""
	m := &Mapping{}
	var problems []string
	get := func(field, src string, k kind, itemVar bool) *program {
		if src == "" {
			return nil
		}
		p := compileExpr(field, src, k, itemVar)
		if p.err != nil {
			problems = append(problems, "spec.receiver."+field+": "+p.err.Error())
		}
		m.usesHeaders = m.usesHeaders || p.headers
		return p
	}
	m.when = get("mapping.when", spec.When, kindBool, false)
	m.responses = get("mapping.responses", spec.Responses, kindList, false)
	m.score = get("mapping.score", spec.Score, kindNumber, list)
	m.id = get("mapping.id", spec.ID, kindID, list)
	m.submittedAt = get("mapping.submittedAt", spec.SubmittedAt, kindTime, list)
	names := make([]string, 0, len(spec.Segments))
	for name := range spec.Segments {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m.segments = append(m.segments, segmentProgram{name: name,
			prg: get("mapping.segments."+name, spec.Segments[name], kindSegment, list)})
	}
	if m.score == nil {
		problems = append(problems, "spec.receiver.mapping.score: is required")
	}
	m.projection = &Projection{}
	for _, p := range append([]*program{m.when, m.responses, m.score, m.id, m.submittedAt}, segmentPrograms(m.segments)...) {
		if p != nil && p.ast != nil {
			project(p.ast.NativeRep().Expr(), m.projection)
		}
	}
	if len(problems) > 0 {
		m.err = errors.New(strings.Join(problems, "; "))
	}
	return m
}

func segmentPrograms(segs []segmentProgram) []*program {
	out := make([]*program, 0, len(segs))
	for _, s := range segs {
		out = append(out, s.prg)
	}
	return out
}

// project adds to p the parts of body that e reads: the end of each chain
// of field selections rooted at body (body.data.data.nps; has() and ?.
// included) is built whole, and body used any other way (size(body),
// body[k], a comprehension variable named body) builds everything.
func project(e celast.Expr, p *Projection) {
	var walk func(e celast.Expr, selected bool)
	walk = func(e celast.Expr, selected bool) {
		switch e.Kind() {
		case celast.IdentKind:
			if e.AsIdent() == varBody && !selected {
				p.add(nil)
			}
		case celast.SelectKind:
			if !selected {
				if path, ok := bodyChain(e); ok {
					p.add(path)
				}
			}
			walk(e.AsSelect().Operand(), true)
		case celast.CallKind:
			call := e.AsCall()
			if call.FunctionName() == operators.OptSelect && len(call.Args()) == 2 {
				if !selected {
					if path, ok := bodyChain(e); ok {
						p.add(path)
					}
				}
				walk(call.Args()[0], true)
				return
			}
			if call.IsMemberFunction() {
				walk(call.Target(), false)
			}
			for _, a := range call.Args() {
				walk(a, false)
			}
		case celast.ListKind:
			for _, el := range e.AsList().Elements() {
				walk(el, false)
			}
		case celast.MapKind:
			for _, en := range e.AsMap().Entries() {
				walk(en.AsMapEntry().Key(), false)
				walk(en.AsMapEntry().Value(), false)
			}
		case celast.StructKind:
			for _, f := range e.AsStruct().Fields() {
				walk(f.AsStructField().Value(), false)
			}
		case celast.ComprehensionKind:
			c := e.AsComprehension()
			if c.IterVar() == varBody || c.IterVar2() == varBody || c.AccuVar() == varBody {
				p.add(nil)
			}
			for _, x := range []celast.Expr{c.IterRange(), c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()} {
				walk(x, false)
			}
		}
	}
	walk(e, false)
}

// bodyChain is the path of a chain of field selections rooted at body.
func bodyChain(e celast.Expr) ([]string, bool) {
	var rev []string
	for {
		switch e.Kind() {
		case celast.SelectKind:
			rev = append(rev, e.AsSelect().FieldName())
			e = e.AsSelect().Operand()
			continue
		case celast.CallKind:
			call := e.AsCall()
			if call.FunctionName() == operators.OptSelect && len(call.Args()) == 2 && call.Args()[1].Kind() == celast.LiteralKind {
				field, ok := call.Args()[1].AsLiteral().(types.String)
				if !ok {
					return nil, false
				}
				rev = append(rev, string(field))
				e = call.Args()[0]
				continue
			}
		case celast.IdentKind:
			if e.AsIdent() != varBody {
				return nil, false
			}
			slices.Reverse(rev)
			return rev, true
		}
		return nil, false
	}
}

// compileExpr compiles one expression through the cache.
func compileExpr(field, src string, k kind, list bool) *program {
	key := exprKey{field: field, src: src, kind: k, list: list}
	exprCache.Lock()
	p := exprCache.m[key]
	exprCache.Unlock()
	if p != nil {
		return p
	}
	p = &program{field: field}
	p.err = p.compile(src, k, list)
	exprCache.Lock()
	if exprCache.m == nil || len(exprCache.m) >= maxCompiled {
		exprCache.m = map[exprKey]*program{}
	}
	exprCache.m[key] = p
	exprCache.Unlock()
	return p
}

func (p *program) compile(src string, k kind, list bool) error {
	envs, err := celEnvs()
	if err != nil {
		return fmt.Errorf("CEL environment: %w", err)
	}
	env := envs[list]
	checked, iss := env.Compile(src)
	if iss.Err() != nil {
		msg := oneLine(iss.Err().Error())
		if !list && strings.Contains(msg, "undeclared reference to 'item'") {
			msg += " (item is the element of mapping.responses, which is not set)"
		}
		return errors.New(msg)
	}
	if err := checkOutput(checked.OutputType(), k); err != nil {
		return err
	}
	est, err := env.EstimateCost(checked, sizeEstimator{})
	if err != nil {
		return fmt.Errorf("estimating its cost: %w", err)
	}
	if est.Max > CostLimit {
		return fmt.Errorf("its estimated cost (%s, with lists of the body of %d elements) is over the limit of %d: avoid comprehensions nested in one another", costString(est.Max), estimatedSize, CostLimit)
	}
	// An expression made of field selections, operators, conversions and
	// the cheap functions of cheapFunctions costs a bounded number of
	// operations, each at most linear in the body: it is evaluated without
	// cost tracking, which would about double its time. Comprehensions
	// (all, exists, filter, map, cel.bind) and every other function are
	// tracked and stopped past CostLimit.
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if needsCostTracking(checked) {
		opts = append(opts, cel.CostLimit(CostLimit))
	}
	if p.prg, err = env.Program(checked, opts...); err != nil {
		return err
	}
	if p.tracking, err = env.Program(checked, cel.CostLimit(CostLimit), cel.EvalOptions(cel.OptTrackState)); err != nil {
		return err
	}
	p.ast = checked
	for _, r := range checked.NativeRep().ReferenceMap() {
		if r.Name == varHeaders {
			p.headers = true
		}
	}
	return nil
}

// cheapFunctions are the functions whose cost is at most linear in their
// arguments and whose result is no larger than them.
var cheapFunctions = map[string]bool{
	operators.Conditional: true, operators.LogicalAnd: true, operators.LogicalOr: true, operators.LogicalNot: true,
	operators.Equals: true, operators.NotEquals: true, operators.Less: true, operators.LessEquals: true,
	operators.Greater: true, operators.GreaterEquals: true, operators.Add: true, operators.Subtract: true,
	operators.Multiply: true, operators.Divide: true, operators.Modulo: true, operators.Negate: true,
	operators.Index: true, operators.OptIndex: true, operators.OptSelect: true, operators.In: true,
	"size": true, "int": true, "uint": true, "double": true, overloads.TypeConvertString: true, "bool": true, "dyn": true,
	"type": true, "timestamp": true, "duration": true,
	"lowerAscii": true, "upperAscii": true, "startsWith": true, "endsWith": true, "contains": true, "trim": true,
	"orValue": true, "or": true, "hasValue": true, "value": true, "optional.of": true, "optional.none": true,
	"optional.ofNonZeroValue": true,
}

// needsCostTracking reports whether the expression iterates (a
// comprehension) or calls a function outside cheapFunctions.
func needsCostTracking(a *cel.Ast) bool {
	found := false
	celast.PostOrderVisit(a.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.ComprehensionKind:
			found = true
		case celast.CallKind:
			if !cheapFunctions[e.AsCall().FunctionName()] {
				found = true
			}
		}
	}))
	return found
}

func costString(c uint64) string {
	if c == math.MaxUint64 {
		return "unbounded"
	}
	return strconv.FormatUint(c, 10)
}

// checkOutput refuses an expression whose type, known at compile time,
// cannot be what its field needs (dyn is checked per delivery).
func checkOutput(out *cel.Type, k kind) error {
	if out.IsExactType(cel.DynType) {
		return nil
	}
	is := func(ts ...*cel.Type) bool {
		return slices.ContainsFunc(ts, out.IsExactType)
	}
	optional := out.Kind() == types.OpaqueKind && out.TypeName() == "optional_type"
	var ok bool
	var want string
	switch k {
	case kindBool:
		ok, want = is(cel.BoolType), "a bool"
	case kindList:
		ok, want = out.Kind() == types.ListKind, "a list"
	case kindNumber:
		ok, want = is(cel.IntType, cel.UintType, cel.DoubleType), "a number"
	case kindID:
		ok, want = is(cel.StringType, cel.IntType, cel.UintType, cel.DoubleType), "a string or an integer"
	case kindTime:
		ok, want = optional || is(cel.StringType, cel.TimestampType, cel.IntType, cel.UintType, cel.DoubleType, cel.NullType),
			"an RFC 3339 string, a timestamp or Unix seconds"
	case kindSegment:
		ok, want = optional || is(cel.StringType, cel.IntType, cel.UintType, cel.BoolType, cel.NullType), "a string, an integer or a bool"
	}
	if !ok {
		return fmt.Errorf("must evaluate to %s, not %s", want, out)
	}
	return nil
}

// sizeEstimator assumes estimatedSize for every list, map and string the
// expression reads from its variables.
type sizeEstimator struct{}

func (sizeEstimator) EstimateSize(checker.AstNode) *checker.SizeEstimate {
	return &checker.SizeEstimate{Min: 0, Max: estimatedSize}
}

func (sizeEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// oneLine flattens CEL's multi-line error (message, source line, caret)
// to its messages.
func oneLine(msg string) string {
	var parts []string
	for l := range strings.SplitSeq(msg, "\n") {
		l = strings.TrimSpace(l)
		if after, ok := strings.CutPrefix(l, "ERROR: "); ok {
			parts = append(parts, after)
		}
	}
	if len(parts) == 0 {
		return strings.TrimSpace(msg)
	}
	return strings.Join(parts, "; ")
}

// activation gives the expressions their variables without a map per
// evaluation.
type activation struct {
	body    any
	headers map[string]string
	item    ref.Val
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case varBody:
		return a.body, true
	case varHeaders:
		return a.headers, true
	case varItem:
		if a.item != nil {
			return a.item, true
		}
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// eval evaluates the program; a failure is an Error naming the field.
func (p *program) eval(vars *activation) (ref.Val, *Error) {
	v, _, err := p.prg.Eval(vars)
	if err != nil {
		return nil, mappingError(p.field, p.explain(vars, err))
	}
	return v, nil
}

// explain turns an evaluation error into a message. A missing key names
// the path that is missing (body.data.data.nps is missing), found by
// evaluating again with every subexpression's value recorded. Messages
// never quote a string of the body.
func (p *program) explain(vars *activation, err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "cost limit exceeded"):
		return fmt.Sprintf("evaluation went over the cost limit of %d", CostLimit)
	case strings.HasPrefix(msg, "no such key"):
		if path := p.missingPath(vars); path != "" {
			return path + " is missing (use has() or ?. for a field that a delivery may lack)"
		}
		return msg
	case strings.HasPrefix(msg, "no such overload"), strings.HasPrefix(msg, "no matching overload"):
		return "a value of the body has an unexpected type (" + msg + ")"
	}
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return "evaluation failed: " + msg
}

// missingPath finds the field selection whose operand lacks the field,
// and renders it as written (body.data.data.nps): first from the values
// recorded by evaluating again, then, since cel-go resolves a chain such
// as body.data.nps as one attribute, by walking each chain rooted at a
// variable through the delivery's values.
func (p *program) missingPath(vars *activation) string {
	if p.ast == nil {
		return ""
	}
	native := p.ast.NativeRep()
	_, det, _ := p.tracking.Eval(vars)
	var found string
	celast.PostOrderVisit(native.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if found != "" || e.Kind() != celast.SelectKind || e.AsSelect().IsTestOnly() {
			return
		}
		sel := e.AsSelect()
		if det != nil && det.State() != nil {
			if v, ok := det.State().Value(sel.Operand().ID()); ok {
				if mapper, ok := v.(traits.Mapper); ok {
					if _, present := mapper.Find(types.String(sel.FieldName())); !present {
						found = unparse(sel.Operand(), native.SourceInfo()) + "." + sel.FieldName()
					}
				}
				return
			}
		}
		if path, ok := walkChain(e, vars); ok {
			found = path
		}
	}))
	return found
}

// walkChain follows a chain of field selections rooted at a variable
// (body.data.nps) through the delivery's values, and returns the first
// prefix whose last field is missing from a map.
func walkChain(e celast.Expr, vars *activation) (string, bool) {
	var fields []string
	for e.Kind() == celast.SelectKind && !e.AsSelect().IsTestOnly() {
		fields = append(fields, e.AsSelect().FieldName())
		e = e.AsSelect().Operand()
	}
	if e.Kind() != celast.IdentKind {
		return "", false
	}
	root := e.AsIdent()
	v, ok := vars.ResolveName(root)
	if !ok {
		return "", false
	}
	var path strings.Builder
	path.WriteString(root)
	for _, field := range slices.Backward(fields) {
		path.WriteString("." + field)
		switch m := v.(type) {
		case map[string]any:
			if v, ok = m[field]; !ok {
				return path.String(), true
			}
		case traits.Mapper:
			val, present := m.Find(types.String(field))
			if !present {
				return path.String(), true
			}
			v = val
		default:
			return "", false
		}
	}
	return "", false
}

func unparse(e celast.Expr, info *celast.SourceInfo) string {
	s, err := parser.Unparse(e, info)
	if err != nil {
		return "the expression"
	}
	return s
}

func mappingError(field, message string) *Error {
	return badRequest(ReasonInvalidMapping, field, message)
}

// Delivery is one webhook request as the mapping sees it.
type Delivery struct {
	// Body is the decoded JSON body.
	Body any
	// Headers are the request's headers, lower-cased, values joined with
	// ", "; credentials are left out.
	Headers map[string]string
	// WebhookID is the Standard Webhooks webhook-id, the idempotency key
	// when the mapping has no id.
	WebhookID string
}

// Evaluate reads the responses of one delivery. ignored is 1 when the
// delivery is skipped (when is false, or responses is empty): it is then
// answered 2xx and nothing is counted. A response that cannot be read is
// an Error naming the mapping field, and nothing of the delivery counts.
func (m *Mapping) Evaluate(d Delivery, rules Rules, now time.Time) (rs []Response, ignored int, e *Error) {
	vars := &activation{body: d.Body, headers: d.Headers}
	if m.when != nil {
		v, err := m.when.eval(vars)
		if err != nil {
			return nil, 0, err
		}
		b, ok := v.(types.Bool)
		if !ok {
			return nil, 0, mappingError(m.when.field, "must evaluate to a bool, not "+typeName(v))
		}
		if !b {
			return nil, 1, nil
		}
	}
	if m.responses == nil {
		r, err := m.response(vars, d.WebhookID, "", rules, now)
		if err != nil {
			return nil, 0, err
		}
		return []Response{r}, 0, nil
	}
	v, err := m.responses.eval(vars)
	if err != nil {
		return nil, 0, err
	}
	lister, ok := v.(traits.Lister)
	if !ok {
		return nil, 0, mappingError(m.responses.field, "must evaluate to a list, not "+typeName(v))
	}
	n, _ := lister.Size().(types.Int)
	if n == 0 {
		return nil, 1, nil
	}
	if int(n) > rules.MaxBatch {
		return nil, 0, badRequest(ReasonTooManyResponses, m.responses.field,
			fmt.Sprintf("holds %d responses; at most %d are accepted per request", n, rules.MaxBatch))
	}
	rs = make([]Response, 0, int(n))
	seen := make(map[uint64]int, int(n))
	for i := range int(n) {
		vars.item = lister.Get(types.Int(i))
		webhookID := ""
		if d.WebhookID != "" {
			webhookID = d.WebhookID + "#" + strconv.Itoa(i)
		}
		r, err := m.response(vars, webhookID, fmt.Sprintf("item %d of mapping.responses: ", i), rules, now)
		if err != nil {
			return nil, 0, err
		}
		if j, dup := seen[r.IDHash]; dup {
			return nil, 0, badRequest(ReasonDuplicateID, "mapping.id",
				fmt.Sprintf("items %d and %d of mapping.responses have the same id", j, i))
		}
		seen[r.IDHash] = i
		rs = append(rs, r)
	}
	return rs, 0, nil
}

// response evaluates the expressions of one response and validates it
// with the native format's rules, so that both say the same things about
// the same values (fields are named mapping.score, mapping.segments.plan).
func (m *Mapping) response(vars *activation, webhookID, where string, rules Rules, now time.Time) (Response, *Error) {
	var w wireResponse
	fail := func(err *Error) (Response, *Error) {
		err.Message = where + err.Message
		return Response{}, err
	}
	// score
	v, err := m.score.eval(vars)
	if err != nil {
		return fail(err)
	}
	score, ok := number(v)
	if !ok {
		msg := "must be a number, not " + typeName(v)
		if _, isString := v.(types.String); isString {
			msg += " (convert a string with int(...))"
		}
		return fail(badRequest(ReasonInvalidScore, m.score.field, msg))
	}
	w.Score = []byte(score)
	// id
	id := webhookID
	if m.id != nil {
		v, err := m.id.eval(vars)
		if err != nil {
			return fail(err)
		}
		s, ok := idString(v)
		if !ok {
			return fail(mappingError(m.id.field, "must be a string or an integer, not "+typeName(v)))
		}
		id = s
	}
	w.ID = &id
	// submittedAt
	if m.submittedAt != nil {
		v, err := m.submittedAt.eval(vars)
		if err != nil {
			return fail(err)
		}
		s, present, ok := timeString(v)
		if !ok {
			return fail(badRequest(ReasonInvalidTimestamp, m.submittedAt.field,
				"must be an RFC 3339 string, a timestamp or Unix seconds, not "+typeName(v)))
		}
		if present {
			w.SubmittedAt = &s
		}
	}
	// segments
	for _, seg := range m.segments {
		v, err := seg.prg.eval(vars)
		if err != nil {
			return fail(err)
		}
		s, present, ok := segmentString(v)
		if !ok {
			return fail(badRequest(ReasonInvalidSegmentValue, seg.prg.field,
				"must be a string, an integer or a bool, not "+typeName(v)))
		}
		if present {
			if w.Segments == nil {
				w.Segments = make(map[string]string, len(m.segments))
			}
			w.Segments[seg.name] = s
		}
	}
	r, verr := validate(w, "mapping.", rules, now)
	if verr != nil {
		if verr.Field == "mapping.id" && m.id == nil {
			verr.Message = "is required: set spec.receiver.mapping.id (there is no webhook-id to fall back on)"
		}
		return fail(verr)
	}
	return r, nil
}

// number renders an integral number as the text validate parses; other
// numbers keep their fraction, and validate says they are not integers.
func number(v ref.Val) (string, bool) {
	switch x := v.(type) {
	case types.Int:
		return strconv.FormatInt(int64(x), 10), true
	case types.Uint:
		return strconv.FormatUint(uint64(x), 10), true
	case types.Double:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "", false
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return strconv.FormatInt(int64(f), 10), true
		}
		return strconv.FormatFloat(f, 'f', -1, 64), true
	}
	return "", false
}

func idString(v ref.Val) (string, bool) {
	if s, ok := v.(types.String); ok {
		return string(s), true
	}
	if d, ok := v.(types.Double); ok && float64(d) != math.Trunc(float64(d)) {
		return "", false
	}
	return number(v)
}

// timeString renders a submittedAt value as RFC 3339; present is false
// for null or an empty optional (the receiver's clock decides).
func timeString(v ref.Val) (s string, present, ok bool) {
	v, present = unwrapOptional(v)
	if !present {
		return "", false, true
	}
	switch x := v.(type) {
	case types.String:
		return string(x), true, true
	case types.Timestamp:
		return x.Time.UTC().Format(time.RFC3339Nano), true, true
	case types.Int, types.Uint, types.Double:
		secs, ok := number(v)
		n, err := strconv.ParseInt(secs, 10, 64)
		if !ok || err != nil {
			return "", false, false
		}
		return time.Unix(n, 0).UTC().Format(time.RFC3339), true, true
	}
	return "", false, false
}

// segmentString renders a segment value; present is false for null, an
// empty string or an empty optional.
func segmentString(v ref.Val) (s string, present, ok bool) {
	v, present = unwrapOptional(v)
	if !present {
		return "", false, true
	}
	switch x := v.(type) {
	case types.String:
		return string(x), x != "", true
	case types.Bool:
		return strconv.FormatBool(bool(x)), true, true
	case types.Int, types.Uint, types.Double:
		s, ok := idString(v)
		return s, ok, ok
	}
	return "", false, false
}

// unwrapOptional returns the value of an optional, and false for an empty
// one or null.
func unwrapOptional(v ref.Val) (ref.Val, bool) {
	if o, ok := v.(*types.Optional); ok {
		if !o.HasValue() {
			return nil, false
		}
		v = o.GetValue()
	}
	if _, isNull := v.(types.Null); isNull {
		return nil, false
	}
	return v, true
}

func typeName(v ref.Val) string {
	if v == nil {
		return "nothing"
	}
	return v.Type().TypeName()
}
