package main

// Display helpers: label values and error lines made safe to print.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// displayValue makes a label value safe to print on a terminal: control
// characters and invalid UTF-8 escaped, and at most limit bytes kept.
func displayValue(s string, limit int) string {
	q := strconv.QuoteToGraphic(s)
	q = q[1 : len(q)-1]
	if limit > 0 && len(q) > limit {
		cut := limit
		for cut > 0 && q[cut]&0xC0 == 0x80 {
			cut--
		}
		q = q[:cut] + "…"
	}
	return q
}

// oneLine keeps the first line of s (at most 300 bytes), with control
// characters and invalid UTF-8 escaped.
func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	var b strings.Builder
	for i, r := range s {
		if b.Len() >= 300 {
			b.WriteString("…")
			break
		}
		switch {
		case r == utf8.RuneError && len(s[i:]) > 0 && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
