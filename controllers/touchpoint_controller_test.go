package controllers_test

import "github.com/touchstone-dev/touchstone/controllers"

// testCollectorOptions adapts the collector defaults for the tests.
func testCollectorOptions(o controllers.CollectorOptions) controllers.CollectorOptions {
	return o
}
