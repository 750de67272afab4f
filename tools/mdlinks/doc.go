// Package mdlinks holds the test that every relative link and #anchor in
// the repository's Markdown files resolves (go test ./tools/mdlinks, part
// of make test).
package mdlinks
