//! A host written in C often leaves SIGPIPE at its default (terminate). Writing to a tmux
//! that died must then fail with an error, not kill the host: the child's input is a socket
//! written with MSG_NOSIGNAL. This test binary puts SIGPIPE back to the default the way
//! such a host has it (Rust's runtime ignores it before `main`), so a raised SIGPIPE would
//! kill the test.

use std::io;
use std::process::Command;
use std::time::{Duration, Instant};

use muxlink_runtime::drive::{Connection, Readiness};
use muxlink_runtime::transport::{ChildTransport, Pipe};
use muxlink_runtime::{Client, ClientConfig, NoopHost};

fn default_sigpipe() {
    // SAFETY: sets the disposition of one signal to its default; no handler runs our code,
    // and this binary's only test wants exactly that process-wide state.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
}

/// A child that printed `out` and exited (reaped; its output is still to be read).
fn dead_child(out: &str) -> ChildTransport {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!("printf '{out}'"));
    let mut t = ChildTransport::spawn(cmd).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while t.try_reap().is_none() {
        assert!(Instant::now() < deadline, "the child did not exit");
        std::thread::sleep(Duration::from_millis(2));
    }
    t
}

#[test]
fn writing_to_a_dead_tmux_raises_no_sigpipe() {
    default_sigpipe();

    let mut t = dead_child("");
    let err = t.write(b"list-sessions\n").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");

    // Through a connection: the startup command's reply arrives, so the queued handshake is
    // written, to a child that is gone; the connection stops writing and finishes.
    let reply = "%%begin 1 1 0\\n%%end 1 1 0\\n";
    let mut conn = Connection::new(Client::new(ClientConfig::default()), dead_child(reply));
    assert!(conn.client().wants_write(), "the handshake is queued");
    conn.on_ready(
        Pipe::Output,
        Readiness::READABLE,
        Instant::now(),
        &mut NoopHost,
    );
    assert!(conn.stats().bytes_in > 0, "tmux spoke");
    assert!(
        conn.is_finished(),
        "end of file and a reaped child finish it"
    );
}
