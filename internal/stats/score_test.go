package stats_test

import (
	"math"
	"strings"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

// undefined is the Result of an empty tally: every number NaN.
func undefined(n int64) stats.Result {
	return stats.Result{
		N: n, Score: nan, MarginOfError: nan, Lower: nan, Upper: nan, StdErr: nan, AdjustedScore: nan, Mean: nan,
		ThresholdPercent: nan, ThresholdLower: nan, ThresholdUpper: nan,
		PromoterPercent: nan, PassivePercent: nan, DetractorPercent: nan,
	}
}

func checkResult(t *testing.T, name string, got, want stats.Result) {
	t.Helper()
	if got.N != want.N || got.Promoters != want.Promoters || got.Passives != want.Passives || got.Detractors != want.Detractors {
		t.Errorf("%s: N=%d P/Pa/D=%d/%d/%d, want N=%d %d/%d/%d", name, got.N, got.Promoters, got.Passives, got.Detractors,
			want.N, want.Promoters, want.Passives, want.Detractors)
	}
	const tol = 1e-9
	for _, f := range []struct {
		field     string
		got, want float64
	}{
		{"Score", got.Score, want.Score},
		{"MarginOfError", got.MarginOfError, want.MarginOfError},
		{"Lower", got.Lower, want.Lower},
		{"Upper", got.Upper, want.Upper},
		{"StdErr", got.StdErr, want.StdErr},
		{"AdjustedScore", got.AdjustedScore, want.AdjustedScore},
		{"Mean", got.Mean, want.Mean},
		{"ThresholdPercent", got.ThresholdPercent, want.ThresholdPercent},
		{"ThresholdLower", got.ThresholdLower, want.ThresholdLower},
		{"ThresholdUpper", got.ThresholdUpper, want.ThresholdUpper},
		{"PromoterPercent", got.PromoterPercent, want.PromoterPercent},
		{"PassivePercent", got.PassivePercent, want.PassivePercent},
		{"DetractorPercent", got.DetractorPercent, want.DetractorPercent},
	} {
		checkNear(t, name+" "+f.field, f.got, f.want, tol)
	}
}

// with fills in a Result starting from all-NaN, so each case lists only
// the fields that are defined.
func with(n int64, set func(r *stats.Result)) stats.Result {
	r := undefined(n)
	set(&r)
	return r
}

func TestScoreNPS(t *testing.T) {
	o := stats.Options{Kind: stats.NPS, ConfidenceLevel: 0.95}
	tests := []struct {
		name  string
		tally stats.Tally
		opts  stats.Options
		want  stats.Result
	}{
		{"n=0", stats.NewTally(nps), o, undefined(0)},
		{"n=0 nil counts", stats.Tally{Scale: nps}, o, undefined(0)},
		// The interval is the adjusted Wald (n′ = n+3, p′ = (P+¾)/n′, d′ = (D+¾)/n′), the score the raw NPS.
		// one promoter: NPS (1-0)/1·100 = 100; n′ = 4, p′ = 1.75/4 = .4375, d′ = .75/4 = .1875,
		// centre 25, var .625-.0625 = .5625, SE′ = √(.5625/4)·100 = 37.5, half 1.959964·37.5 = 73.498649
		// → [-48.498649, 98.498649], which does not even contain 100: one answer says little.
		{"n=1 promoter", mustTally(t, nps, "10:1"), o, with(1, func(r *stats.Result) {
			r.Score, r.MarginOfError, r.Lower, r.Upper, r.StdErr, r.AdjustedScore, r.Mean = 100, 73.49864942, -48.49864942, 98.49864942, 37.5, 25, 10
			r.Promoters, r.PromoterPercent, r.PassivePercent, r.DetractorPercent = 1, 100, 0, 0
		})},
		// one detractor: the mirror image, centre -25
		{"n=1 detractor", mustTally(t, nps, "0:1"), o, with(1, func(r *stats.Result) {
			r.Score, r.MarginOfError, r.Lower, r.Upper, r.StdErr, r.AdjustedScore, r.Mean = -100, 73.49864942, -98.49864942, 48.49864942, 37.5, -25, 0
			r.Detractors, r.PromoterPercent, r.PassivePercent, r.DetractorPercent = 1, 0, 0, 100
		})},
		// 50 promoters (the plain Wald said 100 ± 0): n′ = 53, p′ = 50.75/53 = .957547, d′ = .75/53 = .014151,
		// centre 94.339623, var .971698-.889996 = .081702, SE′ = √(.081702/53)·100 = 3.926246, half 7.695301:
		// [86.644321, 102.03 clamped to 100], MOE (100-86.644321)/2 = 6.677839; mean (9·20+10·30)/50 = 9.6
		{"all promoters", mustTally(t, nps, "9:20 10:30"), o, with(50, func(r *stats.Result) {
			r.Score, r.MarginOfError, r.Lower, r.Upper, r.StdErr, r.AdjustedScore, r.Mean = 100, 6.677839354, 86.64432129, 100, 3.926246304, 94.33962264, 9.6
			r.Promoters, r.PromoterPercent, r.PassivePercent, r.DetractorPercent = 50, 100, 0, 0
		})},
		// 40 detractors: n′ = 43, d′ = 40.75/43 = .947674, p′ = .75/43 = .017442, centre -93.023256,
		// var .965116-.865440 = .099784, SE′ = 4.817209, half 9.441556: [-102.46 clamped to -100, -83.581699],
		// MOE 8.209150; mean (0·10+6·30)/40 = 4.5
		{"all detractors", mustTally(t, nps, "0:10 6:30"), o, with(40, func(r *stats.Result) {
			r.Score, r.MarginOfError, r.Lower, r.Upper, r.StdErr, r.AdjustedScore, r.Mean = -100, 8.209150305, -100, -83.58169939, 4.817209142, -93.02325581, 4.5
			r.Detractors, r.PromoterPercent, r.PassivePercent, r.DetractorPercent = 40, 0, 0, 100
		})},
		// 30 passives (the plain Wald said 0 ± 0): n′ = 33, p′ = d′ = .75/33 = .022727, centre 0,
		// var .045455, SE′ = √(.045455/33)·100 = 3.711348, MOE 7.274109; mean 7.5
		{"all passives", mustTally(t, nps, "7:15 8:15"), o, with(30, func(r *stats.Result) {
			r.Score, r.MarginOfError, r.Lower, r.Upper, r.StdErr, r.AdjustedScore, r.Mean = 0, 7.274108601, -7.274108601, 7.274108601, 3.711348095, 0, 7.5
			r.Passives, r.PromoterPercent, r.PassivePercent, r.DetractorPercent = 30, 0, 100, 0
		})},
		// 60 P, 20 Pa, 20 D: NPS 40; n′ = 103, p′ = .589806, d′ = .201456, centre 38.834951,
		// var .791262-.150815 = .640447, SE′ = 7.885385, MOE 1.959964·7.885385 = 15.455071 →
		// [23.379880, 54.290022]; mean (3·20+8·20+10·60)/100 = 8.2
		{"handbook", mustTally(t, nps, "3:20 8:20 10:60"), o, with(100, func(r *stats.Result) {
			r.Score, r.MarginOfError, r.Lower, r.Upper, r.StdErr, r.AdjustedScore, r.Mean = 40, 15.45507103, 23.37988042, 54.29002249, 7.885385219, 38.83495146, 8.2
			r.Promoters, r.Passives, r.Detractors = 60, 20, 20
			r.PromoterPercent, r.PassivePercent, r.DetractorPercent = 60, 20, 20
		})},
		// Same with a threshold of 9: ThresholdPercent = 60/100 = 60%, Wilson(60,100) = [50.200259, 69.059871]
		{"handbook with threshold", mustTally(t, nps, "3:20 8:20 10:60"),
			stats.Options{Kind: stats.NPS, ConfidenceLevel: 0.95, HasThreshold: true, Threshold: 9},
			with(100, func(r *stats.Result) {
				r.Score, r.MarginOfError, r.Lower, r.Upper, r.StdErr, r.AdjustedScore, r.Mean = 40, 15.45507103, 23.37988042, 54.29002249, 7.885385219, 38.83495146, 8.2
				r.Promoters, r.Passives, r.Detractors = 60, 20, 20
				r.PromoterPercent, r.PassivePercent, r.DetractorPercent = 60, 20, 20
				r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = 60, 50.20025868, 69.05987136
			})},
		// 19 P, 1 D of 20: NPS 90; n′ = 23, p′ = 19.75/23 = .858696, d′ = 1.75/23 = .076087, centre 78.260870,
		// var .934783-.612476 = .322306, SE′ = √(.322306/23)·100 = 11.837785, half 23.201632:
		// [55.059238, 101.46 clamped to 100], MOE (100-55.059238)/2 = 22.470381; mean 171/20 = 8.55
		{"clamped at 100", mustTally(t, nps, "0:1 9:19"), o, with(20, func(r *stats.Result) {
			r.Score, r.MarginOfError, r.Lower, r.Upper, r.StdErr, r.AdjustedScore, r.Mean = 90, 22.47038107, 55.05923786, 100, 11.83778472, 78.26086957, 8.55
			r.Promoters, r.Detractors = 19, 1
			r.PromoterPercent, r.PassivePercent, r.DetractorPercent = 95, 0, 5
		})},
		// 10 million: NPS 30; n′ = 10000003, p′ = 5000000.75/n′ = .499999925, d′ = .200000015,
		// centre 29.999991, SE′ = √(.609999994/10000003)·100 = .024698174, MOE .048407532;
		// mean (7·3e6+10·5e6)/1e7 = 7.1
		{"ten million", tallyOf(t, nps, 0, 2_000_000, 7, 3_000_000, 10, 5_000_000), o, with(10_000_000, func(r *stats.Result) {
			r.Score, r.MarginOfError, r.Lower, r.Upper, r.StdErr, r.AdjustedScore, r.Mean = 30, 0.048407532, 29.95158347, 30.04839853, 0.02469817424, 29.999991, 7.1
			r.Promoters, r.Passives, r.Detractors = 5_000_000, 3_000_000, 2_000_000
			r.PromoterPercent, r.PassivePercent, r.DetractorPercent = 50, 30, 20
		})},
		// 8e18 responses: p′ = d′ = .5 (the ¾ vanish in float64), centre 0; var 1; SE′ = √(1/8e18)·100 = 3.5355339e-8;
		// MOE 6.9295191e-8
		{"near MaxInt64", tallyOf(t, nps, 0, 4e18, 10, 4e18), o, with(8e18, func(r *stats.Result) {
			r.Score, r.MarginOfError, r.Lower, r.Upper, r.StdErr, r.AdjustedScore, r.Mean = 0, 6.929519122e-8, -6.929519122e-8, 6.929519122e-8, 3.535533906e-8, 0, 5
			r.Promoters, r.Detractors = 4e18, 4e18
			r.PromoterPercent, r.PassivePercent, r.DetractorPercent = 50, 0, 50
		})},
	}
	for _, tt := range tests {
		checkResult(t, tt.name, stats.Score(tt.tally, tt.opts), tt.want)
	}
}

func TestScoreCSAT(t *testing.T) {
	o := stats.Options{Kind: stats.CSAT, Threshold: 4, ConfidenceLevel: 0.95}
	tests := []struct {
		name  string
		tally stats.Tally
		want  stats.Result
	}{
		{"n=0", stats.NewTally(five), undefined(0)},
		// 1 of 1 satisfied: 100%; Wilson lower = n/(n+z²) = 1/4.841459 = 20.654931%; MOE (100-20.654931)/2 = 39.672534; SE √(1·0/1) = 0
		{"n=1 satisfied", mustTally(t, five, "5:1"), with(1, func(r *stats.Result) {
			r.Score, r.Lower, r.Upper, r.MarginOfError, r.StdErr, r.Mean = 100, 20.65493144, 100, 39.67253428, 0, 5
			r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = 100, 20.65493144, 100
		})},
		// 0 of 1: 0%; Wilson upper = z²/(n+z²) = 3.841459/4.841459 = 79.345069%
		{"n=1 unsatisfied", mustTally(t, five, "1:1"), with(1, func(r *stats.Result) {
			r.Score, r.Lower, r.Upper, r.MarginOfError, r.StdErr, r.Mean = 0, 0, 79.34506856, 39.67253428, 0, 1
			r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = 0, 0, 79.34506856
		})},
		// 200 of 200: lower = 200/203.841459 = 98.115467%; MOE (100-98.115467)/2 = 0.942266; mean (4·50+5·150)/200 = 4.75
		{"all satisfied", mustTally(t, five, "4:50 5:150"), with(200, func(r *stats.Result) {
			r.Score, r.Lower, r.Upper, r.MarginOfError, r.StdErr, r.Mean = 100, 98.11546736, 100, 0.9422663189, 0, 4.75
			r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = 100, 98.11546736, 100
		})},
		// 0 of 200: upper = 3.841459/203.841459 = 1.884533%; mean (1·120+3·80)/200 = 1.8
		{"none satisfied", mustTally(t, five, "1:120 3:80"), with(200, func(r *stats.Result) {
			r.Score, r.Lower, r.Upper, r.MarginOfError, r.StdErr, r.Mean = 0, 0, 1.884532638, 0.9422663189, 0, 1.8
			r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = 0, 0, 1.884532638
		})},
		// 80 of 100 (30 fours + 50 fives): Wilson [71.117083, 86.663307]; MOE (86.663307-71.117083)/2 = 7.773112;
		// SE √(0.8·0.2/100)·100 = 4; mean (2·10+3·10+4·30+5·50)/100 = 4.2
		{"handbook", mustTally(t, five, "2:10 3:10 4:30 5:50"), with(100, func(r *stats.Result) {
			r.Score, r.Lower, r.Upper, r.MarginOfError, r.StdErr, r.Mean = 80, 71.11708344, 86.66330667, 7.773111613, 4, 4.2
			r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = 80, 71.11708344, 86.66330667
		})},
		// 8.5e6 of 1e7: 85%; Wilson ≈ 85 ± 1.959964·√(0.85·0.15/1e7)·100 = 85 ± 0.022131;
		// SE √(0.1275/1e7)·100 = 0.011291590; mean (1·1.5e6+5·8.5e6)/1e7 = 4.4
		{"ten million", tallyOf(t, five, 1, 1_500_000, 5, 8_500_000), with(10_000_000, func(r *stats.Result) {
			r.Score, r.Lower, r.Upper, r.MarginOfError, r.StdErr, r.Mean = 85, 84.97785545, 85.02211766, 0.02213110915, 0.01129158979, 4.4
			r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = 85, 84.97785545, 85.02211766
		})},
	}
	for _, tt := range tests {
		checkResult(t, tt.name, stats.Score(tt.tally, o), tt.want)
	}
	// CSAT uses Threshold even if HasThreshold was left false.
	o.HasThreshold = false
	checkResult(t, "HasThreshold ignored", stats.Score(tests[5].tally, o), tests[5].want)
}

func TestScoreMeanKinds(t *testing.T) {
	ces := stats.Options{Kind: stats.CES, Threshold: 5, ConfidenceLevel: 0.95}
	rating := stats.Options{Kind: stats.Rating, ConfidenceLevel: 0.95}
	ratingAt4 := stats.Options{Kind: stats.Rating, Threshold: 4, HasThreshold: true, ConfidenceLevel: 0.95}
	tests := []struct {
		name  string
		tally stats.Tally
		opts  stats.Options
		want  stats.Result
	}{
		{"CES n=0", stats.NewTally(seven), ces, undefined(0)},
		// one response: mean 6; variance needs n ≥ 2 → interval, MOE, SE NaN; 1 of 1 easy = 100%, Wilson [20.654931, 100]
		{"CES n=1", mustTally(t, seven, "6:1"), ces, with(1, func(r *stats.Result) {
			r.Score, r.Mean = 6, 6
			r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = 100, 20.65493144, 100
		})},
		// mean 42/10 = 4.2; s² = 5.6/9; SE = √(0.622222/10) = 0.249444; t₉ = 2.262157;
		// MOE = 2.262157·0.249444 = 0.564281 → [3.635719, 4.764281]; easy (≥5) = 4/10 = 40%, Wilson(4,10) = [16.818033, 68.732623]
		{"CES handbook", mustTally(t, seven, "3:2 4:4 5:4"), ces, with(10, func(r *stats.Result) {
			r.Score, r.Mean, r.MarginOfError, r.Lower, r.Upper, r.StdErr = 4.2, 4.2, 0.5642811373, 3.635718863, 4.764281137, 0.2494438258
			r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = 40, 16.81803297, 68.73262303
		})},
		// every response 7: s² = 0 → the interval collapses to [7, 7]; easy 100%, lower 50/(50+z²) = 92.865240%
		{"CES all the same", mustTally(t, seven, "7:50"), ces, with(50, func(r *stats.Result) {
			r.Score, r.Mean, r.MarginOfError, r.Lower, r.Upper, r.StdErr = 7, 7, 0, 7, 7, 0
			r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = 100, 92.86524009, 100
		})},
		// 1e7 responses, half 5 half 6: mean 5.5; s² = 0.25·1e7/(1e7-1) = 0.250000025; SE = 1.5811389e-4;
		// t(9999999) = 1.959964219; MOE = 3.0989757e-4; easy 100%, lower 1e7/(1e7+z²) = 99.999962%
		{"CES ten million", tallyOf(t, seven, 5, 5_000_000, 6, 5_000_000), ces, with(10_000_000, func(r *stats.Result) {
			r.Score, r.Mean, r.MarginOfError, r.StdErr = 5.5, 5.5, 3.098975687e-4, 1.581138909e-4
			r.Lower, r.Upper = 5.5-3.098975687e-4, 5.5+3.098975687e-4
			r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = 100, 99.99996159, 100
		})},
		{"Rating n=0", stats.NewTally(five), rating, undefined(0)},
		// no threshold: ThresholdPercent NaN; otherwise as CES handbook
		{"Rating handbook", mustTally(t, five, "3:2 4:4 5:4"), rating, with(10, func(r *stats.Result) {
			r.Score, r.Mean, r.MarginOfError, r.Lower, r.Upper, r.StdErr = 4.2, 4.2, 0.5642811373, 3.635718863, 4.764281137, 0.2494438258
		})},
		// threshold 4: 8/10 = 80%, Wilson(8,10) = [49.016247, 94.331785]
		{"Rating with threshold", mustTally(t, five, "3:2 4:4 5:4"), ratingAt4, with(10, func(r *stats.Result) {
			r.Score, r.Mean, r.MarginOfError, r.Lower, r.Upper, r.StdErr = 4.2, 4.2, 0.5642811373, 3.635718863, 4.764281137, 0.2494438258
			r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = 80, 49.01624715, 94.33178485
		})},
		// two responses 1 and 5: mean 3, s² = 8, SE = √(8/2) = 2, t₁ = 12.706205, MOE = 25.412409
		{"Rating n=2", mustTally(t, five, "1:1 5:1"), rating, with(2, func(r *stats.Result) {
			r.Score, r.Mean, r.MarginOfError, r.Lower, r.Upper, r.StdErr = 3, 3, 25.41240947, 3-25.41240947, 3+25.41240947, 2
		})},
	}
	for _, tt := range tests {
		checkResult(t, tt.name, stats.Score(tt.tally, tt.opts), tt.want)
	}
}

func TestScoreInvalid(t *testing.T) {
	good := mustTally(t, five, "3:2 4:4 5:4")
	tests := []struct {
		name  string
		tally stats.Tally
		opts  stats.Options
		want  string // Options.Validate error
		n     int64
	}{
		{"NPS on 1..5", good, stats.Options{Kind: stats.NPS, ConfidenceLevel: 0.95}, "NPS needs scale 0..10, got 1..5", 10},
		{"unknown kind", good, stats.Options{Kind: "nps", ConfidenceLevel: 0.95}, `unknown kind "nps"`, 10},
		{"level 0", good, stats.Options{Kind: stats.Rating}, "confidence level 0 not in (0,1)", 10},
		{"level 1", good, stats.Options{Kind: stats.Rating, ConfidenceLevel: 1}, "not in (0,1)", 10},
		{"level NaN", good, stats.Options{Kind: stats.Rating, ConfidenceLevel: nan}, "not in (0,1)", 10},
		{"level 95", good, stats.Options{Kind: stats.Rating, ConfidenceLevel: 95}, "not in (0,1)", 10},
		{"CSAT threshold 0", good, stats.Options{Kind: stats.CSAT, ConfidenceLevel: 0.95}, "CSAT threshold 0 outside scale 1..5", 10},
		{"Rating threshold 6", good, stats.Options{Kind: stats.Rating, Threshold: 6, HasThreshold: true, ConfidenceLevel: 0.95}, "threshold 6 outside", 10},
		{"malformed tally", stats.Tally{Scale: five, Counts: []int64{1, 2}}, stats.Options{Kind: stats.Rating, ConfidenceLevel: 0.95}, "", 0},
	}
	for _, tt := range tests {
		checkResult(t, tt.name, stats.Score(tt.tally, tt.opts), undefined(tt.n))
		if tt.want == "" {
			continue
		}
		if err := tt.opts.Validate(tt.tally.Scale); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want %q", tt.name, err, tt.want)
		}
	}
	// Rating without a threshold does not care about Threshold's value.
	if err := (stats.Options{Kind: stats.Rating, Threshold: 99, ConfidenceLevel: 0.9}).Validate(five); err != nil {
		t.Errorf("Rating without threshold: %v", err)
	}
}

func TestScoreDoesNotAllocate(t *testing.T) {
	for _, c := range []struct {
		tally stats.Tally
		opts  stats.Options
	}{
		{mustTally(t, nps, "3:20 8:20 10:60"), stats.Options{Kind: stats.NPS, ConfidenceLevel: 0.95}},
		{mustTally(t, five, "2:10 5:50"), stats.Options{Kind: stats.CSAT, Threshold: 4, ConfidenceLevel: 0.95}},
		{mustTally(t, seven, "3:2 4:4 5:4"), stats.Options{Kind: stats.CES, Threshold: 5, ConfidenceLevel: 0.95}},
		{mustTally(t, five, "3:2 4:4 5:4"), stats.Options{Kind: stats.Rating, ConfidenceLevel: 0.9}},
	} {
		var r stats.Result
		if a := testing.AllocsPerRun(50, func() { r = stats.Score(c.tally, c.opts) }); a != 0 {
			t.Errorf("%s: Score allocated %v times", c.opts.Kind, a)
		}
		if math.IsNaN(r.Score) {
			t.Errorf("%s: NaN score", c.opts.Kind)
		}
	}
}
