// Package collect measures Touchpoints: it runs their collectors
// (Prometheus instant queries and HTTP/JSON documents) on a schedule,
// computes their derived CEL metrics, and turns what it learned into the
// Touchpoint's status.
//
// The parts, in the order a value travels:
//   - Runners (PrometheusRunner, HTTPRunner) fetch one number from one
//     source, or reduce a list to one: an HTTP source's items over every
//     page (pager: next links or cursors, at most maxPages, same host
//     only), a Prometheus vector's series, filtered by a CEL where,
//     numbered by a CEL value (http) and aggregated (accumulator:
//     count, sum, mean, min, max, nearest-rank median and quantile,
//     ratio). An aggregate of nothing is an Outcome without value, with
//     its reason, not an error; a list read only in part is an Outcome
//     with a Warning. Every way a source can disappoint is an *Error with
//     a Kind and a message fit for status.
//   - Env holds what runners share: a short-lived cache of Secret values
//     (Secrets are read one by one with the API reader, never listed or
//     watched), HTTP transports per certificate authority, and the
//     response size cap.
//   - Scheduler is a manager Runnable that runs every collector on its own
//     interval, on a per-touchpoint grid with jitter, with exponential
//     backoff on failure, on a bounded worker pool with a per-run timeout
//     and a per-source concurrency limit. After a round of a touchpoint's
//     runs that changed something it calls Notify, once.
//   - Derivations compile and evaluate the derived CEL metrics.
//   - BuildStatus turns the scheduler's snapshot into the status lists (and
//     CheckCollectors reports the collector specs admission cannot check:
//     CEL, JSONPaths), and StatusChange says what changed: a condition
//     (written at once), a refresh of values (written at most once per
//     status interval), or nothing worth a write (run times);
//     FirstRoundDeadline holds a new spec until the collectors it started
//     have run.
//
// The package never writes to the API server; the Touchpoint controller
// does, through the operator's one status writer.
package collect
