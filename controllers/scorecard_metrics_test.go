package controllers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// TestOperatorMetricsSurface creates the three kinds, scrapes the
// operator's registry the way /metrics serves it, and checks that
// `promtool check metrics` finds no problem (names, units, help text) and
// that every query of the Grafana dashboard names a series the operator
// defines.
func TestOperatorMetricsSurface(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	newSCTouchpoint(t, g, ns, "checkout", map[string]string{"conversion_ratio": "0.7"})
	// CES on 1..7: mean (6*5 + 7*3 + 4*2) / 10 = 5.9.
	newSCSurvey(t, g, ns, "checkout-effort", cxv1alpha1.SurveyCES, 5, scores([2]int{6, 5}, [2]int{7, 3}, [2]int{4, 2}))
	sc := fixtures.Scorecard(ns, "purchase",
		fixtures.FromTouchpoint(fixtures.Objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"),
		fixtures.FromSurvey(fixtures.Objective("effort", 1, "5.5..", "5.."), "checkout-effort", ""),
		fixtures.FromSurvey(fixtures.Objective("effort-moe", 1, "..0.5", ""), "checkout-effort", cxv1alpha1.SurveyValueMarginOfError),
	)
	g.Expect(k8s.Create(ctx, sc)).To(Succeed())
	eventually(g, view(sc)).Should(HaveField("Ready", "True/ObjectivesEvaluated"))
	eventually(g, series("cx_scorecard_score", map[string]string{"namespace": ns, "scorecard": "purchase"})).ShouldNot(Equal("absent"))
	eventually(g, series("cx_survey_score", map[string]string{"namespace": ns, "survey": "checkout-effort"})).Should(Equal(5.9))
	// The Touchpoint's collector has run: its series are in the scrape, so
	// that every series the dashboard reads is checked against the registry.
	eventually(g, series("cx_touchpoint_value", map[string]string{"namespace": ns, "touchpoint": "checkout"})).Should(Equal(0.7))
	eventually(g, series("cx_collector_last_success_timestamp_seconds", map[string]string{"namespace": ns, "touchpoint": "checkout"})).ShouldNot(Equal("absent"))
	// A Journey over them, and a Survey with 14 days of answers, so that
	// the journey and forecast series are in the scrape.
	g.Expect(k8s.Create(ctx, &cxv1alpha1.Journey{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "customer"}})).To(Succeed())
	newJourneyTouchpoint(t, g, ns, "referrals", cxv1alpha1.StageAdvocacy, "customer", "")
	history := newJourneySurvey(t, g, ns, "history-nps", "referrals", cxv1alpha1.SurveyNPS, nil)
	for day := range 14 {
		postDay(t, g, history, day, scores([2]int{10, 2 + day%3}, [2]int{0, 1}))
	}
	eventually(g, series("cx_journey_spread", map[string]string{"namespace": ns, "journey": "customer"})).ShouldNot(Equal("absent"))
	eventually(g, series("cx_survey_forecast_score", map[string]string{"namespace": ns, "survey": "history-nps", "bound": "point"})).ShouldNot(Equal("absent"))

	families, err := crmetrics.Registry.Gather() // fails on duplicate or inconsistent series
	g.Expect(err).NotTo(HaveOccurred())
	var scrape bytes.Buffer
	enc := expfmt.NewEncoder(&scrape, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		g.Expect(enc.Encode(f)).To(Succeed())
	}

	t.Run("promtool check metrics", func(t *testing.T) {
		promtool, err := testenv.PrometheusBinary("promtool")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(scrape.Bytes())
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Fatalf("promtool check metrics on a scrape of %d families: %v\n%s", len(families), err, out)
		}
		for _, name := range []string{"cx_scorecard_score", "cx_scorecard_result", "cx_scorecard_objective_value",
			"cx_scorecard_objective_met", "cx_survey_score"} {
			if !bytes.Contains(scrape.Bytes(), []byte("\n# HELP "+name+" ")) {
				t.Errorf("the scrape has no help text for %s", name)
			}
		}
	})

	t.Run("dashboard queries", func(t *testing.T) {
		known := map[string]bool{}
		for _, f := range families {
			known[f.GetName()] = true
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				known[f.GetName()+"_bucket"], known[f.GetName()+"_sum"], known[f.GetName()+"_count"] = true, true, true
			case dto.MetricType_SUMMARY:
				known[f.GetName()+"_sum"], known[f.GetName()+"_count"] = true, true
			}
		}
		queries := dashboardQueries(t, filepath.Join(testenv.RepoRoot(), "config", "grafana", "touchstone-dashboard.json"))
		if len(queries) < 10 {
			t.Fatalf("only %d queries found in the dashboard", len(queries))
		}
		used := map[string]bool{}
		for _, q := range queries {
			names := promqlMetricNames(q)
			if len(names) == 0 {
				t.Errorf("query names no series: %s", q)
			}
			for _, n := range names {
				used[n] = true
				if !known[n] {
					t.Errorf("query uses %s, which the operator does not define: %s", n, q)
				}
			}
		}
		for _, n := range []string{"cx_scorecard_score", "cx_scorecard_result", "cx_scorecard_objective_value", "cx_scorecard_objective_met",
			"cx_survey_score", "cx_survey_margin_of_error", "cx_survey_responses", "cx_survey_forecast_score",
			"cx_touchpoint_value", "cx_collector_runs_total", "cx_collector_last_success_timestamp_seconds",
			"cx_journey_stage_satisfaction", "cx_journey_stage_margin_of_error", "cx_journey_stage_touchpoints",
			"cx_journey_coverage_ratio", "cx_journey_spread"} {
			if !used[n] {
				t.Errorf("the dashboard does not show %s", n)
			}
		}
	})
}

// dashboardQueries returns every PromQL expression of a Grafana dashboard:
// panel targets (rows and nested panels included) and query variables.
func dashboardQueries(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var queries []string
	var walk func(raw []json.RawMessage)
	walk = func(raw []json.RawMessage) {
		for _, r := range raw {
			var p struct {
				Panels  []json.RawMessage `json:"panels"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			}
			if err := json.Unmarshal(r, &p); err != nil {
				t.Fatal(err)
			}
			for _, tg := range p.Targets {
				queries = append(queries, tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	labelValues := regexp.MustCompile(`^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$`)
	for _, v := range dash.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Fatal(err)
		}
		m := labelValues.FindStringSubmatch(q.Query)
		if m == nil {
			t.Errorf("variable query %q is not label_values(<series>, <label>)", q.Query)
			continue
		}
		queries = append(queries, m[1])
	}
	return queries
}

var (
	promqlStrings   = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	promqlMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	promqlRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promqlGrouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlVariables = regexp.MustCompile(`\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?`)
	promqlIdent     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promqlKeywords  = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true,
		"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true}
)

// promqlMetricNames returns the series names a PromQL expression selects:
// the identifiers left once strings, label matchers, ranges, grouping
// clauses and Grafana variables are removed, that are neither function
// calls nor keywords.
func promqlMetricNames(expr string) []string {
	s := promqlStrings.ReplaceAllString(expr, `""`)
	s = promqlMatchers.ReplaceAllString(s, " ")
	s = promqlRanges.ReplaceAllString(s, " ")
	s = promqlGrouping.ReplaceAllString(s, " ")
	s = promqlVariables.ReplaceAllString(s, " ")
	seen := map[string]bool{}
	var names []string
	for _, m := range promqlIdent.FindAllStringIndex(s, -1) {
		name := s[m[0]:m[1]]
		if m[0] > 0 && strings.ContainsRune("0123456789.", rune(s[m[0]-1])) {
			continue // a unit or exponent of a number: 5m, 1e3
		}
		call := strings.HasPrefix(strings.TrimLeft(s[m[1]:], " \t\n"), "(")
		if call || promqlKeywords[strings.ToLower(name)] || seen[name] {
			continue
		}
		seen[name] = true
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// TestPromQLMetricNames checks the small PromQL reader the dashboard test
// relies on.
func TestPromQLMetricNames(t *testing.T) {
	for expr, want := range map[string]string{
		`cx_scorecard_score{namespace=~"$namespace",scorecard=~"$scorecard"}`:                                  "cx_scorecard_score",
		`2 * sum by (namespace, scorecard) (cx_scorecard_result{result="Pass"}) + sum by (namespace) (up)`:     "cx_scorecard_result,up",
		`sum by (result) (rate(cx_collector_runs_total{namespace=~"$namespace"}[$__rate_interval])) offset 5m`: "cx_collector_runs_total",
		`time() - cx_collector_last_success_timestamp_seconds{job="x"} > bool 300`:                             "cx_collector_last_success_timestamp_seconds",
		`cx_a{x="cx_b"} and on (namespace) cx_c`:                                                               "cx_a,cx_c",
		`histogram_quantile(0.9, rate(cx_h_bucket[5m]))`:                                                       "cx_h_bucket",
		`cx_a > 1e3 or cx_b offset 5m`:                                                                         "cx_a,cx_b",
	} {
		if got := strings.Join(promqlMetricNames(expr), ","); got != want {
			t.Errorf("%s: got %s, want %s", expr, got, want)
		}
	}
}
