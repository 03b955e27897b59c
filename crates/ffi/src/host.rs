//! The host side of a client as the C ABI sees it: events queued for pulling, or pushed to
//! the host's callbacks; frames pushed to `on_frame` when the client pushes frames.

use std::ffi::c_void;
use std::mem::size_of;

use muxlink_runtime::{ClientEvent, EventQueue, Frame, Host};

use crate::event::muxlink_event;
use crate::frame::muxlink_render_state;
use crate::result::muxlink_result;
use crate::sized;
use crate::userdata::{muxlink_destroy_fn, Userdata};
use crate::MUXLINK_ABI_VERSION;

/// Receives one event. `event` and every pointer in it are valid for this call only. Runs on
/// the thread that made the call into muxlink that produced the event; must not call into
/// the same client (read it afterwards, or queue work for later).
pub type muxlink_event_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const muxlink_event)>;

/// Receives one pane's frame (pushed frames, `MUXLINK_FRAMES_PUSH`). `state` and every
/// pointer in it (rows read through `state->frame` included) are valid for this call only.
/// Must not call into the same client; `muxlink_frame_row` and `muxlink_frame_combined` on
/// `state->frame` are allowed.
pub type muxlink_frame_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, state: *const muxlink_render_state)>;

/// Callbacks for a host that prefers to be called (`muxlink_client_set_callbacks`). Fill it
/// with `muxlink_callbacks_init`. A NULL `on_event` keeps events queued for
/// `muxlink_client_next_event`; a NULL `on_frame` drops pushed frames.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct muxlink_callbacks {
    /// `sizeof(muxlink_callbacks)`, set by `muxlink_callbacks_init`.
    pub size: usize,
    /// `MUXLINK_ABI_VERSION`, set by `muxlink_callbacks_init`.
    pub abi_version: u32,
    /// Passed to every callback; muxlink never reads it. Owned by the client from a
    /// successful `muxlink_client_set_callbacks` until `destroy` runs.
    pub userdata: *mut c_void,
    /// Called once with `userdata` when the client lets go of it (callbacks replaced, client
    /// freed). May be NULL.
    pub destroy: muxlink_destroy_fn,
    /// Events; NULL: queue them for pulling.
    pub on_event: muxlink_event_fn,
    /// Pushed frames; NULL: drop them.
    pub on_frame: muxlink_frame_fn,
}

// SAFETY: repr(C), starts with size and abi_version; raw pointers and optional function
// pointers only.
unsafe impl sized::Sized for muxlink_callbacks {
    fn defaults() -> Self {
        muxlink_callbacks {
            size: size_of::<Self>(),
            abi_version: MUXLINK_ABI_VERSION,
            userdata: std::ptr::null_mut(),
            destroy: None,
            on_event: None,
            on_frame: None,
        }
    }
}

/// Installed callbacks.
pub(crate) struct Callbacks {
    on_event: muxlink_event_fn,
    on_frame: muxlink_frame_fn,
    userdata: Userdata,
}

impl Callbacks {
    /// Takes the host's struct (already checked); the userdata is owned from here on.
    pub(crate) fn new(c: &muxlink_callbacks) -> Self {
        Callbacks {
            on_event: c.on_event,
            on_frame: c.on_frame,
            userdata: Userdata::new(c.userdata, c.destroy),
        }
    }
}

/// The `Host` every client of the C ABI has.
#[derive(Default)]
pub(crate) struct FfiHost {
    /// Events waiting for `muxlink_client_next_event`.
    pub(crate) queue: EventQueue,
    callbacks: Option<Callbacks>,
    /// Text formatted for the event being handed out (reused).
    pub(crate) scratch: String,
}

impl FfiHost {
    /// Replaces the callbacks; the old userdata's destructor runs now.
    pub(crate) fn set_callbacks(&mut self, callbacks: Option<Callbacks>) {
        self.callbacks = callbacks;
    }

    /// Takes the next queued event into `out` (sized already); kind NONE when none waits.
    pub(crate) fn next_event(&mut self, out: &mut muxlink_event) {
        match self.queue.poll_event() {
            Some(ev) => out.fill(&ev, &mut self.scratch),
            None => {
                let (size, abi_version) = (out.size, out.abi_version);
                *out = muxlink_event::empty();
                out.size = size;
                out.abi_version = abi_version;
            }
        }
    }
}

impl FfiHost {
    /// Every event but pane bytes, pushed to `f`: the general `fill`. Out of line, so that
    /// the hot path in `on_event` keeps a small frame.
    #[inline(never)]
    fn push_filled(&mut self, f: EventFn, userdata: *mut c_void, event: &ClientEvent<'_>) {
        let mut e = muxlink_event::empty();
        e.fill(event, &mut self.scratch);
        // SAFETY: the host's callback with its own userdata and an event valid for the call
        // (documented on muxlink_event_fn).
        unsafe { f(userdata, &e) };
    }
}

/// A present `muxlink_event_fn`.
type EventFn = unsafe extern "C" fn(*mut c_void, *const muxlink_event);

impl Host for FfiHost {
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        let Some((f, userdata)) = self
            .callbacks
            .as_ref()
            .and_then(|cb| Some((cb.on_event?, cb.userdata.ptr())))
        else {
            self.queue.push(event);
            return;
        };
        if let ClientEvent::PaneBytes { pane, bytes } = *event {
            // Pane bytes, the event bytes mode sends for every `%output` line, written in one
            // go, without the general `fill`'s dispatch on every kind.
            let e = muxlink_event::pane_bytes(pane, bytes);
            // SAFETY: the host's callback with its own userdata and an event valid for the
            // call (documented on muxlink_event_fn).
            unsafe { f(userdata, &e) };
        } else {
            self.push_filled(f, userdata, event);
        }
    }

    fn on_frame(&mut self, frame: &Frame<'_>) {
        let Some(cb) = &self.callbacks else { return };
        let Some(f) = cb.on_frame else { return };
        let mut s = <muxlink_render_state as sized::Sized>::defaults();
        s.fill(frame);
        // SAFETY: the host's callback with its own userdata; `s` and what it points to live
        // through the call.
        unsafe { f(cb.userdata.ptr(), &s) };
    }
}

/// Fills `*callbacks` with this library's size, `MUXLINK_ABI_VERSION` and NULL everything.
/// From C this name is a macro for `muxlink_callbacks_init_sized(callbacks, sizeof
/// *callbacks)`. NULL is ignored.
///
/// # Safety
/// `callbacks` is NULL or points to a writable `muxlink_callbacks` of this library's size.
#[no_mangle]
pub unsafe extern "C" fn muxlink_callbacks_init(callbacks: *mut muxlink_callbacks) {
    // SAFETY: forwarded, with this library's size.
    let _ = unsafe { muxlink_callbacks_init_sized(callbacks, size_of::<muxlink_callbacks>()) };
}

/// `muxlink_callbacks_init` with the caller's `sizeof` (`MUXLINK_ERR_STRUCT_SIZE`, nothing
/// written, for a size this library does not know).
///
/// # Safety
/// `callbacks` is NULL or points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_callbacks_init_sized(
    callbacks: *mut muxlink_callbacks,
    size: usize,
) -> muxlink_result {
    crate::boundary::guard(|| {
        crate::boundary::required(callbacks)?;
        // SAFETY: checked; `size` writable bytes (the caller's promise).
        unsafe { sized::init(callbacks, size) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{MUXLINK_EVENT_BELL, MUXLINK_EVENT_PANE_BYTES};
    use muxlink_runtime::PaneId;

    /// (kind, pane, data length) of each event seen.
    type Seen = Vec<(u32, u32, usize)>;

    unsafe extern "C" fn record(ud: *mut c_void, ev: *const muxlink_event) {
        // SAFETY: the test's vector and a borrowed, whole event.
        let (seen, ev) = unsafe { (&mut *ud.cast::<Seen>(), &*ev) };
        assert_eq!(ev.size, size_of::<muxlink_event>());
        seen.push((ev.kind, ev.pane, ev.data_len));
    }

    #[test]
    fn events_go_to_on_event_by_both_paths_or_wait_in_the_queue() {
        let mut host = FfiHost::default();
        let bytes = b"abc";
        host.on_event(&ClientEvent::Bell { pane: PaneId(1) });
        assert_eq!(host.queue.len(), 1, "queued without callbacks");
        let mut seen: Seen = Vec::new();
        let mut cb = <muxlink_callbacks as sized::Sized>::defaults();
        cb.userdata = (&mut seen as *mut Seen).cast();
        cb.on_event = Some(record);
        host.set_callbacks(Some(Callbacks::new(&cb)));
        host.on_event(&ClientEvent::PaneBytes {
            pane: PaneId(2),
            bytes,
        });
        host.on_event(&ClientEvent::Bell { pane: PaneId(3) });
        assert_eq!(
            seen,
            vec![(MUXLINK_EVENT_PANE_BYTES, 2, 3), (MUXLINK_EVENT_BELL, 3, 0)]
        );
        assert_eq!(host.queue.len(), 1, "pushed events are not queued");
    }
}
