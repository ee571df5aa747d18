package controllers_test

import "github.com/touchstone-dev/touchstone/controllers"

// testReceiverOptions adapts the receiver defaults for the tests.
func testReceiverOptions(o controllers.ReceiverOptions) controllers.ReceiverOptions {
	return o
}
