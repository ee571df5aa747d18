package devenv

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// ResultWatch counts the changes of status.result of the Scorecards in a
// namespace, as a watch sees them: every write that changes a card's
// result (the first one included) is one ResultChanged Event of the
// operator. The Events themselves cannot be counted exactly through the
// API: the events.k8s.io recorder folds repeated transitions into a series
// whose count it writes back only every few minutes.
type ResultWatch struct {
	mu      sync.Mutex
	last    map[string]cxv1alpha1.ScorecardResult
	changes map[string][]string // card -> "Pass->Warning" ...
}

// WatchResults starts counting result changes in namespace until ctx ends.
// Start it before the cards exist to count their first result too.
func (e *Env) WatchResults(ctx context.Context, namespace string) (*ResultWatch, error) {
	wc, err := client.NewWithWatch(e.RESTConfig, client.Options{Scheme: Scheme()})
	if err != nil {
		return nil, err
	}
	rw := &ResultWatch{last: map[string]cxv1alpha1.ScorecardResult{}, changes: map[string][]string{}}
	var list cxv1alpha1.ScorecardList
	if err := wc.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	for i := range list.Items {
		rw.observe(&list.Items[i])
	}
	rv := list.ResourceVersion
	go func() {
		for ctx.Err() == nil {
			w, err := wc.Watch(ctx, &cxv1alpha1.ScorecardList{}, client.InNamespace(namespace),
				&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true}})
			if err != nil {
				time.Sleep(time.Second)
				continue
			}
			for ev := range w.ResultChan() {
				sc, ok := ev.Object.(*cxv1alpha1.Scorecard)
				if !ok {
					continue
				}
				rv = sc.ResourceVersion
				if ev.Type == watch.Added || ev.Type == watch.Modified {
					rw.observe(sc)
				}
			}
			w.Stop()
		}
	}()
	return rw, nil
}

func (rw *ResultWatch) observe(sc *cxv1alpha1.Scorecard) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	prev := rw.last[sc.Name]
	if _, seen := rw.changes[sc.Name]; !seen {
		rw.changes[sc.Name] = nil
	}
	if sc.Status.Result == prev {
		return
	}
	from := string(prev)
	if from == "" {
		from = "None"
	}
	rw.last[sc.Name] = sc.Status.Result
	rw.changes[sc.Name] = append(rw.changes[sc.Name], from+"->"+string(sc.Status.Result))
}

// Summary renders one line per card: its number of result changes and
// the changes themselves, oldest first (at most the last 12).
func (rw *ResultWatch) Summary() string {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	names := make([]string, 0, len(rw.changes))
	for name := range rw.changes {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		c := rw.changes[name]
		shown := c
		prefix := ""
		if len(shown) > 12 {
			shown, prefix = shown[len(shown)-12:], "..., "
		}
		fmt.Fprintf(&b, "  %-22s %3d  %s%s\n", name, len(c), prefix, strings.Join(shown, ", "))
	}
	return b.String()
}
