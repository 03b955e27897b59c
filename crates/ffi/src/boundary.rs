//! The checks every export makes before it trusts the host: pointers (NULL, alignment) and the
//! panic boundary.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::result::muxlink_result;

/// An export's body returns this; the boundary turns it into the result code.
pub(crate) type FfiResult = Result<(), muxlink_result>;

/// Runs an export's body: a panic becomes `MUXLINK_ERR_PANIC` instead of unwinding into C
/// (undefined behaviour) or aborting the host's process. The caller poisons the handle the
/// body worked on, if any.
///
/// Inlined into every export: `catch_unwind` costs nothing until a panic, and a call of its
/// own would be most of what a small export costs.
#[inline(always)]
pub(crate) fn guard(body: impl FnOnce() -> FfiResult) -> muxlink_result {
    // AssertUnwindSafe: after a panic nothing the body touched is used again; a handle is
    // poisoned by the caller and only freed afterwards.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => muxlink_result::MUXLINK_OK,
        Ok(Err(e)) => e,
        Err(_) => muxlink_result::MUXLINK_ERR_PANIC,
    }
}

/// A pointer the call needs: not NULL, aligned for `T`.
#[inline(always)]
pub(crate) fn required<T>(p: *const T) -> FfiResult {
    if p.is_null() {
        Err(muxlink_result::MUXLINK_ERR_NULL)
    } else if !p.is_aligned() {
        Err(muxlink_result::MUXLINK_ERR_MISALIGNED)
    } else {
        Ok(())
    }
}

/// A buffer given as pointer and length: NULL is allowed only with length 0, and the length
/// must fit a Rust slice (`isize::MAX` bytes).
#[inline(always)]
pub(crate) fn buffer(p: *const u8, len: usize) -> FfiResult {
    if p.is_null() && len > 0 {
        Err(muxlink_result::MUXLINK_ERR_NULL)
    } else if len > isize::MAX as usize {
        Err(muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT)
    } else {
        Ok(())
    }
}

/// Runs `f` with the panic hook silenced (tests that panic on purpose), one such test at a
/// time because the hook is global.
#[cfg(test)]
pub(crate) fn quietly<R>(f: impl FnOnce() -> R) -> R {
    static HOOK_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _serial = HOOK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = f();
    std::panic::set_hook(hook);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_code() {
        let r = quietly(|| guard(|| panic!("boom")));
        assert_eq!(r, muxlink_result::MUXLINK_ERR_PANIC);
        assert_eq!(guard(|| Ok(())), muxlink_result::MUXLINK_OK);
        assert_eq!(
            guard(|| Err(muxlink_result::MUXLINK_ERR_CLOSED)),
            muxlink_result::MUXLINK_ERR_CLOSED
        );
    }

    #[test]
    fn pointers_are_checked() {
        let x = 7u64;
        assert_eq!(required(&x as *const u64), Ok(()));
        assert_eq!(
            required(std::ptr::null::<u64>()),
            Err(muxlink_result::MUXLINK_ERR_NULL)
        );
        let odd = (&x as *const u64 as *const u8).wrapping_add(1) as *const u64;
        assert_eq!(required(odd), Err(muxlink_result::MUXLINK_ERR_MISALIGNED));
        assert_eq!(buffer(std::ptr::null(), 0), Ok(()));
        assert_eq!(
            buffer(std::ptr::null(), 1),
            Err(muxlink_result::MUXLINK_ERR_NULL)
        );
        let b = [0u8; 4];
        assert_eq!(
            buffer(b.as_ptr(), usize::MAX),
            Err(muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT)
        );
    }
}
