package traceref

// hex16 decodes the 16 hex digits of s (len(s) must be 16) of either case
// into 8 bytes, returned as a word whose lowest byte is the first (so
// binary.LittleEndian.PutUint64 writes them in order).
//
// One table look-up per digit, checked once at the end rather than with a
// branch per digit, which random hex would mispredict. A branch-free
// version on words of eight digits (lane arithmetic) measured 7.8 ns
// against this one's 8.1 ns on random IDs (BenchmarkHex16, go1.26, 2 CPUs):
// not worth its 40 lines.
func hex16(s string) (uint64, bool) {
	_ = s[15]
	var w uint64
	var bad byte
	for i := 0; i < 16; i += 2 {
		hi, lo := hexTable[s[i]], hexTable[s[i+1]]
		bad |= hi | lo
		w |= uint64(hi<<4|lo) << (4 * i)
	}
	return w, bad&notHex == 0
}

// hexByte decodes two hex digits.
func hexByte(s string) (byte, bool) {
	hi, lo := hexTable[s[0]], hexTable[s[1]]
	return hi<<4 | lo, (hi|lo)&notHex == 0
}

// decodeHexPadded fills dst from 1 to 2*len(dst) hex digits, right-aligned:
// the leading zeros a writer dropped are put back.
func decodeHexPadded(dst []byte, s string) bool {
	if len(s) == 0 || len(s) > 2*len(dst) {
		return false
	}
	for i := range dst {
		dst[i] = 0
	}
	for i := 0; i < len(s); i++ {
		v, ok := hexValue(s[len(s)-1-i])
		if !ok {
			return false
		}
		dst[len(dst)-1-i/2] |= v << (4 * (i % 2))
	}
	return true
}

func isHexUpTo(s string, maxDigits int) bool {
	if len(s) == 0 || len(s) > maxDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := hexValue(s[i]); !ok {
			return false
		}
	}
	return true
}

func hexValue(c byte) (byte, bool) {
	v := hexTable[c]
	return v, v&notHex == 0
}

// notHex marks a byte that is not a hex digit in hexTable; digit values
// never have this bit.
const notHex = 0x80

// hexTable maps every byte to its hex digit value, or to notHex.
var hexTable = func() (t [256]byte) {
	for i := range t {
		t[i] = notHex
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c] = c - 'a' + 10
		t[c-'a'+'A'] = c - 'a' + 10
	}
	return t
}()
