import Llama
import LoRA

/// The live-merged adapters, the lease that keeps them alive, and the saved
/// W0 rows that undo the merge. Engine-thread state.
struct MergedLane {
    let spec: AdapterSpec
    let uses: [AdapterUse]
    let lease: AdapterLease
    /// The fold itself: `restore()` puts W0 back.
    let merge: LiveMerge
}
