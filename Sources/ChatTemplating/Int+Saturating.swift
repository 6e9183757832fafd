// Sizes computed from template numbers (widths, counts, lengths) can be
// anything a template or a request writes, up to Int.max; an overflowing
// Swift `+` or `*` traps and takes the process down. Sizes that are only
// compared against the sandbox limits saturate instead: a result past
// Int.max is "too big" all the same.
extension Int {
    /// `self + other`, or Int.max / Int.min where that overflows.
    func saturatingAdd(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// `self · other`, or Int.max / Int.min where that overflows.
    func saturatingMultiply(_ other: Int) -> Int {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self < 0) == (other < 0) ? .max : .min) : product
    }
}
