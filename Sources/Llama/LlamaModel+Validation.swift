import LoRA

extension LlamaModel {
    /// Checks a batch before anything is computed; returns each sequence's
    /// length after the step. Rows of one sequence must continue its cache in
    /// order: position = length, length + 1, …
    func validate(_ batch: [ForwardRow], lora: LoRABatchPlan) throws -> [(SequenceState, Int)] {
        guard !batch.isEmpty else { throw LlamaError.invalidBatch("no rows") }
        guard lora.isEmpty || lora.rowCount == batch.count else {
            throw LlamaError.invalidBatch("LoRA plan has \(lora.rowCount) rows, the batch \(batch.count)")
        }
        let c = config
        var next: [ObjectIdentifier: Int] = [:]
        var order: [SequenceState] = []
        for (i, row) in batch.enumerated() {
            let seq = row.sequence
            guard seq.layerCount == c.numHiddenLayers, seq.rowWidth == c.keyValueDim else {
                throw LlamaError.invalidBatch("row \(i): its sequence was made for a different model")
            }
            guard row.token >= 0, row.token < c.vocabSize else {
                throw LlamaError.invalidBatch("row \(i): token \(row.token) is outside the vocabulary (0..<\(c.vocabSize))")
            }
            let id = ObjectIdentifier(seq)
            let expected = next[id] ?? seq.length
            if next[id] == nil { order.append(seq) }
            guard row.position == expected else {
                throw LlamaError.invalidBatch("row \(i): position \(row.position), but its sequence continues at \(expected)")
            }
            guard row.position < seq.capacity else {
                throw LlamaError.contextOverflow(position: row.position, capacity: seq.capacity)
            }
            next[id] = expected + 1
        }
        return order.map { ($0, next[ObjectIdentifier($0)]!) }
    }
}
