package archive

import "strconv"

// decimalPrefixes returns decimal prefixes that together match every
// number in [lo, hi] (lo ≥ 0): a listing of "{channel}/index/" + each
// prefix finds the index objects of those periods, and a few other ones
// (longer numbers) that the caller filters out. The range is cut into
// aligned blocks of powers of ten, so a range of w numbers needs at most
// about 18·log10(w) prefixes.
func decimalPrefixes(lo, hi int64) []string {
	var out []string
	if lo == 0 && hi >= 0 {
		out = append(out, "0")
		lo = 1
	}
	for lo <= hi {
		p := int64(1)
		for p < 1e17 && lo%(p*10) == 0 && lo+p*10-1 <= hi {
			p *= 10
		}
		out = append(out, strconv.FormatInt(lo/p, 10))
		lo += p
	}
	return out
}
