//! `muxlink_transport`: how a client reaches tmux when muxlink runs the process itself (a
//! local `tmux -C`, or `ssh HOST -- tmux -C`).

use std::ffi::OsStr;
use std::mem::size_of;
use std::os::unix::ffi::OsStrExt;

use muxlink_runtime::transport::{Action, ChildTransport, Socket, SshCommand, TmuxCommand};

use crate::result::muxlink_result;
use crate::sized;
use crate::MUXLINK_ABI_VERSION;

/// A string or byte buffer the host passes: a pointer and a length, no NUL needed. Borrowed
/// for the call it is passed to. `ptr` may be NULL when `len` is 0 (the empty string).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct muxlink_str {
    /// The bytes.
    pub ptr: *const u8,
    /// How many.
    pub len: usize,
}

/// A local tmux (`tmux [-L|-S] [-f] -C ...`).
pub const MUXLINK_TRANSPORT_TMUX: u32 = 0;
/// tmux on another machine over ssh (`ssh [OPTIONS] HOST -- tmux ... -C ...`).
pub const MUXLINK_TRANSPORT_SSH: u32 = 1;

/// `attach-session [-t TARGET]` (the default): fails when there is no such server or session.
pub const MUXLINK_ACTION_ATTACH: u32 = 0;
/// `new-session [-s TARGET]`: starts the server when needed.
pub const MUXLINK_ACTION_NEW: u32 = 1;
/// `new-session -A -s TARGET`: attach to TARGET, creating it (and the server) when needed.
pub const MUXLINK_ACTION_ATTACH_OR_NEW: u32 = 2;

/// The longest string a transport field may hold.
pub const MUXLINK_TRANSPORT_STR_MAX: usize = 4096;
/// The most ssh options.
pub const MUXLINK_TRANSPORT_SSH_OPTIONS_MAX: usize = 64;

/// How `muxlink_client_spawn` reaches tmux. Fill it with `muxlink_transport_init`; every
/// string is borrowed for the `muxlink_client_spawn` call only, may hold any byte but NUL,
/// and is at most `MUXLINK_TRANSPORT_STR_MAX` bytes. Empty strings mean "not given".
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct muxlink_transport {
    /// `sizeof(muxlink_transport)`, set by `muxlink_transport_init`.
    pub size: usize,
    /// `MUXLINK_ABI_VERSION`, set by `muxlink_transport_init`.
    pub abi_version: u32,
    /// `MUXLINK_TRANSPORT_TMUX` (default) or `MUXLINK_TRANSPORT_SSH`.
    pub kind: u32,
    /// `MUXLINK_ACTION_*` (default attach).
    pub action: u32,
    /// The tmux program (a path, or a name looked up in `PATH`; on the remote host for ssh).
    /// Empty: `tmux`.
    pub program: muxlink_str,
    /// `-L NAME`: a socket name in tmux's socket directory (UTF-8).
    pub socket_name: muxlink_str,
    /// `-S PATH`: a socket path. Ignored when `socket_name` is given.
    pub socket_path: muxlink_str,
    /// `-f FILE`: the configuration file used when this command starts the server.
    pub config_file: muxlink_str,
    /// The session: attach's `-t`, new's `-s`, attach-or-new's name (UTF-8; required for
    /// `MUXLINK_ACTION_ATTACH_OR_NEW`).
    pub target: muxlink_str,
    /// ssh: the ssh program. Empty: `ssh`.
    pub ssh_program: muxlink_str,
    /// ssh: the host (required for `MUXLINK_TRANSPORT_SSH`, UTF-8).
    pub ssh_host: muxlink_str,
    /// ssh: options placed before the host (`-p`, `2222`, ...), `ssh_options_len` of them.
    pub ssh_options: *const muxlink_str,
    /// Number of `ssh_options` (at most `MUXLINK_TRANSPORT_SSH_OPTIONS_MAX`).
    pub ssh_options_len: usize,
}

// SAFETY: repr(C), starts with size and abi_version; integers and raw pointers only.
unsafe impl sized::Sized for muxlink_transport {
    fn defaults() -> Self {
        let empty = muxlink_str {
            ptr: std::ptr::null(),
            len: 0,
        };
        muxlink_transport {
            size: size_of::<Self>(),
            abi_version: MUXLINK_ABI_VERSION,
            kind: MUXLINK_TRANSPORT_TMUX,
            action: MUXLINK_ACTION_ATTACH,
            program: empty,
            socket_name: empty,
            socket_path: empty,
            config_file: empty,
            target: empty,
            ssh_program: empty,
            ssh_host: empty,
            ssh_options: std::ptr::null(),
            ssh_options_len: 0,
        }
    }
}

/// A borrowed host string: checked for NULL, length and NUL bytes.
///
/// # Safety
/// `s.ptr` is NULL or points to `s.len` readable bytes for the call.
unsafe fn bytes<'a>(s: &muxlink_str) -> Result<Option<&'a [u8]>, muxlink_result> {
    crate::boundary::buffer(s.ptr, s.len)?;
    if s.len > MUXLINK_TRANSPORT_STR_MAX {
        return Err(muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT);
    }
    if s.len == 0 {
        return Ok(None);
    }
    // SAFETY: non-NULL (checked) and `len` readable bytes (the caller's promise).
    let b = unsafe { std::slice::from_raw_parts(s.ptr, s.len) };
    if b.contains(&0) {
        return Err(muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT);
    }
    Ok(Some(b))
}

/// # Safety
/// As for [`bytes`].
unsafe fn text(s: &muxlink_str) -> Result<Option<String>, muxlink_result> {
    // SAFETY: forwarded.
    match unsafe { bytes(s)? } {
        None => Ok(None),
        Some(b) => std::str::from_utf8(b)
            .map(|t| Some(t.to_owned()))
            .map_err(|_| muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT),
    }
}

impl muxlink_transport {
    /// Checks the host's struct and starts the process.
    ///
    /// # Safety
    /// `p` passed `required` and points to `(*p).size` readable bytes; every string and the
    /// options array are readable as their lengths say.
    pub(crate) unsafe fn spawn(p: *const Self) -> Result<ChildTransport, muxlink_result> {
        let bad = muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT;
        // SAFETY: forwarded.
        let t = unsafe { sized::read(p)? };
        // SAFETY: the strings are readable as their lengths say (the caller's promise).
        let target = unsafe { text(&t.target)? };
        let action = match t.action {
            MUXLINK_ACTION_ATTACH => Action::Attach { target },
            MUXLINK_ACTION_NEW => Action::New { name: target },
            MUXLINK_ACTION_ATTACH_OR_NEW => Action::AttachOrNew {
                name: target.ok_or(bad)?,
            },
            _ => return Err(bad),
        };
        let mut tmux = TmuxCommand::with_action(action);
        // SAFETY: as above.
        if let Some(p) = unsafe { bytes(&t.program)? } {
            tmux = tmux.program(OsStr::from_bytes(p));
        }
        // SAFETY: as above.
        if let Some(name) = unsafe { text(&t.socket_name)? } {
            tmux = tmux.socket(Socket::Name(name));
        } else if let Some(path) =
            // SAFETY: as above.
            unsafe { bytes(&t.socket_path)? }
        {
            tmux = tmux.socket(Socket::Path(OsStr::from_bytes(path).into()));
        }
        // SAFETY: as above.
        if let Some(f) = unsafe { bytes(&t.config_file)? } {
            tmux = tmux.config_file(OsStr::from_bytes(f));
        }
        let spawned = match t.kind {
            MUXLINK_TRANSPORT_TMUX => ChildTransport::spawn_tmux(&tmux),
            MUXLINK_TRANSPORT_SSH => {
                // SAFETY: as above.
                let host = unsafe { text(&t.ssh_host)? }.ok_or(bad)?;
                let mut ssh = SshCommand::new(host).remote_tmux(&tmux);
                // SAFETY: as above.
                if let Some(p) = unsafe { bytes(&t.ssh_program)? } {
                    ssh = ssh.program(OsStr::from_bytes(p));
                }
                if t.ssh_options_len > MUXLINK_TRANSPORT_SSH_OPTIONS_MAX {
                    return Err(bad);
                }
                if t.ssh_options_len > 0 {
                    crate::boundary::required(t.ssh_options)?;
                    // SAFETY: checked non-NULL and aligned; `ssh_options_len` readable
                    // entries (the caller's promise).
                    let opts =
                        unsafe { std::slice::from_raw_parts(t.ssh_options, t.ssh_options_len) };
                    for o in opts {
                        // SAFETY: as above.
                        let o = unsafe { bytes(o)? }.ok_or(bad)?;
                        ssh = ssh.option(OsStr::from_bytes(o));
                    }
                }
                ChildTransport::spawn_ssh(&ssh)
            }
            _ => return Err(bad),
        };
        spawned.map_err(|_| muxlink_result::MUXLINK_ERR_SPAWN)
    }
}

/// Fills `*transport` with this library's size, `MUXLINK_ABI_VERSION` and the defaults (a
/// local `tmux -C attach-session` on the default socket). From C this name is a macro for
/// `muxlink_transport_init_sized(transport, sizeof *transport)`. NULL is ignored.
///
/// # Safety
/// `transport` is NULL or points to a writable `muxlink_transport` of this library's size.
#[no_mangle]
pub unsafe extern "C" fn muxlink_transport_init(transport: *mut muxlink_transport) {
    // SAFETY: forwarded, with this library's size.
    let _ = unsafe { muxlink_transport_init_sized(transport, size_of::<muxlink_transport>()) };
}

/// `muxlink_transport_init` with the caller's `sizeof`.
///
/// # Safety
/// `transport` is NULL or points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_transport_init_sized(
    transport: *mut muxlink_transport,
    size: usize,
) -> muxlink_result {
    crate::boundary::guard(|| {
        crate::boundary::required(transport)?;
        // SAFETY: checked; `size` writable bytes (the caller's promise).
        unsafe { sized::init(transport, size) }
    })
}
