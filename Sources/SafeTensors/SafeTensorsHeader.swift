import Foundation

/// The validated header of a safetensors buffer.
///
/// Layout (huggingface/safetensors, "Format"): 8 bytes little-endian u64 N,
/// N bytes of UTF-8 JSON (`{name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}`,
/// possibly padded with spaces), then the data section. Everything is checked
/// here, before any tensor byte is touched, so readers can then index without
/// further checks.
struct SafeTensorsHeader {
    /// In data-offset order.
    let tensors: [TensorInfo]
    let metadata: [String: String]
    /// Byte offset of the data section from the start of the buffer (8 + N).
    let dataStart: Int

    init(buffer: UnsafeRawBufferPointer, file: String) throws {
        let size = buffer.count
        guard size >= 8 else { throw SafeTensorsError.truncated(file: file, size: size) }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(buffer[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(SafeTensorsLimits.maxHeaderBytes) else {
            throw SafeTensorsError.headerTooLarge(file: file, headerLength: n, limit: SafeTensorsLimits.maxHeaderBytes)
        }
        guard UInt64(size - 8) >= n else {
            throw SafeTensorsError.headerLengthPastEOF(file: file, headerLength: n, fileSize: size)
        }
        let headerLength = Int(n)
        dataStart = 8 + headerLength
        let dataSize = size - dataStart

        let json = Data(bytes: buffer.baseAddress! + 8, count: headerLength)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json, options: [])
        } catch {
            throw SafeTensorsError.headerNotJSON(file: file, reason: "\(error.localizedDescription)")
        }
        guard let root = object as? [String: Any] else {
            throw SafeTensorsError.headerNotJSON(file: file, reason: "top level is not an object")
        }

        var metadata: [String: String] = [:]
        var entries: [TensorInfo] = []
        entries.reserveCapacity(root.count)
        for (name, value) in root {
            if name == "__metadata__" {
                guard let dict = value as? [String: Any] else {
                    throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "__metadata__ must be an object of strings")
                }
                for (k, v) in dict {
                    guard let s = v as? String else {
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

    private static func entry(name: String, value: Any, file: String, dataSize: Int) throws -> TensorInfo {
        guard let dict = value as? [String: Any] else {
            throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "entry is not an object")
        }
        guard let dtypeString = dict["dtype"] as? String else {
            throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "missing or non-string 'dtype'")
        }
        guard let dtype = DType(rawValue: dtypeString) else {
            throw SafeTensorsError.unknownDType(file: file, tensor: name, dtype: dtypeString)
        }
        guard let shapeArray = dict["shape"] as? [Any] else {
            throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "missing or non-array 'shape'")
        }
        let shape = try shapeArray.map { try nonNegativeInt($0, file: file, tensor: name, field: "shape") }
        guard let offsetArray = dict["data_offsets"] as? [Any], offsetArray.count == 2 else {
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

    /// JSON numbers come back as NSNumber; accept only exact non-negative
    /// integers. Foundation reports JSON booleans with objCType "c" and
    /// fractional numbers (even `2.0`) with "d"; serde's `usize`, which the
    /// reference reader uses, rejects both.
    private static func nonNegativeInt(_ v: Any, file: String, tensor: String, field: String) throws -> Int {
        if let n = v as? NSNumber {
            let type = String(cString: n.objCType)
            if type != "c", type != "d", type != "f", n.int64Value >= 0 {
                return Int(n.int64Value)
            }
        }
        throw SafeTensorsError.invalidEntry(file: file, tensor: tensor, reason: "'\(field)' holds \(v), not a non-negative integer")
    }
}
