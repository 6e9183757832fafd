/// The global functions: `range` (bounded as jinja2's sandbox bounds it),
/// `dict`, `namespace`, and transformers' `raise_exception` and `strftime_now`.
extension Renderer {
    func callBuiltin(_ builtin: Builtin, _ args: CallArguments) throws -> Value {
        switch builtin {
        case .range:
            return try range(args)
        case .dict:
            return .dict(try dictionary(args, function: "dict"))
        case .namespace:
            try checkNesting(args)
            return .namespace(Namespace(try dictionary(args, function: "namespace")))
        case .raiseException:
            let slots = try args.bind("raise_exception", ["message"], required: 1)
            throw TemplateError(.raised, try (slots[0] ?? .none).str())
        case .strftimeNow:
            let slots = try args.bind("strftime_now", ["format"], required: 1)
            guard case .string(let format) = slots[0] ?? .none else {
                throw TemplateError(.type, "strftime() argument 1 must be str, not \((slots[0] ?? .none).typeName)")
            }
            // Python cannot even build such a datetime ("year 0 is out of range"),
            // and the weekday and week numbers are only defined for one it can.
            guard date.isValid else {
                throw TemplateError(.value, "the date \(date.year)-\(date.month)-\(date.day) is out of the range of Python's datetime")
            }
            return try made(Strftime.format(format, date))
        }
    }

    /// `range(stop)`, `range(start, stop[, step])` as a list, refused above
    /// `maxRangeLength` items (jinja2's `safe_range`).
    private func range(_ args: CallArguments) throws -> Value {
        guard args.keyword.isEmpty else { throw TemplateError(.type, "range() takes no keyword arguments") }
        var ints: [Int] = []
        for v in args.positional {
            guard v.isIntegerLike, case .int(let i) = v.numericValue else {
                if case .undefined(let u) = v { throw u.error }
                throw TemplateError(.type, "'\(v.typeName)' object cannot be interpreted as an integer")
            }
            ints.append(i)
        }
        let start: Int, stop: Int, step: Int
        switch ints.count {
        case 1: (start, stop, step) = (0, ints[0], 1)
        case 2: (start, stop, step) = (ints[0], ints[1], 1)
        case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
        default: throw TemplateError(.type, "range expected 1 to 3 arguments, got \(ints.count)")
        }
        guard step != 0 else { throw TemplateError(.value, "range() arg 3 must not be zero") }
        // The distance in UInt: stop − start of two Ints always fits there,
        // where it can overflow Int (range(-2^62, 2^62)).
        func count(from low: Int, to high: Int, by stride: UInt) -> UInt {
            high > low ? (UInt(bitPattern: high &- low) - 1) / stride + 1 : 0
        }
        let wide = step > 0 ? count(from: start, to: stop, by: UInt(step)) : count(from: stop, to: start, by: step.magnitude)
        guard wide <= UInt(limits.maxRangeLength) else {
            throw TemplateError(.limit(.rangeLength),
                                "Range too big. The sandbox blocks ranges larger than MAX_RANGE (\(limits.maxRangeLength)).")
        }
        let span = Int(wide)
        try reserve(bytes: span * 16)
        return .list((0..<span).map { .int(start + $0 * step) })
    }

    /// `dict(mapping_or_pairs, **kwargs)`; also the arguments of `namespace()`.
    private func dictionary(_ args: CallArguments, function: String) throws -> PyDict {
        guard args.positional.count <= 1 else {
            throw TemplateError(.type, "\(function) expected at most 1 argument, got \(args.positional.count)")
        }
        var d = PyDict()
        if let source = args.positional.first {
            switch source {
            case .dict(let m):
                d = m
            case .namespace(let ns):
                d = ns.attributes
            default:
                for (n, pair) in try iterate(source).enumerated() {
                    let items = (try? iterate(pair)) ?? []
                    guard items.count == 2 else {
                        throw TemplateError(.value, "dictionary update sequence element #\(n) has length \(items.count); 2 is required")
                    }
                    _ = try DictKey(items[0])
                    d.set(items[0], items[1])
                }
            }
        }
        for (k, v) in args.keyword { d.set(.string(k), v) }
        try reserve(bytes: d.count * 32)
        return d
    }
}
