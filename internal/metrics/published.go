package metrics

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// published remembers which gauge series were set for each object, so that
// an update removes exactly the series that disappeared instead of
// deleting everything first (which would leave a scrape-sized gap).
type published struct {
	mu       sync.Mutex
	byObject map[string][]series
}

type series struct {
	vec *prometheus.GaugeVec
	lv  []string
}

func (s series) key() string { return fmt.Sprintf("%p\xff%s", s.vec, strings.Join(s.lv, "\xff")) }

// gauges collects the series set during one update.
type gauges []series

// set sets a gauge series and records it; an undefined value (NaN or Inf)
// is not recorded, so replace removes the series: "no data" reads as
// absent in PromQL, never as NaN.
func (g *gauges) set(vec *prometheus.GaugeVec, v float64, lv ...string) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	vec.WithLabelValues(lv...).Set(v)
	*g = append(*g, series{vec: vec, lv: lv})
}

// update sets the series of object key with set, then deletes the series
// recorded before that set did not set again. The whole update holds the
// lock, so that two updates of one object (or an update and a delete)
// never interleave and leave a series behind.
func (p *published) update(key string, set func(g *gauges)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var g gauges
	set(&g)
	p.replaceLocked(key, g)
}

// delete deletes every series recorded for object key.
func (p *published) delete(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.replaceLocked(key, nil)
}

// replaceLocked records next as the series of object key and deletes the
// series recorded before that are not in next.
func (p *published) replaceLocked(key string, next []series) {
	if p.byObject == nil {
		p.byObject = map[string][]series{}
	}
	keep := make(map[string]bool, len(next))
	for _, s := range next {
		keep[s.key()] = true
	}
	for _, s := range p.byObject[key] {
		if !keep[s.key()] {
			s.vec.DeleteLabelValues(s.lv...)
		}
	}
	if len(next) == 0 {
		delete(p.byObject, key)
		return
	}
	p.byObject[key] = next
}
