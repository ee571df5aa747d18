package collect

import (
	"strings"
	"testing"
	"time"
)

func TestCompileDerivedErrors(t *testing.T) {
	collected := []string{"churned", "customers_at_start", "resolved", "escalated"}
	for _, tc := range []struct {
		expr      string
		fragments []string
	}{
		{"churned / ", []string{"spec.derived[0] (bad):", "Syntax error"}},
		{"churned / customers", []string{"undeclared reference to 'customers'"}},
		{"churned > 1.0", []string{"must evaluate to a number, not bool"}},
		{"'churn'", []string{"must evaluate to a number, not string"}},
		{"churned * 100", []string{"no matching overload", "write number literals with a decimal point, for example 100.0"}},
		{"later / 2.0", []string{"undeclared reference to 'later'", "may only use derived metrics listed before it"}},
		{"bad + 1.0", []string{"undeclared reference to 'bad'", "cannot use its own metric"}},
	} {
		d := CompileDerived(collected, []Derived{{Metric: "bad", Expression: tc.expr}, {Metric: "later", Expression: "churned"}})
		if d.Err() == nil {
			t.Errorf("%q compiled", tc.expr)
			continue
		}
		for _, f := range tc.fragments {
			if !strings.Contains(d.Err().Error(), f) {
				t.Errorf("%q: error %q does not contain %q", tc.expr, d.Err(), f)
			}
		}
		if strings.Contains(d.Err().Error(), "\n") {
			t.Errorf("%q: error spans lines: %q", tc.expr, d.Err())
		}
		// The bad expression has no value; the good one still works.
		got := d.Evaluate(map[string]float64{"churned": 3})
		if got[0].OK || got[0].Reason != reasonInvalidExpression || !got[1].OK || got[1].Value != 3 {
			t.Errorf("%q: evaluated to %+v", tc.expr, got)
		}
	}
}

func TestDerivedEvaluate(t *testing.T) {
	d := CompileDerived([]string{"churned", "customers_at_start", "resolved", "escalated", "tickets"}, []Derived{
		{Metric: "churn_ratio", Expression: "churned / customers_at_start"},
		{Metric: "churn_percent", Expression: "churn_ratio * 100.0"},
		{Metric: "resolution_percent", Expression: "100.0 * resolved / (resolved + escalated)"},
		{Metric: "worst", Expression: "math.greatest(churn_ratio, 0.5)"},
		{Metric: "escalated_int", Expression: "int(escalated) / int(tickets)"},
		{Metric: "step", Expression: "churned > 2 ? 1.0 : 0.0"},
		{Metric: "count", Expression: "3"},
	})
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
	byName := func(vals []DerivedValue) map[string]DerivedValue {
		m := map[string]DerivedValue{}
		for _, v := range vals {
			m[v.Metric] = v
		}
		return m
	}

	got := byName(d.Evaluate(map[string]float64{"churned": 5, "customers_at_start": 200, "resolved": 30, "escalated": 10, "tickets": 5}))
	for name, want := range map[string]float64{"churn_ratio": 0.025, "churn_percent": 2.5, "resolution_percent": 75, "worst": 0.5, "escalated_int": 2, "step": 1, "count": 3} {
		if v := got[name]; !v.OK || v.Value != want {
			t.Errorf("%s = %+v, want %v", name, v, want)
		}
	}

	// Division by zero gives no value and a reason, never Inf or NaN;
	// the metrics built on it wait for it.
	got = byName(d.Evaluate(map[string]float64{"churned": 5, "customers_at_start": 0, "resolved": 0, "escalated": 0, "tickets": 0}))
	for _, name := range []string{"churn_ratio", "resolution_percent", "escalated_int"} {
		if v := got[name]; v.OK || v.Reason != "division by zero" {
			t.Errorf("%s = %+v, want no value by division by zero", name, v)
		}
	}
	if v := got["churn_percent"]; v.OK || v.Reason != "no value yet for churn_ratio" {
		t.Errorf("churn_percent = %+v", v)
	}

	// An input without value: the reason names it.
	got = byName(d.Evaluate(map[string]float64{"resolved": 1}))
	if v := got["churn_ratio"]; v.OK || v.Reason != "no value yet for churned and customers_at_start" {
		t.Errorf("churn_ratio = %+v", v)
	}
	if v := got["resolution_percent"]; v.OK || v.Reason != "no value yet for escalated" {
		t.Errorf("resolution_percent = %+v", v)
	}
}

func TestCompileCacheReusesPrograms(t *testing.T) {
	var c CompileCache
	a := c.Get([]string{"x"}, []Derived{{Metric: "y", Expression: "x * 2.0"}})
	b := c.Get([]string{"x"}, []Derived{{Metric: "y", Expression: "x * 2.0"}})
	if a != b {
		t.Error("the same inputs compiled twice")
	}
	if c.Get([]string{"x"}, []Derived{{Metric: "y", Expression: "x * 3.0"}}) == a {
		t.Error("another expression got the cached programs")
	}
	if c.Get([]string{"x", "z"}, []Derived{{Metric: "y", Expression: "x * 2.0"}}) == a {
		t.Error("other variables got the cached programs")
	}
}

func TestDerivedDivisionByZeroInASubexpression(t *testing.T) {
	d := CompileDerived([]string{"a", "b", "c"}, []Derived{
		{Metric: "x", Expression: "a / (b - c)"},
		{Metric: "y", Expression: "a + 1e308 * 10.0"},
		{Metric: "z", Expression: "(a - a) / (b - b)"},
	})
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
	got := d.Evaluate(map[string]float64{"a": 1, "b": 2, "c": 2})
	if got[0].OK || got[0].Reason != "division by zero" {
		t.Errorf("a / (b - c) with b == c: %+v", got[0])
	}
	if got[1].OK || got[1].Reason != "the result is not a finite number" {
		t.Errorf("overflow: %+v", got[1])
	}
	if got[2].OK || got[2].Reason != "division by zero" {
		t.Errorf("0/0: %+v", got[2])
	}
}

func TestQueryTimeoutIsParseable(t *testing.T) {
	for in, want := range map[time.Duration]string{
		1999926944 * time.Nanosecond: "1s",
		90*time.Second + 5:           "1m30s",
		500*time.Millisecond + 7:     "500ms",
	} {
		if got := queryTimeout(in).String(); got != want {
			t.Errorf("queryTimeout(%v) = %s, want %s", in, got, want)
		}
	}
}
