// Package metrics defines the cx_* Prometheus series Touchstone publishes,
// registered with controller-runtime's metrics registry so that they are
// served on the manager's /metrics endpoint beside the controller metrics.
//
// Labels are bounded: namespace, name, survey, scorecard, objective,
// touchpoint, stage, type, metric, unit, segment, value (segment values are
// capped per Survey), result, category, journey, measured and bound. Every series of an object is deleted when the object is.
// Each kind's series live in their own file.
package metrics
