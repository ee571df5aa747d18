package collect

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
	"k8s.io/apimachinery/pkg/api/resource"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

// An aggregation reduces the items of a list (the values a JSONPath
// matched, the series of a Prometheus vector) to one number: it filters
// them with where, computes each one's number with value, and reduces the
// numbers with the aggregate. Items are added one at a time, page after
// page; only median and quantile keep the numbers (to rank them), the
// other aggregates keep a running stats.Summary.

// maxRankedValues bounds the numbers a median or quantile keeps in one
// run (8 MB): a list longer than that fails the run with a message that
// says to narrow it, instead of holding the operator's memory.
const maxRankedValues = 1_000_000

// itemCostLimit bounds one evaluation of where or value: field access and
// comparisons cost a few units; it stops an expression that walks huge
// nested lists.
const itemCostLimit = 100_000

// itemEnv is the CEL environment of where and value: item (dyn) and now
// (the run's start, a timestamp), with the string and math extensions and
// comparisons across int and double.
var itemEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(ext.Strings(), ext.Math(), cel.CrossTypeNumericComparisons(true),
		cel.Variable("item", cel.DynType), cel.Variable("now", cel.TimestampType))
})

// The two kinds of item expressions.
const (
	exprWhere = "where"
	exprValue = "value"
)

// itemPrograms caches compiled item expressions by kind and text, for
// reconciles and runs alike; it forgets everything when it grows past
// maxCompiled.
var itemPrograms struct {
	mu      sync.Mutex
	entries map[string]compiledItemExpr
}

type compiledItemExpr struct {
	prg cel.Program
	err error
}

// compileItemExpr compiles and type-checks a where (a bool) or value (a
// number) expression, through the cache. The error is CEL's message on
// one line.
func compileItemExpr(kind, expr string) (cel.Program, error) {
	key := kind + "\x00" + expr
	itemPrograms.mu.Lock()
	c, ok := itemPrograms.entries[key]
	itemPrograms.mu.Unlock()
	if ok {
		return c.prg, c.err
	}
	c.prg, c.err = compileItemExprUncached(kind, expr)
	itemPrograms.mu.Lock()
	if itemPrograms.entries == nil || len(itemPrograms.entries) >= maxCompiled {
		itemPrograms.entries = map[string]compiledItemExpr{}
	}
	itemPrograms.entries[key] = c
	itemPrograms.mu.Unlock()
	return c.prg, c.err
}

func compileItemExprUncached(kind, expr string) (cel.Program, error) {
	env, err := itemEnv()
	if err != nil {
		return nil, fmt.Errorf("CEL environment: %w", err)
	}
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%s", oneLine(iss.Err().Error()))
	}
	out := checked.OutputType()
	switch kind {
	case exprWhere:
		if !out.IsExactType(cel.BoolType) && !out.IsExactType(cel.DynType) {
			return nil, fmt.Errorf("where must evaluate to a bool, not %s", out)
		}
	default:
		notNumbers := []*cel.Type{cel.BoolType, cel.TimestampType, cel.DurationType, cel.BytesType}
		if slices.ContainsFunc(notNumbers, out.IsExactType) || out.Kind() == types.ListKind || out.Kind() == types.MapKind {
			return nil, fmt.Errorf("value must evaluate to a number, not %s", out)
		}
	}
	return env.Program(checked, cel.CostLimit(itemCostLimit), cel.EvalOptions(cel.OptOptimize))
}

// itemVars is the activation of one item's evaluation, reused from item
// to item so that evaluating allocates no map.
type itemVars struct {
	item ref.Val
	now  ref.Val
}

func (a *itemVars) ResolveName(name string) (any, bool) {
	switch name {
	case "item":
		return a.item, true
	case "now":
		return a.now, true
	}
	return nil, false
}

func (a *itemVars) Parent() interpreter.Activation { return nil }

// aggregation is a compiled Aggregation.
type aggregation struct {
	kind  cxv1alpha1.Aggregate
	q     float64     // for quantile
	where cel.Program // nil: every item
	value cel.Program // nil: the item itself
}

// compileAggregation compiles an aggregation; field is the spec path of
// its source (spec.collectors[1].http) and value the http source's value
// expression (empty for prometheus). Errors name the field.
func compileAggregation(field string, a cxv1alpha1.Aggregation, value string) (*aggregation, []string) {
	agg := &aggregation{kind: a.Aggregate}
	var problems []string
	switch a.Aggregate {
	case cxv1alpha1.AggregateCount, cxv1alpha1.AggregateSum, cxv1alpha1.AggregateMean, cxv1alpha1.AggregateMin,
		cxv1alpha1.AggregateMax, cxv1alpha1.AggregateMedian, cxv1alpha1.AggregateRatio:
	case cxv1alpha1.AggregateQuantile:
		q, err := exactFloat(a.Quantile)
		if err != nil || !(q > 0 && q < 1) {
			problems = append(problems, field+".quantile must be strictly between 0 and 1, for example \"0.9\"")
		}
		agg.q = q
	default:
		problems = append(problems, fmt.Sprintf("%s.aggregate %q is not one of count, sum, mean, min, max, median, quantile and ratio", field, a.Aggregate))
	}
	if a.Where != "" {
		prg, err := compileItemExpr(exprWhere, a.Where)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s.where: %v", field, err))
		}
		agg.where = prg
	} else if a.Aggregate == cxv1alpha1.AggregateRatio {
		problems = append(problems, field+".where is required by aggregate ratio")
	}
	if value != "" {
		prg, err := compileItemExpr(exprValue, value)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s.value: %v", field, err))
		}
		agg.value = prg
	}
	return agg, problems
}

// exactFloat is a Quantity as the float64 nearest to its decimal value
// (AsApproximateFloat64 multiplies by powers of ten and may be off by an
// ulp).
func exactFloat(q *resource.Quantity) (float64, error) {
	if q == nil {
		return math.NaN(), fmt.Errorf("not set")
	}
	return strconv.ParseFloat(q.AsDec().String(), 64)
}

// accumulator reduces the items of one run.
type accumulator struct {
	agg  *aggregation
	vars itemVars
	// empty says the list has no item; noun names its items, for
	// reasons: "the list is empty" and "items", or "the query returned
	// no series" and "series".
	empty, noun string

	items   int64 // items seen
	matched int64 // items that pass where (all when there is no where)
	nulls   int64 // matched items without a value (null, NaN)
	sum     stats.Summary
	ranked  []float64 // median and quantile
}

func (a *aggregation) start(now time.Time) *accumulator {
	return &accumulator{agg: a, vars: itemVars{now: types.Timestamp{Time: now.UTC()}}, empty: "the list is empty", noun: "items"}
}

// startSeries starts the accumulator of a Prometheus vector.
func (a *aggregation) startSeries(now time.Time) *accumulator {
	acc := a.start(now)
	acc.empty, acc.noun = "the query returned no series", "series"
	return acc
}

// numeric reports whether the aggregate reduces numbers (not items).
func (a *aggregation) numeric() bool {
	return a.kind != cxv1alpha1.AggregateCount && a.kind != cxv1alpha1.AggregateRatio
}

// add adds one item (a decoded JSON value, or the item map of a series).
// raw, when not nil, is the item's number without evaluating value (a
// Prometheus sample). at describes the item for messages ("page 2, item
// 17").
func (acc *accumulator) add(item any, raw *float64, at func() string) *Error {
	acc.items++
	a := acc.agg
	if a.where != nil || a.value != nil {
		acc.vars.item = types.DefaultTypeAdapter.NativeToValue(item)
	}
	if a.where != nil {
		out, _, err := a.where.Eval(&acc.vars)
		if err != nil {
			return itemError(at(), "where failed", err.Error())
		}
		b, ok := out.(types.Bool)
		if !ok {
			return itemError(at(), fmt.Sprintf("where evaluated to %s, not a bool", out.Type().TypeName()), "")
		}
		if !b {
			return nil
		}
	}
	acc.matched++
	if !a.numeric() {
		return nil
	}
	var f float64
	var null bool
	var why string
	switch {
	case raw != nil:
		f, null = *raw, math.IsNaN(*raw)
	case a.value != nil:
		out, _, err := a.value.Eval(&acc.vars)
		if err != nil {
			return itemError(at(), "value failed", err.Error())
		}
		f, null, why = celNumber(out)
	default:
		f, null, why = jsonNumber(item)
	}
	if why != "" {
		return itemError(at(), why, "")
	}
	if null {
		acc.nulls++
		return nil
	}
	if math.IsInf(f, 0) {
		return itemError(at(), "its value is not a finite number", "")
	}
	if a.kind == cxv1alpha1.AggregateMedian || a.kind == cxv1alpha1.AggregateQuantile {
		if len(acc.ranked) >= maxRankedValues {
			return errorf(ErrResult, "more than %d values to rank for the %s; narrow the list (a time window, a filter)", maxRankedValues, a.kind)
		}
		acc.ranked = append(acc.ranked, f)
	}
	acc.sum.Add(f)
	return nil
}

// itemError is an item's failure; detail (CEL's message, which may quote
// the document) is kept out of the Event note.
func itemError(at, what, detail string) *Error {
	if detail == "" {
		return errorf(ErrResult, "%s: %s", at, what)
	}
	e := errorf(ErrResult, "%s: %s: %s", at, what, firstLine(detail))
	e.Note = at + ": " + what
	return e
}

// celNumber reads the number a value expression gave: null when it gave
// null; why, when it is not a number.
func celNumber(v ref.Val) (f float64, null bool, why string) {
	switch x := v.(type) {
	case types.Double:
		return float64(x), false, ""
	case types.Int:
		return float64(x), false, ""
	case types.Uint:
		return float64(x), false, ""
	case types.Null:
		return 0, true, ""
	case types.String:
		f, err := strconv.ParseFloat(strings.TrimSpace(string(x)), 64)
		if err != nil {
			return 0, false, "value evaluated to a string that does not hold a number"
		}
		return f, false, ""
	}
	return 0, false, fmt.Sprintf("value evaluated to %s, not a number", v.Type().TypeName())
}

// jsonNumber reads an item that is itself the number: a JSON number or a
// string holding one; null for a JSON null.
func jsonNumber(item any) (f float64, null bool, why string) {
	switch x := item.(type) {
	case int64:
		return float64(x), false, ""
	case float64:
		return x, false, ""
	case nil:
		return 0, true, ""
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, false, "it is a string that does not hold a number"
		}
		return f, false, ""
	case bool:
		return 0, false, "it is a boolean, not a number"
	case map[string]any:
		return 0, false, "it is an object, not a number (set value to the CEL expression that computes its number, for example item.reply_time_in_minutes.calendar)"
	case []any:
		return 0, false, "it is an array, not a number"
	}
	return 0, false, "it is not a number"
}

// outcome is the aggregate of the items added, or the reason why there is
// none: an empty list, no item that passes where, no item with a value.
func (acc *accumulator) outcome() Outcome {
	a := acc.agg
	switch a.kind {
	case cxv1alpha1.AggregateCount:
		return Outcome{Value: float64(acc.matched)}
	case cxv1alpha1.AggregateRatio:
		if acc.items == 0 {
			return Outcome{NoValue: acc.empty + ", so the ratio is undefined"}
		}
		return Outcome{Value: stats.Proportion(acc.matched, acc.items)}
	}
	if a.kind == cxv1alpha1.AggregateSum && acc.sum.N == 0 {
		return Outcome{Value: 0}
	}
	switch {
	case acc.items == 0:
		return Outcome{NoValue: fmt.Sprintf("%s, so the %s is undefined", acc.empty, a.kind)}
	case acc.matched == 0:
		return Outcome{NoValue: fmt.Sprintf("none of the %d %s matches where, so the %s is undefined", acc.items, acc.noun, a.kind)}
	case acc.sum.N == 0:
		return Outcome{NoValue: fmt.Sprintf("none of the %d %s has a value (null or NaN), so the %s is undefined", acc.matched, acc.noun, a.kind)}
	}
	var v float64
	switch a.kind {
	case cxv1alpha1.AggregateSum:
		v = acc.sum.Sum()
	case cxv1alpha1.AggregateMean:
		v = acc.sum.Mean()
	case cxv1alpha1.AggregateMin:
		v = acc.sum.Min()
	case cxv1alpha1.AggregateMax:
		v = acc.sum.Max()
	case cxv1alpha1.AggregateMedian:
		slices.Sort(acc.ranked)
		v = stats.Median(acc.ranked)
	case cxv1alpha1.AggregateQuantile:
		slices.Sort(acc.ranked)
		v = stats.NearestRankQuantile(acc.ranked, a.q)
	}
	return Outcome{Value: v}
}
