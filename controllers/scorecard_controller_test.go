package controllers_test

import "github.com/touchstone-dev/touchstone/controllers"

// testScorecardOptions adapts the scorecard defaults for the tests.
func testScorecardOptions(o controllers.ScorecardOptions) controllers.ScorecardOptions {
	return o
}
