//! muxlink's C ABI: `libmuxlink.so`, `libmuxlink.a` and `include/muxlink.h`.
//!
//! This is the seed of the C ABI: the names that code outside the project compiles against
//! (the ABI version, the result codes, the client configuration, a client that is fed tmux's
//! control-mode output and answers with a pane's row text) and the allocator hook. The rest of
//! the runtime (commands, events, frames, drive modes) joins it on top of the same conventions.
//!
//! # Conventions (the header repeats them)
//!
//! - Every name starts with `muxlink_` (`MUXLINK_` for constants). Handles are opaque.
//! - Every function that can fail returns [`muxlink_result`]; [`muxlink_result::MUXLINK_OK`]
//!   is zero and [`muxlink_result_str`] names every code.
//! - Option structs start with `size_t size` and `uint32_t abi_version`, are filled by their
//!   `_init` function, and are checked (size, version, every field's range) before use.
//! - Strings and buffers are a pointer and a length; nothing relies on a NUL terminator.
//! - `_free(NULL)` does nothing. What muxlink allocates muxlink frees; what the host allocates
//!   the host frees. Pointers muxlink receives are borrowed for the call only unless a
//!   function says otherwise.
//! - Every export checks its pointers (NULL, alignment) and runs inside a panic boundary: a
//!   panic becomes [`muxlink_result::MUXLINK_ERR_PANIC`] and the handle it happened on
//!   refuses every later call with [`muxlink_result::MUXLINK_ERR_POISONED`] (it can still be
//!   freed).
//! - A handle is used by one thread at a time.
//!
//! # ABI versions
//!
//! [`MUXLINK_ABI_VERSION`] changes whenever a struct muxlink fills (an `_init` function)
//! changes its layout, or any other change would break a host compiled against an older
//! header. A host checks `muxlink_abi_version() == MUXLINK_ABI_VERSION` once, before its
//! first other call (an `_init` function writes the struct as this library lays it out).
//! Adding a function (with structs only it uses) keeps the version: a host built against the
//! older header never calls it, and one that does needs this library (its symbol) anyway.
//! Version 1 gained `muxlink_frame_rows` and `muxlink_row` that way.
//!
//! # Example
//!
//! The calls a C host makes, here from Rust: make a decode-only client, feed it a recorded
//! `tmux -C` stream, read a row.
//!
//! ```
//! use muxlink::*;
//! use std::mem::MaybeUninit;
//!
//! assert_eq!(muxlink_abi_version(), MUXLINK_ABI_VERSION);
//! let mut config = MaybeUninit::uninit();
//! // SAFETY: a writable struct, filled by init.
//! let mut config = unsafe {
//!     muxlink_client_config_init(config.as_mut_ptr());
//!     config.assume_init()
//! };
//! config.handshake = 0; // decode only, as `muxlink replay` does
//!
//! let mut client = std::ptr::null_mut();
//! // SAFETY: valid pointers for the duration of each call; the client is freed once.
//! unsafe {
//!     assert_eq!(muxlink_client_new(&config, &mut client), muxlink_result::MUXLINK_OK);
//!     let stream = b"%layout-change @0 b25d,80x24,0,0,0 b25d,80x24,0,0,0 *\n\
//!                    %output %0 hello\\015\\012world\n";
//!     assert_eq!(
//!         muxlink_client_feed(client, stream.as_ptr(), stream.len()),
//!         muxlink_result::MUXLINK_OK
//!     );
//!     let mut row = [0u8; 80];
//!     let mut len = 0;
//!     let r = muxlink_client_pane_row_text(client, 0, 1, row.as_mut_ptr(), row.len(), &mut len);
//!     assert_eq!(r, muxlink_result::MUXLINK_OK);
//!     assert_eq!(&row[..len], b"world");
//!     muxlink_client_free(client);
//! }
//! ```
//!
//! # Events and the render state, pulled
//!
//! A host takes events when it is ready; on `MUXLINK_EVENT_FRAME_READY` it pulls the pane's
//! render state and reads the dirty rows as `#[repr(C)]` cells, borrowed until its next call
//! on the client that is not read-only.
//!
//! ```
//! use muxlink::*;
//! use std::mem::MaybeUninit;
//!
//! // SAFETY (whole example): every pointer is a live local or what muxlink returned, used
//! // before the next call on the client that could invalidate it; the client is freed once.
//! unsafe {
//!     let mut config = MaybeUninit::uninit();
//!     muxlink_client_config_init(config.as_mut_ptr());
//!     let mut config = config.assume_init();
//!     config.handshake = 0;
//!     let mut client = std::ptr::null_mut();
//!     assert_eq!(muxlink_client_new(&config, &mut client), muxlink_result::MUXLINK_OK);
//!     let stream = b"%layout-change @0 b25d,80x24,0,0,0 b25d,80x24,0,0,0 *\n\
//!                    %output %0 \\033[1mbold\\033[m text\n";
//!     muxlink_client_feed(client, stream.as_ptr(), stream.len());
//!
//!     let mut event = MaybeUninit::uninit();
//!     muxlink_event_init(event.as_mut_ptr());
//!     let mut event = event.assume_init();
//!     let mut state = MaybeUninit::uninit();
//!     muxlink_render_state_init(state.as_mut_ptr());
//!     let mut state = state.assume_init();
//!     let mut first_row = Vec::new();
//!     loop {
//!         assert_eq!(muxlink_client_next_event(client, &mut event), muxlink_result::MUXLINK_OK);
//!         match event.kind {
//!             MUXLINK_EVENT_NONE => break,
//!             MUXLINK_EVENT_FRAME_READY => {
//!                 let r = muxlink_client_pull_frame(client, event.pane, &mut state);
//!                 assert_eq!(r, muxlink_result::MUXLINK_OK);
//!                 let dirty = std::slice::from_raw_parts(state.dirty_rows, state.dirty_len);
//!                 assert!(dirty.contains(&0));
//!                 let (mut cells, mut len) = (std::ptr::null(), 0);
//!                 muxlink_frame_row(state.frame, 0, &mut cells, &mut len);
//!                 first_row = std::slice::from_raw_parts(cells, len).to_vec();
//!             }
//!             _ => {}
//!         }
//!     }
//!     assert_eq!(first_row.len(), 80);
//!     assert_eq!(char::from_u32(first_row[0].ch), Some('b'));
//!     assert_ne!(first_row[0].attrs, first_row[5].attrs, "bold, then plain");
//!     muxlink_client_free(client);
//! }
//! ```
//!
//! # Sans-I/O: the bytes for tmux
//!
//! A client the host drives itself queues its commands; the host writes them to tmux's
//! stdin and says how much it wrote.
//!
//! ```
//! use muxlink::*;
//! use std::mem::MaybeUninit;
//!
//! // SAFETY (whole example): as above.
//! unsafe {
//!     let mut config = MaybeUninit::uninit();
//!     muxlink_client_config_init(config.as_mut_ptr()); // handshake on
//!     let mut client = std::ptr::null_mut();
//!     muxlink_client_new(config.as_ptr(), &mut client);
//!     // tmux's answer to the command `tmux -C` starts with.
//!     let hello = b"%begin 1 1 0\n%end 1 1 0\n";
//!     muxlink_client_feed(client, hello.as_ptr(), hello.len());
//!     let (mut bytes, mut len) = (std::ptr::null(), 0);
//!     muxlink_client_outgoing(client, &mut bytes, &mut len);
//!     assert!(len > 0, "the attach commands wait");
//!     let written = std::slice::from_raw_parts(bytes, len).to_vec(); // write(2) them
//!     assert!(written.ends_with(b"\n"), "whole command lines");
//!     muxlink_client_consume_outgoing(client, len);
//!     muxlink_client_outgoing(client, &mut bytes, &mut len);
//!     assert_eq!(len, 0);
//!     muxlink_client_free(client);
//! }
//! ```
//!
//! # The header
//!
//! `include/muxlink.h` is generated from this crate by cbindgen (`cbindgen.toml`) and
//! committed; `tests/header.rs` fails when it is stale.
#![deny(missing_docs)]
// The exported names are C's (`muxlink_client`, `MUXLINK_OK`), as the header shows them.
#![allow(non_camel_case_types)]

mod alloc;
mod backend;
mod boundary;
mod client;
mod config;
mod driver;
mod event;
mod frame;
mod host;
mod inbox;
mod ops;
mod probe;
mod query;
mod remote;
mod result;
mod sized;
mod sync;
mod transport;
mod userdata;

pub use alloc::{
    muxlink_allocator, muxlink_allocator_init, muxlink_allocator_init_sized, muxlink_set_allocator,
};
pub use backend::*;
pub use client::*;
pub use config::*;
pub use driver::{muxlink_call_fn, muxlink_write_fn};
pub use event::*;
pub use frame::*;
pub use host::*;
pub use ops::*;
pub use query::*;
pub use remote::*;
pub use result::{muxlink_result, muxlink_result_str, muxlink_result_t};
pub use transport::*;
pub use userdata::muxlink_destroy_fn;

/// The ABI version this header and library describe. See `muxlink_abi_version`.
pub const MUXLINK_ABI_VERSION: u32 = 1;

/// The ABI version of the library that is loaded, to compare with the header's
/// `MUXLINK_ABI_VERSION` before any other call: a host built against another header must not
/// call on. Costs nothing; never fails.
#[no_mangle]
pub extern "C" fn muxlink_abi_version() -> u32 {
    MUXLINK_ABI_VERSION
}

/// A C `bool` as muxlink reads it from the host's memory: one byte, zero is false and any other
/// value true (so a byte that is neither 0 nor 1 is not undefined behaviour on the Rust side).
/// The header spells it `bool`.
pub type muxlink_bool_t = u8;

#[cfg(test)]
mod layout_tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    /// The C layout the header promises for ABI version 1 on 64-bit targets (the C harness
    /// checks the same numbers from the C side).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn structs_have_the_documented_layout() {
        assert_eq!(size_of::<muxlink_client_config>(), 48);
        assert_eq!(align_of::<muxlink_client_config>(), 8);
        assert_eq!(offset_of!(muxlink_client_config, abi_version), 8);
        assert_eq!(offset_of!(muxlink_client_config, cols), 12);
        assert_eq!(offset_of!(muxlink_client_config, rows), 14);
        assert_eq!(offset_of!(muxlink_client_config, output_mode), 16);
        assert_eq!(offset_of!(muxlink_client_config, frames), 20);
        assert_eq!(offset_of!(muxlink_client_config, history_limit), 24);
        assert_eq!(offset_of!(muxlink_client_config, handshake), 36);
        assert_eq!(offset_of!(muxlink_client_config, auto_resume), 41);
        assert_eq!(size_of::<muxlink_event>(), 104);
        assert_eq!(offset_of!(muxlink_event, kind), 12);
        assert_eq!(offset_of!(muxlink_event, data), 72);
        assert_eq!(size_of::<muxlink_render_state>(), 80);
        assert_eq!(size_of::<muxlink_cell>(), 16);
        assert_eq!(size_of::<muxlink_row>(), 16);
        assert_eq!(offset_of!(muxlink_row, len), 8);
        assert_eq!(size_of::<muxlink_backend>(), 64);
        assert_eq!(size_of::<muxlink_callbacks>(), 48);
        assert_eq!(size_of::<muxlink_allocator>(), 48);
        assert_eq!(offset_of!(muxlink_allocator, ctx), 16);
        assert_eq!(offset_of!(muxlink_allocator, free), 40);
        assert_eq!(size_of::<muxlink_result>(), size_of::<std::ffi::c_int>());
        assert_eq!(muxlink_abi_version(), MUXLINK_ABI_VERSION);
    }
}
