package traceref

// Lane constants (see the package comment).
const (
	lanes    = 0x0101010101010101 // 1 in every lane
	laneHigh = 0x8080808080808080 // the flag bit of every lane
)

// load64 reads s[0:8] as a word, s[0] lowest (one load once compiled).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// load32 reads s[0:4] as a word, s[0] lowest.
func load32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// lanesAtLeast flags every lane of x that is >= c. x's bytes must be below
// 0x80 and c at most 0x80, so no lane carries into the next.
func lanesAtLeast(x, c uint64) uint64 {
	return (x + (0x80-c)*lanes) & laneHigh
}

// lanesInRange flags every lane of x from lo to hi, both included; x's
// bytes must be below 0x80 and hi below 0x80.
func lanesInRange(x, lo, hi uint64) uint64 {
	return lanesAtLeast(x, lo) &^ lanesAtLeast(x, hi+1)
}
