//! Reused buffers for frame building: once warm, building a frame allocates nothing.

/// Buffers that live across frames.
#[derive(Debug, Default)]
pub(crate) struct FramePool {
    /// Dirty row indices of the frame being built.
    pub(crate) dirty: Vec<u16>,
}
