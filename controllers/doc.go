// Package controllers holds one thin reconciler per Touchstone kind
// (Touchpoint, Survey, Scorecard): each reads its object and the inputs it
// needs from the cache, calls the package under internal/ that decides what
// the status says, and writes the status once through the shared
// statusWriter (status.go). Setup wires them, with the collector scheduler
// and the response receiver, into a manager; main, the tests and the demo
// all use it.
package controllers
