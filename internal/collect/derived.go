package collect

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
)

// Derived is one derived metric: a CEL expression over other metrics.
type Derived struct {
	// Metric is the derived metric's name.
	Metric string
	// Expression is its CEL expression.
	Expression string
}

// DerivedValue is the outcome of one derived metric.
type DerivedValue struct {
	// Metric is the derived metric's name.
	Metric string
	// Value is its value when OK.
	Value float64
	// OK is true when the metric has a value.
	OK bool
	// Reason says why there is no value.
	Reason string
}

// Derivations are the compiled derived metrics of a touchpoint, evaluated
// in order: an expression may use every collected metric and the derived
// metrics listed before it, each as a double variable named after its
// metric.
type Derivations struct {
	items []derivation
	err   error
}

type derivation struct {
	metric   string
	prg      cel.Program
	tracking cel.Program // prg recording every subexpression's value
	divisors []int64     // ids of the divisors of / and %
	refs     []string    // the variables the expression reads, sorted
	err      error       // compile error
}

// reasonInvalidExpression is the reason of a derived metric whose
// expression does not compile.
const reasonInvalidExpression = "the expression is invalid (see the Ready condition)"

// celCostLimit bounds one evaluation; arithmetic over a few doubles costs
// tens.
const celCostLimit = 10_000

// celEnv is the base environment: standard CEL plus the math extension
// (math.least, math.greatest, math.abs, math.round...), with comparisons
// across int and double allowed.
var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(ext.Math(), cel.CrossTypeNumericComparisons(true))
})

// CompileDerived type-checks the derived expressions. collected are the
// names of the collected metrics. The returned Derivations is always
// usable (a bad expression yields no value); Err reports every bad
// expression, for the Ready condition.
func CompileDerived(collected []string, derived []Derived) *Derivations {
	base, err := celEnv()
	if err != nil {
		return &Derivations{err: fmt.Errorf("CEL environment: %w", err)}
	}
	d := &Derivations{}
	known := slices.Clone(collected)
	later := map[string]bool{}
	for _, dm := range derived {
		later[dm.Metric] = true
	}
	var problems []string
	for i, dm := range derived {
		delete(later, dm.Metric)
		item := derivation{metric: dm.Metric}
		item.err = item.compile(base, known, dm.Expression)
		if item.err != nil {
			msg := item.err.Error()
			if hint := undeclaredHint(msg, dm.Metric, later); hint != "" {
				msg += " (" + hint + ")"
			}
			problems = append(problems, fmt.Sprintf("spec.derived[%d] (%s): %s", i, dm.Metric, msg))
		}
		d.items = append(d.items, item)
		known = append(known, dm.Metric)
	}
	if len(problems) > 0 {
		d.err = fmt.Errorf("%s", truncate(strings.Join(problems, "; ")))
	}
	return d
}

// Err reports the expressions that do not compile, nil when all do.
func (d *Derivations) Err() error { return d.err }

func (it *derivation) compile(base *cel.Env, vars []string, expr string) error {
	opts := make([]cel.EnvOption, 0, len(vars))
	for _, v := range vars {
		opts = append(opts, cel.Variable(v, cel.DoubleType))
	}
	env, err := base.Extend(opts...)
	if err != nil {
		return err
	}
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return fmt.Errorf("%s", oneLine(iss.Err().Error()))
	}
	switch out := checked.OutputType(); {
	case out.IsExactType(cel.DoubleType), out.IsExactType(cel.IntType), out.IsExactType(cel.UintType):
	case out.IsExactType(cel.DynType):
	default:
		return fmt.Errorf("the expression must evaluate to a number, not %s", out)
	}
	if it.prg, err = env.Program(checked, cel.CostLimit(celCostLimit), cel.EvalOptions(cel.OptOptimize)); err != nil {
		return err
	}
	// The tracking program runs only when a result is not finite, to tell
	// a division by zero from another cause.
	if it.tracking, err = env.Program(checked, cel.CostLimit(celCostLimit), cel.EvalOptions(cel.OptTrackState)); err != nil {
		return err
	}
	refs := map[string]bool{}
	for _, r := range checked.NativeRep().ReferenceMap() {
		if r.Name != "" && slices.Contains(vars, r.Name) {
			refs[r.Name] = true
		}
	}
	for n := range refs {
		it.refs = append(it.refs, n)
	}
	sort.Strings(it.refs)
	celast.PreOrderVisit(checked.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() != celast.CallKind {
			return
		}
		call := e.AsCall()
		if fn := call.FunctionName(); (fn == operators.Divide || fn == operators.Modulo) && len(call.Args()) == 2 {
			it.divisors = append(it.divisors, call.Args()[1].ID())
		}
	}))
	return nil
}

// oneLine flattens CEL's multi-line error (message, source line, caret)
// to its messages.
func oneLine(msg string) string {
	var parts []string
	for l := range strings.SplitSeq(msg, "\n") {
		l = strings.TrimSpace(l)
		if after, ok0 := strings.CutPrefix(l, "ERROR: "); ok0 {
			parts = append(parts, after)
		}
	}
	if len(parts) == 0 {
		return strings.TrimSpace(msg)
	}
	out := strings.Join(parts, "; ")
	if strings.Contains(out, "no matching overload") && (strings.Contains(out, "(double, int)") || strings.Contains(out, "(int, double)")) {
		out += " (metrics are doubles: write number literals with a decimal point, for example 100.0)"
	}
	return out
}

// undeclaredHint explains an undeclared reference to the metric itself or
// to a derived metric listed later.
func undeclaredHint(msg, self string, later map[string]bool) string {
	for name := range later {
		if strings.Contains(msg, "undeclared reference to '"+name+"'") {
			return "a derived metric may only use derived metrics listed before it"
		}
	}
	if strings.Contains(msg, "undeclared reference to '"+self+"'") {
		return "an expression cannot use its own metric"
	}
	return ""
}

// Evaluate computes the derived metrics, in order, from the metrics that
// have a value. A metric gets no value, with a reason, when its expression
// is invalid, when one of its inputs has no value, when it divides by zero
// (or otherwise is not a finite number) or when evaluation fails.
func (d *Derivations) Evaluate(values map[string]float64) []DerivedValue {
	vars := make(map[string]any, len(values)+len(d.items))
	for k, v := range values {
		vars[k] = v
	}
	out := make([]DerivedValue, 0, len(d.items))
	for _, it := range d.items {
		dv := it.eval(vars)
		if dv.OK {
			vars[it.metric] = dv.Value
		}
		out = append(out, dv)
	}
	return out
}

func (it derivation) eval(vars map[string]any) DerivedValue {
	dv := DerivedValue{Metric: it.metric}
	if it.err != nil || it.prg == nil {
		dv.Reason = reasonInvalidExpression
		return dv
	}
	var missing []string
	for _, r := range it.refs {
		if _, ok := vars[r]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		dv.Reason = "no value yet for " + joinNames(missing)
		return dv
	}
	val, _, err := it.prg.Eval(vars)
	if err != nil {
		if msg := err.Error(); strings.Contains(msg, "division by zero") || strings.Contains(msg, "divide by zero") || strings.Contains(msg, "modulus by zero") {
			dv.Reason = "division by zero"
		} else {
			dv.Reason = "evaluation failed: " + truncate(err.Error())
		}
		return dv
	}
	var f float64
	switch x := val.(type) {
	case types.Double:
		f = float64(x)
	case types.Int:
		f = float64(x)
	case types.Uint:
		f = float64(x)
	default:
		dv.Reason = fmt.Sprintf("the expression evaluated to %s, not a number", val.Type().TypeName())
		return dv
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if it.dividesByZero(vars) {
			dv.Reason = "division by zero"
		} else {
			dv.Reason = "the result is not a finite number"
		}
		return dv
	}
	dv.Value, dv.OK = f, true
	return dv
}

// dividesByZero evaluates the expression again, recording the value of
// every subexpression, and reports whether a divisor was zero.
func (it derivation) dividesByZero(vars map[string]any) bool {
	_, det, _ := it.tracking.Eval(vars)
	if det == nil || det.State() == nil {
		return false
	}
	for _, id := range it.divisors {
		v, ok := det.State().Value(id)
		if !ok {
			continue
		}
		switch x := v.(type) {
		case types.Double:
			if x == 0 {
				return true
			}
		case types.Int:
			if x == 0 {
				return true
			}
		case types.Uint:
			if x == 0 {
				return true
			}
		}
	}
	return false
}

// CompileCache keeps compiled Derivations by their inputs, so that a
// reconcile does not recompile unchanged expressions. It is safe for
// concurrent use; it forgets everything when it grows past its bound.
type CompileCache struct {
	mu      sync.Mutex
	entries map[string]*Derivations
}

// maxCompiled bounds the CompileCache.
const maxCompiled = 4096

// Get returns the Derivations of the given metrics, compiling them on
// first use.
func (c *CompileCache) Get(collected []string, derived []Derived) *Derivations {
	var b strings.Builder
	for _, m := range collected {
		b.WriteString(m)
		b.WriteByte(0)
	}
	b.WriteByte(1)
	for _, d := range derived {
		b.WriteString(d.Metric)
		b.WriteByte(0)
		b.WriteString(d.Expression)
		b.WriteByte(0)
	}
	key := b.String()
	c.mu.Lock()
	d := c.entries[key]
	c.mu.Unlock()
	if d != nil {
		return d
	}
	d = CompileDerived(collected, derived)
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCompiled {
		c.entries = map[string]*Derivations{}
	}
	c.entries[key] = d
	c.mu.Unlock()
	return d
}
