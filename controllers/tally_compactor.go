package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/metrics"
	"github.com/touchstone-dev/touchstone/internal/receive"
	"github.com/touchstone-dev/touchstone/internal/stats"
	"github.com/touchstone-dev/touchstone/internal/survey"
)

// TallyCompactor merges, on the leader, the tallies of each Survey day that
// were quiet for longer than the Survey's deduplication window into the
// day's compacted tally, and deletes them. internal/survey decides what to
// merge and why every state in between counts each response once
// (PlanCompaction, MergeInto); the compactor carries the steps out, each
// write conditional on the version it read, so that a compactor stopped at
// any point, or two of them at once, leave a state the next pass completes.
type TallyCompactor struct {
	// Client reads Surveys and tallies (from the cache, which is enough:
	// every write is conditional) and writes tallies.
	Client client.Client
	// Interval is the time between two passes over every Survey.
	Interval time.Duration
	// WindowOverride, when positive, replaces every Survey's deduplication
	// window (tests and benchmarks; the receiver must be given the same).
	WindowOverride time.Duration
	// Now, when set, replaces time.Now (benchmarks move the clock past
	// the window; the receiver must be given the same clock).
	Now func() time.Time
}

// errConflict is a compaction step that lost a race with another writer:
// nothing is wrong, the next pass plans again from what the cache shows.
var errConflict = errors.New("a tally changed under the compactor")

// NeedLeaderElection is true: one replica compacts.
func (c *TallyCompactor) NeedLeaderElection() bool { return true }

// Start compacts every Interval until ctx ends.
func (c *TallyCompactor) Start(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("tally-compactor")
	ctx = logf.IntoContext(ctx, log)
	tick := time.NewTicker(c.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := c.CompactAll(ctx); err != nil && ctx.Err() == nil {
			log.Error(err, "compacting tallies; the next pass retries", "nextPass", c.Interval)
		}
	}
}

// CompactAll runs one pass over every Survey.
func (c *TallyCompactor) CompactAll(ctx context.Context) error {
	var list cxv1alpha1.SurveyList
	if err := c.Client.List(ctx, &list); err != nil {
		return fmt.Errorf("listing surveys: %w", err)
	}
	var errs []error
	for i := range list.Items {
		if _, err := c.CompactSurvey(ctx, &list.Items[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CompactionResult is what a pass did to one Survey's tallies.
type CompactionResult struct {
	// Sealed, Merged and Deleted count the tallies sealed, merged into a
	// compacted tally, and deleted once merged.
	Sealed, Merged, Deleted int
}

// CompactSurvey runs one pass over the tallies of one Survey: every
// compaction due, day by day. A day that lost a race is left for the next
// pass; an error stops the pass.
func (c *TallyCompactor) CompactSurvey(ctx context.Context, svy *cxv1alpha1.Survey) (CompactionResult, error) {
	var res CompactionResult
	if svy.DeletionTimestamp != nil {
		return res, nil
	}
	var tallies cxv1alpha1.ResponseTallyList
	if err := c.Client.List(ctx, &tallies, client.InNamespace(svy.Namespace),
		client.MatchingFields{tallySurveyIndex: string(svy.UID)}); err != nil {
		return res, fmt.Errorf("listing the tallies of survey %s/%s: %w", svy.Namespace, svy.Name, err)
	}
	window := svy.Spec.Receiver.DeduplicationWindowOrDefault()
	if c.WindowOverride > 0 {
		window = c.WindowOverride
	}
	log := logf.FromContext(ctx).WithValues("namespace", svy.Namespace, "survey", svy.Name)
	count := func(result string) {
		metrics.SurveyTallyCompactions.WithLabelValues(svy.Namespace, svy.Name, result).Inc()
	}
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	for _, p := range survey.PlanCompaction(&svy.Spec, string(svy.UID), tallies.Items, now, window) {
		day, err := c.compactDay(ctx, svy, p)
		res.Sealed += day.Sealed
		res.Merged += day.Merged
		res.Deleted += day.Deleted
		switch {
		case errors.Is(err, errConflict):
			count("conflict")
			log.V(1).Info("tally compaction lost a race; the next pass retries", "day", p.Day.String())
		case err != nil:
			count("failure")
			return res, fmt.Errorf("compacting the tallies of survey %s/%s for %s: %w", svy.Namespace, svy.Name, p.Day, err)
		case day.Merged > 0:
			count("success")
			log.V(1).Info("compacted tallies", "day", p.Day.String(), "merged", day.Merged, "deleted", day.Deleted)
		}
	}
	return res, nil
}

// compactDay carries out the steps of one day's compaction (see
// internal/survey): seal, write the compacted tally, delete what it
// supersedes, drop the entries of deleted tallies.
func (c *TallyCompactor) compactDay(ctx context.Context, svy *cxv1alpha1.Survey, p survey.Compaction) (CompactionResult, error) {
	var res CompactionResult
	merge, err := c.seal(ctx, p, &res)
	if err != nil {
		return res, err
	}
	var comp *cxv1alpha1.ResponseTally
	if p.Compacted != nil {
		comp = p.Compacted.DeepCopy()
	}
	if len(merge) > 0 {
		if comp == nil {
			sc := svy.Spec.ScaleOrDefault()
			comp = receive.NewCompactedTally(receive.Target{Namespace: svy.Namespace, Name: svy.Name, UID: svy.UID,
				Scale: stats.Scale{Min: int(sc.Min), Max: int(sc.Max)}}, p.Day, int(p.Lane))
		}
		if err := survey.MergeInto(comp, merge); err != nil {
			return res, err
		}
		if p.Compacted == nil {
			err = c.Client.Create(ctx, comp)
		} else {
			err = c.Client.Update(ctx, comp)
		}
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			return res, errConflict
		}
		if err != nil {
			return res, fmt.Errorf("writing compacted tally %s: %w", comp.Name, err)
		}
		res.Merged = len(merge)
	}
	if comp == nil {
		return res, nil
	}
	gone := append([]cxv1alpha1.SupersededTally(nil), p.Gone...)
	for _, t := range append(append([]*cxv1alpha1.ResponseTally(nil), p.Delete...), merge...) {
		err := c.Client.Delete(ctx, t, client.Preconditions{UID: &t.UID})
		switch {
		case err == nil:
			res.Deleted++
		case apierrors.IsNotFound(err), apierrors.IsConflict(err):
			// Gone already (a conflict: the name holds a newer tally).
		default:
			return res, fmt.Errorf("deleting compacted tally %s: %w", t.Name, err)
		}
		gone = append(gone, cxv1alpha1.SupersededTally{Name: t.Name, UID: t.UID})
	}
	if len(gone) == 0 {
		return res, nil
	}
	comp.Supersedes = survey.WithoutSuperseded(comp.Supersedes, gone)
	if err := c.Client.Update(ctx, comp); err != nil {
		if apierrors.IsConflict(err) {
			return res, errConflict
		}
		return res, fmt.Errorf("dropping deleted tallies from %s: %w", comp.Name, err)
	}
	return res, nil
}

// seal seals the quiet tallies of p that are not sealed yet (step 1), and
// returns them with those already sealed: the tallies to merge. A tally
// that changed meanwhile (a receiver wrote it) is left for a later pass.
func (c *TallyCompactor) seal(ctx context.Context, p survey.Compaction, res *CompactionResult) ([]*cxv1alpha1.ResponseTally, error) {
	merge := append([]*cxv1alpha1.ResponseTally(nil), p.Merge...)
	for _, t := range p.Seal {
		sealed := t.DeepCopy()
		sealed.State = cxv1alpha1.TallySealed
		err := c.Client.Patch(ctx, sealed, client.MergeFromWithOptions(t, client.MergeFromWithOptimisticLock{}))
		switch {
		case err == nil:
			res.Sealed++
			merge = append(merge, sealed)
		case apierrors.IsConflict(err), apierrors.IsNotFound(err):
			logf.FromContext(ctx).V(1).Info("tally changed before it could be sealed; a later pass looks again", "tally", t.Name)
		default:
			return nil, fmt.Errorf("sealing tally %s: %w", t.Name, err)
		}
	}
	return merge, nil
}
