// Package traceref reads trace references out of exemplar labels: which
// label names hold one (Reader.Kind) and what a value says (Reader.Decode),
// as OTLP trace and span IDs. Everything here is pure and allocation-free,
// since it runs for every label of every exemplar.
//
// # Byte lanes
//
// The name and hex code works on eight bytes at a time, packed into a
// uint64 (a "word" of eight "lanes"):
//   - load64 packs s[0:8] little-endian: byte i of the string is bits
//     8i to 8i+7 of the word, so the first byte is the lowest.
//   - The top bit of each lane (0x80, laneHigh) is that lane's flag:
//     lanesInRange(x, lo, hi) returns a word with the flag set in every lane
//     whose byte lies in lo..hi, and nothing else.
//   - The lane arithmetic adds a constant to all eight lanes in one
//     addition. It is exact only when every input byte is below 0x80, so
//     that no lane carries into the next: callers clear the top bits first
//     (x &^ laneHigh) and treat bytes of 0x80 and above on their own.
//
// Each use says what it was measured to save.
package traceref
