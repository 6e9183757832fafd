/// A post-processor from tokenizer.json: adds the special tokens around an
/// encoded sequence when `add_special_tokens` is on.
indirect enum PostProcessor: Sendable {
    /// TemplateProcessing's `single` template: a list of pieces, each either
    /// fixed ids (a special token) or the sequence itself.
    case template([TemplatePiece])
    /// ByteLevel only adjusts offsets; ids are unchanged.
    case byteLevel
    case sequence([PostProcessor])

    enum TemplatePiece: Sendable {
        case ids([Int])
        case sequence
    }

    func process(_ ids: [Int]) -> [Int] {
        switch self {
        case let .template(pieces):
            var out: [Int] = []
            out.reserveCapacity(ids.count + pieces.count)
            for piece in pieces {
                switch piece {
                case let .ids(special): out.append(contentsOf: special)
                case .sequence: out.append(contentsOf: ids)
                }
            }
            return out
        case .byteLevel:
            return ids
        case let .sequence(steps):
            return steps.reduce(ids) { $1.process($0) }
        }
    }

    /// The ids placed before the sequence (the BOS a template adds), if any.
    var leadingIds: [Int] {
        switch self {
        case let .template(pieces):
            var out: [Int] = []
            for piece in pieces {
                guard case let .ids(ids) = piece else { break }
                out.append(contentsOf: ids)
            }
            return out
        case .byteLevel:
            return []
        case let .sequence(steps):
            return steps.flatMap(\.leadingIds)
        }
    }
}
