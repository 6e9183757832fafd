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
        if let problem = lora.problem { throw LlamaError.invalidBatch(problem) }
        let c = config
        // An adapter for another model would make the low-rank path read and
        // write out of bounds; loading validates this too, but the forward
        // pass must not trust its caller with memory safety.
        for group in lora.groups {
            for (id, module) in group.adapter.modules {
                guard id.layer >= 0, id.layer < c.numHiddenLayers else {
                    throw LlamaError.invalidBatch("adapter \(group.adapter.name) targets \(id), which this model does not have")
                }
                let shape = LlamaWeights.shape(of: id.kind, c)
                guard module.inFeatures == shape.inFeatures, module.outFeatures == shape.outFeatures else {
                    throw LlamaError.invalidBatch("adapter \(group.adapter.name): \(id) is (\(module.outFeatures), \(module.inFeatures)), the model's is \(shape)")
                }
            }
            for row in group.rows where row < 0 || row >= batch.count {
                throw LlamaError.invalidBatch("LoRA plan names row \(row) of a \(batch.count)-row batch")
            }
        }
        // Each sequence in order of first appearance with the position it
        // continues at; `slot` finds a sequence's entry.
        var order: [(sequence: SequenceState, next: Int)] = []
        var slot: [ObjectIdentifier: Int] = [:]
        for (i, row) in batch.enumerated() {
            let seq = row.sequence
            guard seq.layerCount == c.numHiddenLayers, seq.kvHeads == c.numKeyValueHeads, seq.headDim == c.headDim else {
                throw LlamaError.invalidBatch("row \(i): its sequence was made for a different model")
            }
            guard row.token >= 0, row.token < c.vocabSize else {
                throw LlamaError.invalidBatch("row \(i): token \(row.token) is outside the vocabulary (0..<\(c.vocabSize))")
            }
            let k = slot[ObjectIdentifier(seq), default: order.count]
            if k == order.count {
                slot[ObjectIdentifier(seq)] = k
                order.append((seq, seq.length))
            }
            let expected = order[k].next
            guard row.position == expected else {
                throw LlamaError.invalidBatch("row \(i): position \(row.position), but its sequence continues at \(expected)")
            }
            guard row.position < seq.capacity else {
                throw LlamaError.contextOverflow(position: row.position, capacity: seq.capacity)
            }
            order[k].next = expected + 1
        }
        return order.map { ($0.sequence, $0.next) }
    }
}
