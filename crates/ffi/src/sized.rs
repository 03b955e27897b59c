//! Sized, versioned structs: every struct the host fills (or that muxlink fills for it) starts
//! with `size_t size` and `uint32_t abi_version`.
//!
//! The growth rule: an `_init_sized(p, size)` function takes the caller's `sizeof`, and the
//! header's `_init(p)` macros pass it, so a newer library never writes past an older host's
//! struct; reading checks the size and version before any other field, so an older library
//! never reads past a newer host's struct. Today every struct has one layout (ABI version 1);
//! a later version adds fields at the end and accepts each older `(abi_version, size)` pair.

use std::mem::size_of;

use crate::result::muxlink_result;
use crate::MUXLINK_ABI_VERSION;

/// A `#[repr(C)]` struct that starts with `size: usize` and `abi_version: u32`, and for which
/// every bit pattern of every field is valid (integers, raw pointers, optional function
/// pointers, `u8` booleans).
///
/// # Safety
/// The implementor guarantees the layout and the validity of every bit pattern.
pub(crate) unsafe trait Sized: Copy {
    /// The defaults its `_init` writes (with `size` and `abi_version` set).
    fn defaults() -> Self;
}

/// Offset of `abi_version` in every sized struct.
const VERSION_OFFSET: usize = size_of::<usize>();

/// Reads a host's struct: size and version first, so nothing past the host's struct is read.
///
/// # Safety
/// `p` passed [`crate::boundary::required`] and points to at least `size_of::<usize>()`
/// readable bytes, and to `(*p).size` readable bytes.
pub(crate) unsafe fn read<T: Sized>(p: *const T) -> Result<T, muxlink_result> {
    // SAFETY: the first field is readable (the caller's promise).
    let size = unsafe { p.cast::<usize>().read() };
    if size < VERSION_OFFSET + size_of::<u32>() {
        return Err(muxlink_result::MUXLINK_ERR_STRUCT_SIZE);
    }
    // SAFETY: `size` covers the version field, and `size` bytes are readable.
    let version = unsafe { p.cast::<u8>().add(VERSION_OFFSET).cast::<u32>().read() };
    if version != MUXLINK_ABI_VERSION {
        return Err(muxlink_result::MUXLINK_ERR_ABI_VERSION);
    }
    if size != size_of::<T>() {
        return Err(muxlink_result::MUXLINK_ERR_STRUCT_SIZE);
    }
    // SAFETY: the whole struct is readable, and every bit pattern is valid (`Sized`).
    Ok(unsafe { p.read() })
}

/// Checks the size and version of a struct muxlink writes for the host (events, render
/// states): the host filled them with `_init`.
///
/// # Safety
/// As for [`read`].
pub(crate) unsafe fn check_out<T: Sized>(p: *mut T) -> Result<(), muxlink_result> {
    // SAFETY: forwarded.
    unsafe { read(p.cast_const()) }.map(|_| ())
}

/// `_init_sized`: writes the defaults when `size` is this library's size of `T`; otherwise
/// writes nothing and refuses (a size no version of this library knows).
///
/// # Safety
/// `p` passed [`crate::boundary::required`] and points to `size` writable bytes.
pub(crate) unsafe fn init<T: Sized>(p: *mut T, size: usize) -> Result<(), muxlink_result> {
    if size != size_of::<T>() {
        return Err(muxlink_result::MUXLINK_ERR_STRUCT_SIZE);
    }
    // SAFETY: `size` writable bytes (the caller's promise), which is the whole struct.
    // Zeroing first gives the padding a known value too.
    unsafe {
        p.write_bytes(0, 1);
        p.write(T::defaults());
    }
    Ok(())
}
