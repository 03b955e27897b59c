//! The one result type of the C ABI and its names.

use std::ffi::{c_char, c_int, CStr};

/// What a call did. `MUXLINK_OK` is zero; every other value is an error, and an error leaves
/// every out-parameter and handle as the function's documentation says (usually untouched).
/// New codes may be added at the end; `muxlink_result_str` names any value, known or not.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum muxlink_result {
    /// Success.
    MUXLINK_OK = 0,
    /// A pointer the call needs was NULL.
    MUXLINK_ERR_NULL = 1,
    /// A pointer was not aligned for the type it points to.
    MUXLINK_ERR_MISALIGNED = 2,
    /// A sized struct's `size` is not the size this library knows for its `abi_version`.
    MUXLINK_ERR_STRUCT_SIZE = 3,
    /// A sized struct's `abi_version` is not `MUXLINK_ABI_VERSION` of this library.
    MUXLINK_ERR_ABI_VERSION = 4,
    /// A value is outside its documented range (a size, a mode, a length).
    MUXLINK_ERR_INVALID_ARGUMENT = 5,
    /// muxlink panicked (a bug in muxlink; please report it). The handle the call was made
    /// on is poisoned: it refuses every later call but `_free`.
    MUXLINK_ERR_PANIC = 6,
    /// The handle panicked in an earlier call and refuses further use; free it.
    MUXLINK_ERR_POISONED = 7,
    /// The caller's buffer is too small; the length needed was written to `*out_len`.
    MUXLINK_ERR_BUFFER_TOO_SMALL = 8,
    /// No pane with that id is known (never seen, or closed).
    MUXLINK_ERR_NO_SUCH_PANE = 9,
    /// A row, column or index is past the end of what it addresses.
    MUXLINK_ERR_OUT_OF_RANGE = 10,
    /// The pane has no grid: the client runs in bytes mode, where the host emulates panes.
    MUXLINK_ERR_NO_GRID = 11,
    /// The client has closed (tmux sent `%exit`, or the stream ended): it takes no more input.
    /// Its state can still be read.
    MUXLINK_ERR_CLOSED = 12,
    /// `muxlink_set_allocator` came too late (muxlink has already allocated) or twice.
    MUXLINK_ERR_ALLOCATOR_IN_USE = 13,
    /// This build of the library lacks the feature asked for.
    MUXLINK_ERR_UNSUPPORTED = 14,
}

/// A `muxlink_result` as a function receives it from the host: a plain integer, because a C
/// caller may pass any value and a Rust enum must not hold one it does not list. The header
/// spells it `muxlink_result`.
pub type muxlink_result_t = c_int;

impl muxlink_result {
    /// Every code, in value order (for tests and for `muxlink_result_str`).
    pub(crate) const ALL: [muxlink_result; 15] = [
        muxlink_result::MUXLINK_OK,
        muxlink_result::MUXLINK_ERR_NULL,
        muxlink_result::MUXLINK_ERR_MISALIGNED,
        muxlink_result::MUXLINK_ERR_STRUCT_SIZE,
        muxlink_result::MUXLINK_ERR_ABI_VERSION,
        muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT,
        muxlink_result::MUXLINK_ERR_PANIC,
        muxlink_result::MUXLINK_ERR_POISONED,
        muxlink_result::MUXLINK_ERR_BUFFER_TOO_SMALL,
        muxlink_result::MUXLINK_ERR_NO_SUCH_PANE,
        muxlink_result::MUXLINK_ERR_OUT_OF_RANGE,
        muxlink_result::MUXLINK_ERR_NO_GRID,
        muxlink_result::MUXLINK_ERR_CLOSED,
        muxlink_result::MUXLINK_ERR_ALLOCATOR_IN_USE,
        muxlink_result::MUXLINK_ERR_UNSUPPORTED,
    ];

    /// The code with this value, if there is one.
    pub(crate) fn from_raw(raw: muxlink_result_t) -> Option<muxlink_result> {
        usize::try_from(raw)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }

    /// A static description: the constant's name, a colon, what it means.
    pub(crate) fn describe(self) -> &'static CStr {
        use muxlink_result::*;
        match self {
            MUXLINK_OK => c"MUXLINK_OK: success",
            MUXLINK_ERR_NULL => c"MUXLINK_ERR_NULL: a pointer the call needs was NULL",
            MUXLINK_ERR_MISALIGNED => {
                c"MUXLINK_ERR_MISALIGNED: a pointer was not aligned for its type"
            }
            MUXLINK_ERR_STRUCT_SIZE => {
                c"MUXLINK_ERR_STRUCT_SIZE: a struct's size field does not match this library"
            }
            MUXLINK_ERR_ABI_VERSION => {
                c"MUXLINK_ERR_ABI_VERSION: a struct's abi_version does not match this library"
            }
            MUXLINK_ERR_INVALID_ARGUMENT => {
                c"MUXLINK_ERR_INVALID_ARGUMENT: a value is outside its range"
            }
            MUXLINK_ERR_PANIC => {
                c"MUXLINK_ERR_PANIC: muxlink panicked (a bug); the handle is poisoned"
            }
            MUXLINK_ERR_POISONED => {
                c"MUXLINK_ERR_POISONED: the handle panicked earlier and refuses further use"
            }
            MUXLINK_ERR_BUFFER_TOO_SMALL => {
                c"MUXLINK_ERR_BUFFER_TOO_SMALL: the buffer is too small; *out_len has the length needed"
            }
            MUXLINK_ERR_NO_SUCH_PANE => c"MUXLINK_ERR_NO_SUCH_PANE: no pane with that id",
            MUXLINK_ERR_OUT_OF_RANGE => {
                c"MUXLINK_ERR_OUT_OF_RANGE: a row or index is past the end"
            }
            MUXLINK_ERR_NO_GRID => {
                c"MUXLINK_ERR_NO_GRID: the pane has no grid (the client is in bytes mode)"
            }
            MUXLINK_ERR_CLOSED => {
                c"MUXLINK_ERR_CLOSED: the client has closed and takes no more input"
            }
            MUXLINK_ERR_ALLOCATOR_IN_USE => {
                c"MUXLINK_ERR_ALLOCATOR_IN_USE: muxlink has already allocated; set the allocator first"
            }
            MUXLINK_ERR_UNSUPPORTED => {
                c"MUXLINK_ERR_UNSUPPORTED: this build of muxlink lacks the feature"
            }
        }
    }
}

/// A static, NUL-terminated description of a result code (its constant's name, then what it
/// means), for logs. Any value is accepted; one this library does not know gives
/// "unknown muxlink_result". The string lives as long as the library; never free it.
/// Costs nothing; never fails.
#[no_mangle]
pub extern "C" fn muxlink_result_str(result: muxlink_result_t) -> *const c_char {
    match muxlink_result::from_raw(result) {
        Some(r) => r.describe().as_ptr(),
        None => c"unknown muxlink_result".as_ptr(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_value_and_name() {
        for (i, r) in muxlink_result::ALL.iter().enumerate() {
            assert_eq!(*r as i32, i as i32);
            assert_eq!(muxlink_result::from_raw(i as c_int), Some(*r));
            let name = format!("{r:?}");
            let text = r.describe().to_str().unwrap();
            assert!(text.starts_with(&format!("{name}: ")), "{text}");
        }
    }

    #[test]
    fn unknown_values_are_named_not_trusted() {
        for raw in [
            -1,
            muxlink_result::ALL.len() as c_int,
            9999,
            c_int::MIN,
            c_int::MAX,
        ] {
            assert_eq!(muxlink_result::from_raw(raw), None);
            // SAFETY: muxlink_result_str returns a pointer to a static C string.
            let s = unsafe { CStr::from_ptr(muxlink_result_str(raw)) };
            assert_eq!(s.to_str().unwrap(), "unknown muxlink_result");
        }
    }
}
