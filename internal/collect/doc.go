// Package collect measures Touchpoints: it runs their collectors
// (Prometheus instant queries and HTTP/JSON documents) on a schedule,
// computes their derived CEL metrics, and turns what it learned into the
// Touchpoint's status.
//
// The parts, in the order a value travels:
//   - Runners (PrometheusRunner, HTTPRunner) fetch one number from one
//     source. Every way a source can disappoint is an *Error with a Kind
//     and a message fit for status.
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
//   - BuildStatus turns the scheduler's snapshot into the status lists, and
//     StatusChange says what changed: a condition (written at once), a
//     refresh of values (written at most once per status interval), or
//     nothing worth a write (run times); FirstRoundDeadline holds a new
//     spec until the collectors it started have run.
//
// The package never writes to the API server; the Touchpoint controller
// does, through the operator's one status writer.
package collect
