// Package image holds the test of the container image that `make image`
// builds (image_test.go; run by `make image-test`). It has no non-test code.
package image
