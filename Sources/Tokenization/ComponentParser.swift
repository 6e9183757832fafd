import OrderedJSON

/// Reads the typed components of tokenizer.json (the `type`-tagged objects).
/// Unknown types fail with `TokenizerError.unsupportedComponent`.
enum ComponentParser {
    static func normalizer(_ node: JSONNode) throws -> Normalizer {
        let type = try node.type()
        switch type {
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "Prepend": return .prepend(try node.required("prepend").string())
        case "Replace":
            return .replace(pattern: try literalPattern(node.required("pattern"), component: "normalizer Replace"),
                            content: try node.required("content").string())
        case "Strip":
            return .strip(left: try node.bool("strip_left", default: true), right: try node.bool("strip_right", default: true))
        case "Sequence":
            return .sequence(try node.required("normalizers").array().map(normalizer))
        default:
            throw TokenizerError.unsupportedComponent(component: "normalizer (\(node.path))", type: type)
        }
    }

    static func preTokenizer(_ node: JSONNode) throws -> PreTokenizer {
        let type = try node.type()
        switch type {
        case "Split":
            let patternNode = try node.required("pattern")
            let pattern: SplitPattern
            if let regex = patternNode.optional("Regex") {
                pattern = try SplitPattern.regex(regex.string(), component: "pre_tokenizer Split (\(node.path))")
            } else {
                pattern = .literal(Array(try literalPattern(patternNode, component: "pre_tokenizer Split").unicodeScalars))
            }
            let behaviorName = try node.required("behavior").string()
            guard let behavior = SplitBehavior(rawValue: behaviorName) else {
                throw TokenizerError.invalidField(path: "\(node.path).behavior",
                                                  expected: "Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous (got \(behaviorName))")
            }
            return .split(pattern: pattern, behavior: behavior, invert: try node.bool("invert", default: false))
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: try node.bool("add_prefix_space", default: true),
                              useRegex: try node.bool("use_regex", default: true))
        case "Metaspace":
            return .metaspace(replacement: try replacement(node), prepend: try prependScheme(node),
                              split: try node.bool("split", default: true))
        case "Digits":
            return .digits(individual: try node.bool("individual_digits", default: false))
        case "WhitespaceSplit":
            return .whitespaceSplit
        case "Sequence":
            return .sequence(try node.required("pretokenizers").array().map(preTokenizer))
        default:
            throw TokenizerError.unsupportedComponent(component: "pre_tokenizer (\(node.path))", type: type)
        }
    }

    static func decoder(_ node: JSONNode) throws -> TokenDecoder {
        let type = try node.type()
        switch type {
        case "ByteLevel": return .byteLevel
        case "Metaspace":
            return .metaspace(replacement: try replacement(node), stripFirst: try prependScheme(node) != .never)
        case "Replace":
            return .replace(pattern: try literalPattern(node.required("pattern"), component: "decoder Replace"),
                            content: try node.required("content").string())
        case "ByteFallback": return .byteFallback
        case "Fuse": return .fuse
        case "Strip":
            let content = try node.required("content").string().unicodeScalars
            guard content.count == 1, let c = content.first else {
                throw TokenizerError.invalidField(path: "\(node.path).content", expected: "a single character")
            }
            return .strip(content: c, start: try node.int("start", default: 0), stop: try node.int("stop", default: 0))
        case "BPEDecoder":
            return .bpeSuffix(try node.string("suffix", default: "</w>"))
        case "Sequence":
            return .sequence(try node.required("decoders").array().map(decoder))
        default:
            throw TokenizerError.unsupportedComponent(component: "decoder (\(node.path))", type: type)
        }
    }

    static func postProcessor(_ node: JSONNode) throws -> PostProcessor {
        let type = try node.type()
        switch type {
        case "TemplateProcessing":
            let specials = node.optional("special_tokens")
            var pieces: [PostProcessor.TemplatePiece] = []
            for item in try node.required("single").array() {
                if let special = item.optional("SpecialToken") {
                    let name = try special.required("id").string()
                    guard let entry = specials?.optional(name) else {
                        throw TokenizerError.invalidField(path: specials?.path ?? node.path + ".special_tokens",
                            expected: "an entry for \(name.debugDescription), the special token \(item.path) names")
                    }
                    let ids = try entry.required("ids").array().map { try $0.int() }
                    pieces.append(.ids(ids))
                } else if item.optional("Sequence") != nil {
                    pieces.append(.sequence)
                } else {
                    throw TokenizerError.invalidField(path: item.path, expected: "a SpecialToken or Sequence template piece")
                }
            }
            return .template(pieces)
        case "RobertaProcessing", "BertProcessing":
            // Both hold [token, id] pairs: single = cls $A sep.
            func pair(_ key: String) throws -> Int {
                let parts = try node.required(key).array()
                guard parts.count == 2 else { throw TokenizerError.invalidField(path: "\(node.path).\(key)", expected: "[token, id]") }
                return try parts[1].int()
            }
            return .template([.ids([try pair("cls")]), .sequence, .ids([try pair("sep")])])
        case "ByteLevel":
            return .byteLevel
        case "Sequence":
            return .sequence(try node.required("processors").array().map(postProcessor))
        default:
            throw TokenizerError.unsupportedComponent(component: "post_processor (\(node.path))", type: type)
        }
    }

    /// A `{"String": …}` pattern; a `{"Regex": …}` one is not supported here.
    private static func literalPattern(_ node: JSONNode, component: String) throws -> String {
        if let s = node.optional("String") { return try s.string() }
        if let r = node.optional("Regex") {
            throw TokenizerError.unsupportedPattern(component: "\(component) (\(node.path))", pattern: try r.string())
        }
        throw TokenizerError.invalidField(path: node.path, expected: "{\"String\": …} or {\"Regex\": …}")
    }

    private static func replacement(_ node: JSONNode) throws -> Unicode.Scalar {
        let s = try node.string("replacement", default: "▁").unicodeScalars
        guard s.count == 1, let c = s.first else {
            throw TokenizerError.invalidField(path: "\(node.path).replacement", expected: "a single character")
        }
        return c
    }

    /// `prepend_scheme`, or the legacy `add_prefix_space` (true → always).
    private static func prependScheme(_ node: JSONNode) throws -> PreTokenizer.PrependScheme {
        if let s = node.optional("prepend_scheme") {
            let name = try s.string()
            guard let scheme = PreTokenizer.PrependScheme(rawValue: name) else {
                throw TokenizerError.invalidField(path: s.path, expected: "first, always or never (got \(name))")
            }
            return scheme
        }
        return try node.bool("add_prefix_space", default: true) ? .always : .never
    }
}
