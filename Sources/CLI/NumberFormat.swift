/// `x` rounded to `digits` decimals, for progress lines and benchmark tables
/// (`format(2.345, 2)` is "2.35"; `format(3)` is "3.0").
public func format(_ x: Double, _ digits: Int = 1) -> String {
    let p = Double(pow10(digits))
    return String((x * p).rounded() / p)
}

private func pow10(_ n: Int) -> Int { n <= 0 ? 1 : 10 * pow10(n - 1) }
