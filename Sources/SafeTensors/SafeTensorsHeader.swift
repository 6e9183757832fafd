import OrderedJSON

/// The validated header of a safetensors buffer.
///
/// Layout (huggingface/safetensors, "Format"): 8 bytes little-endian u64 N,
/// N bytes of UTF-8 JSON (`{name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}`,
/// possibly padded with spaces), then the data section. Everything is checked
/// here, before any tensor byte is touched, so readers can then index without
/// further checks. N is bounded by `SafeTensorsLimits` before a byte of the
/// JSON is parsed, and the JSON is read by OrderedJSON (no Foundation object
/// graph): memory stays proportional to the limit, not to what a file claims.
struct SafeTensorsHeader {
    /// In data-offset order.
    let tensors: [TensorInfo]
    let metadata: [String: String]
    /// Byte offset of the data section from the start of the buffer (8 + N).
    let dataStart: Int

    /// serde_json, which the reference reader uses, refuses NaN and accepts
    /// any nesting; a valid header nests three levels.
    private static let jsonOptions = JSONParseOptions(maxDepth: 8, rejectDuplicateKeys: true)

    init(buffer: UnsafeRawBufferPointer, file: String, limits: SafeTensorsLimits) throws {
        let size = buffer.count
        guard size >= 8, let base = buffer.baseAddress else { throw SafeTensorsError.truncated(file: file, size: size) }
        try limits.checkDeclaredHeader(buffer, file: file)
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(buffer[i]) << (8 * UInt64(i)) }
        guard UInt64(size - 8) >= n else {
            throw SafeTensorsError.headerLengthPastEOF(file: file, headerLength: n, fileSize: size)
        }
        let headerLength = Int(n)
        dataStart = 8 + headerLength
        let dataSize = size - dataStart

        let root: JSONValue
        do {
            root = try JSONValue.parse(Array(UnsafeRawBufferPointer(start: base + 8, count: headerLength)),
                                       options: Self.jsonOptions)
        } catch {
            if let name = error.duplicateKey {
                throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "the name appears twice in the header")
            }
            throw SafeTensorsError.headerNotJSON(file: file, reason: error.description)
        }
        guard case .object(let members) = root else {
            throw SafeTensorsError.headerNotJSON(file: file, reason: "top level is \(root.brief), not an object")
        }
        let entryCount = members.count - (root["__metadata__"] == nil ? 0 : 1)
        guard entryCount <= limits.maxTensors else {
            throw SafeTensorsError.tooManyTensors(file: file, count: entryCount, limit: limits.maxTensors)
        }

        var metadata: [String: String] = [:]
        var entries: [TensorInfo] = []
        entries.reserveCapacity(entryCount)
        for (name, value) in members {
            if name == "__metadata__" {
                guard case .object(let pairs) = value else {
                    throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "__metadata__ must be an object of strings")
                }
                for (k, v) in pairs {
                    guard case .string(let s) = v else {
                        throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "__metadata__ value for '\(k)' is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries.append(try Self.entry(name: name, value: value, file: file, dataSize: dataSize))
        }
        entries.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name) }

        // Tensors must tile the data section exactly: no overlap, no hole, no
        // trailing bytes (safetensors `Metadata::validate`).
        var end = 0
        var previous: String? = nil
        for t in entries {
            if t.dataOffsets.lowerBound < end, let previous {
                throw SafeTensorsError.overlappingTensors(file: file, first: previous, second: t.name)
            }
            if t.dataOffsets.lowerBound != end {
                throw SafeTensorsError.gapInData(file: file, tensor: t.name, expectedOffset: end, actualOffset: t.dataOffsets.lowerBound)
            }
            end = t.dataOffsets.upperBound
            previous = t.name
        }
        if end != dataSize {
            throw SafeTensorsError.trailingBytes(file: file, dataEnd: end, dataSize: dataSize)
        }
        tensors = entries
        self.metadata = metadata
    }

    private static func entry(name: String, value: JSONValue, file: String, dataSize: Int) throws -> TensorInfo {
        guard case .object = value else {
            throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "entry is not an object")
        }
        guard case .string(let dtypeString)? = value["dtype"] else {
            throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "missing or non-string 'dtype'")
        }
        guard let dtype = DType(rawValue: dtypeString) else {
            throw SafeTensorsError.unknownDType(file: file, tensor: name, dtype: dtypeString)
        }
        guard case .array(let shapeArray)? = value["shape"] else {
            throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "missing or non-array 'shape'")
        }
        let shape = try shapeArray.map { try nonNegativeInt($0, file: file, tensor: name, field: "shape") }
        guard case .array(let offsetArray)? = value["data_offsets"], offsetArray.count == 2 else {
            throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "'data_offsets' must be [begin, end]")
        }
        let begin = try nonNegativeInt(offsetArray[0], file: file, tensor: name, field: "data_offsets")
        let end = try nonNegativeInt(offsetArray[1], file: file, tensor: name, field: "data_offsets")
        guard begin <= end, end <= dataSize else {
            throw SafeTensorsError.offsetsOutOfRange(file: file, tensor: name, offsets: [begin, end], dataSize: dataSize)
        }
        // Overflow-checked: a hostile shape must not wrap around to a small size.
        var expected = dtype.byteSize
        for d in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "shape \(shape) overflows")
            }
            expected = product
        }
        guard expected == end - begin else {
            throw SafeTensorsError.sizeMismatch(file: file, tensor: name, shape: shape, dtype: dtypeString,
                                                expectedBytes: expected, actualBytes: end - begin)
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// Only exact non-negative integers: serde's `usize`, which the reference
    /// reader uses, refuses booleans, fractions and even `2.0`; a number too
    /// large for `Int` parses as a float and is refused here too.
    private static func nonNegativeInt(_ v: JSONValue, file: String, tensor: String, field: String) throws -> Int {
        guard case .integer(let n) = v, n >= 0 else {
            throw SafeTensorsError.invalidEntry(file: file, tensor: tensor, reason: "'\(field)' holds \(v.brief), not a non-negative integer")
        }
        return n
    }
}
