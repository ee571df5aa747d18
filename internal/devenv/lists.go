package devenv

import (
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/touchstone-dev/touchstone/internal/fixtures/saas"
)

// The list-shaped sources of the samples: records generated from a
// deterministic hash of their index, on a grid that moves with time (a
// new ticket every 6 minutes, a rating every 10...), so that each run
// of a collector sees about the same list, drifting slowly, and the
// time filters of the samples ({{ .SinceUnix }}) select a realistic
// share of it. Rates and medians follow Sources.value, like the other
// synthetic numbers.

// registerLists serves Zendesk, Intercom, Discourse and the analytics
// collections.
func (s *Sources) registerLists(mux *http.ServeMux) {
	mux.Handle("/zendesk/", http.StripPrefix("/zendesk", &saas.Zendesk{Prefix: "/zendesk", Email: ZendeskEmail, Token: ZendeskToken,
		TicketMetrics: s.ticketMetrics, Ratings: s.satisfactionRatings}))
	mux.Handle("/intercom/", http.StripPrefix("/intercom", &saas.Intercom{Token: IntercomToken, Conversations: s.conversations}))
	mux.Handle("/community/", http.StripPrefix("/community", &saas.Discourse{Prefix: "/community", Topics: s.topics}))
	for path, filter := range map[string]func(url.Values) ([]saas.Resource, string){
		"/api/v1/members":                 s.members,
		"/api/v1/onboarding/members":      s.onboardingMembers,
		"/api/v1/onboarding/quiz-answers": s.quizAnswers,
		"/api/v1/education/links":         s.educationLinks,
	} {
		mux.Handle("GET /analytics"+path, http.StripPrefix("/analytics", &saas.JSONAPI{Prefix: "/analytics", Filter: filter}))
	}
}

// unit is a uniform number in [0, 1) hashed from a series name and an
// index: the same record always gets the same draw.
func unit(series string, i int64) float64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(series))
	_, _ = h.Write([]byte(strconv.FormatInt(i, 10)))
	// FNV's last multiply leaves the high bits of close inputs alike:
	// finish with murmur3's fmix64 so that every bit depends on all.
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return float64(x>>11) / (1 << 53)
}

// lognormal draws a positive duration with the given median and spread
// (σ of its log): reply times are right-skewed, their p90 about
// exp(1.28σ) times the median.
func lognormal(series string, i int64, median, sigma float64) float64 {
	u := min(max(unit(series, i), 1e-9), 1-1e-9)
	return median * math.Exp(sigma*distuv.UnitNormal.Quantile(u))
}

// grid returns the indexes of the records created every period during
// the last span, oldest first, with their creation times.
func grid(now time.Time, period, span time.Duration) (first, last int64) {
	last = now.Unix() / int64(period.Seconds())
	return last - int64(span/period) + 1, last
}

// ticketMetrics are the metrics of the last 240 tickets (a new one every
// 6 minutes: three pages of 100): first reply in calendar minutes about
// lognormal around the drifting median (47 minutes), business minutes a
// bit less, one ticket in 20 not replied to yet.
func (s *Sources) ticketMetrics() []saas.TicketMetric {
	const period = 6 * time.Minute
	now := time.Now()
	first, last := grid(now, period, 240*period)
	median := s.value("first_response_minutes", 47, 8)
	out := make([]saas.TicketMetric, 0, last-first+1)
	for i := first; i <= last; i++ {
		created := time.Unix(i*int64(period.Seconds()), 0).UTC()
		m := saas.TicketMetric{ID: 3_000_000 + i, TicketID: 40_000 + i%1_000_000, CreatedAt: created, UpdatedAt: created, ReplyTimeInMinutes: saas.MinutesOf(-1, 0)}
		if unit("unreplied", i) >= 0.05 {
			cal := int64(math.Round(lognormal("reply", i, median, 0.9)))
			m.ReplyTimeInMinutes = saas.MinutesOf(cal, cal*3/5)
			m.Replies = 1 + int(unit("replies", i)*3)
		}
		out = append(out, m)
	}
	return out
}

// satisfactionRatings are the ratings of the last 48 hours, one every 10
// minutes: one in five offered and not answered, the received ones good
// with the drifting CSAT (86%).
func (s *Sources) satisfactionRatings() []saas.SatisfactionRating {
	const period = 10 * time.Minute
	first, last := grid(time.Now(), period, 48*time.Hour)
	good := s.value("csat_good", 0.86, 0.04)
	out := make([]saas.SatisfactionRating, 0, last-first+1)
	for i := first; i <= last; i++ {
		created := time.Unix(i*int64(period.Seconds()), 0).UTC()
		score := "bad"
		switch u := unit("rating", i); {
		case u < 0.2:
			score = "offered"
		case unit("good", i) < good:
			score = "good"
		}
		out = append(out, saas.SatisfactionRating{ID: 7_000_000 + i, TicketID: 40_000 + i%1_000_000, AssigneeID: 900 + i%12, GroupID: 20,
			RequesterID: 500_000 + i, Score: score, CreatedAt: created, UpdatedAt: created})
	}
	return out
}

// conversations are the chat conversations of the last 48 hours, one
// every 8 minutes: the first teammate reply in seconds, lognormal around
// the drifting median (3 minutes), one in ten not answered yet.
func (s *Sources) conversations() []saas.Conversation {
	const period = 8 * time.Minute
	first, last := grid(time.Now(), period, 48*time.Hour)
	median := s.value("chat_first_response_seconds", 180, 40)
	out := make([]saas.Conversation, 0, last-first+1)
	for i := first; i <= last; i++ {
		created := i * int64(period.Seconds())
		c := saas.Conversation{Type: "conversation", ID: strconv.FormatInt(1_000_000_000+i, 10), CreatedAt: created, UpdatedAt: created,
			State: "closed", Read: true, Priority: "not_priority"}
		c.Statistics.Type = "conversation_statistics"
		if unit("chat-unanswered", i) >= 0.1 {
			reply := int64(math.Round(lognormal("chat-reply", i, median, 0.7)))
			at := created + reply
			c.Statistics.TimeToAdminReply, c.Statistics.FirstAdminReplyAt = &reply, &at
			c.Statistics.CountConversationParts = 2 + int(unit("parts", i)*6)
		} else {
			c.State, c.Open = "open", true
		}
		out = append(out, c)
	}
	return out
}

// topics are the community's 90 latest topics (three pages of 30), the
// drifting share of them (72%) with an accepted answer.
func (s *Sources) topics() []saas.Topic {
	const period = 40 * time.Minute
	first, last := grid(time.Now(), period, 90*period)
	answered := s.value("community_answered", 0.72, 0.05)
	out := make([]saas.Topic, 0, last-first+1)
	for i := last; i >= first; i-- { // latest first
		created := time.Unix(i*int64(period.Seconds()), 0).UTC()
		replies := int(unit("topic-replies", i) * 6)
		out = append(out, saas.Topic{ID: 12_000 + i%1_000_000, Title: fmt.Sprintf("Trail question %d", i%1000), Slug: fmt.Sprintf("trail-question-%d", i%1000),
			PostsCount: 1 + replies, ReplyCount: replies, HighestPostNumber: 1 + replies, CreatedAt: created, LastPostedAt: created, Visible: true,
			Views: 20 + int(unit("topic-views", i)*400), CategoryID: 5, HasAcceptedAnswer: unit("topic-answered", i) < answered})
	}
	return out
}

const stateChurned = "churned"

// members serves the members in one lifecycle state during a period:
// filter[state] churned or resurrected (churned the period before, back
// this period), filter[period] month or previous-month. Counts drift
// around 321 churned this month, 300 the month before and 42 resurrected;
// lifetime_value is a decimal string in EUR, as payment APIs quote money.
func (s *Sources) members(q url.Values) ([]saas.Resource, string) {
	state, period := q.Get("filter[state]"), q.Get("filter[period]")
	var n int
	switch {
	case state == stateChurned && period == "month":
		n = int(math.Round(s.value("churned", 321, 40)))
	case state == stateChurned && period == "previous-month":
		n = int(math.Round(s.value("churned_previous", 300, 20)))
	case state == "resurrected" && period == "month":
		n = int(math.Round(s.value("resurrected", 42, 6)))
	default:
		return nil, "filter[state] must be churned or resurrected, filter[period] month or previous-month"
	}
	out := make([]saas.Resource, n)
	for i := range out {
		k := int64(i)
		ltv := lognormal("ltv-"+state+period, k, s.value("resurrected_ltv", 180, 15), 0.4)
		out[i] = saas.Resource{Type: "member", ID: fmt.Sprintf("m-%s-%d", state, 10_000+i), Attributes: map[string]any{
			"state": state, "plan": []string{"trail", "summit"}[i%2], "lifetime_value": strconv.FormatFloat(ltv, 'f', 2, 64),
		}}
	}
	return out, ""
}

// onboardingMembers are the members who joined since filter[joined_after]
// (RFC 3339), one every 4 hours: the drifting share (64%) finished the
// five steps of the welcome tour.
func (s *Sources) onboardingMembers(q url.Values) ([]saas.Resource, string) {
	after, err := time.Parse(time.RFC3339, q.Get("filter[joined_after]"))
	if err != nil {
		return nil, "filter[joined_after] must be an RFC 3339 time"
	}
	const period = 4 * time.Hour
	first, last := grid(time.Now(), period, 60*24*time.Hour)
	completion := s.value("onboarding_completion", 0.64, 0.05)
	var out []saas.Resource
	for i := first; i <= last; i++ {
		joined := time.Unix(i*int64(period.Seconds()), 0).UTC()
		if !joined.After(after) {
			continue
		}
		done := unit("onboarding", i) < completion
		steps := 5
		if !done {
			steps = int(unit("steps", i) * 5)
		}
		out = append(out, saas.Resource{Type: "member", ID: fmt.Sprintf("m-%d", i), Attributes: map[string]any{
			"joined_at": joined.Format(time.RFC3339), "checklist": map[string]any{"completed_steps": steps, "total_steps": 5},
			"completed_onboarding": done,
		}})
	}
	return out, ""
}

// quizAnswers are the gear-care quiz answers of the welcome tour since
// filter[answered_after] (RFC 3339), one every 30 minutes, the drifting
// share (81%) correct.
func (s *Sources) quizAnswers(q url.Values) ([]saas.Resource, string) {
	after, err := time.Parse(time.RFC3339, q.Get("filter[answered_after]"))
	if err != nil {
		return nil, "filter[answered_after] must be an RFC 3339 time"
	}
	const period = 30 * time.Minute
	first, last := grid(time.Now(), period, 14*24*time.Hour)
	correct := s.value("quiz_correct", 0.81, 0.04)
	var out []saas.Resource
	for i := first; i <= last; i++ {
		at := time.Unix(i*int64(period.Seconds()), 0).UTC()
		if !at.After(after) {
			continue
		}
		out = append(out, saas.Resource{Type: "quiz-answer", ID: fmt.Sprintf("a-%d", i), Attributes: map[string]any{
			"question": fmt.Sprintf("gear-care-%d", 1+i%8), "answered_at": at.Format(time.RFC3339), "correct": unit("quiz", i) < correct,
		}})
	}
	return out, ""
}

// educationLinks are the trail guides and gear-care articles the app
// links to, with their views and clicks this month: the click-through
// drifts around 12%.
func (s *Sources) educationLinks(url.Values) ([]saas.Resource, string) {
	ctr := s.value("education_ctr", 0.12, 0.02)
	out := make([]saas.Resource, 24)
	for i := range out {
		views := 200 + int(unit("views", int64(i))*1800)
		clicks := int(math.Round(float64(views) * ctr * (0.5 + unit("clicks", int64(i)))))
		out[i] = saas.Resource{Type: "link", ID: fmt.Sprintf("guide-%d", i+1), Attributes: map[string]any{
			"kind": []string{"trail-guide", "gear-care"}[i%2], "views": views, "clicks": clicks,
		}}
	}
	return out, ""
}
