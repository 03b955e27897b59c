//! The one place `muxlink attach` waits: a mio poller over the terminal's input, a signal
//! self-pipe and the connection's pipes to tmux.
//!
//! Everything a keystroke travels through runs on this one thread: the terminal's input is
//! read as soon as it is readable (no reader thread and no hand-over between threads on
//! the way to tmux), and the echo is drawn in the same turn as it is read. Signals
//! (`SIGTERM`, `SIGHUP`, `SIGINT`, `SIGQUIT` and `SIGWINCH`) set a flag and write a byte to a
//! socket the poller watches, so a resize is seen at once rather than by polling the size.
//!
//! mio is edge-triggered: the connection reads until it would block (it does), and the
//! terminal's input is read until a level-triggered `poll(2)` says nothing is left.

use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest as MioInterest, Poll, Token};
use muxlink_runtime::drive::{Connection, Interest, Readiness};
use muxlink_runtime::transport::Pipe;

const STDIN: Token = Token(10);
const SIGNALS: Token = Token(11);

/// The signals that end `attach` cleanly (the last two only come from `kill`: raw mode makes
/// Ctrl-C and Ctrl-\ keys).
pub(super) const ENDING_SIGNALS: [i32; 4] = [
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGQUIT,
];

fn pipe_index(pipe: Pipe) -> usize {
    match pipe {
        Pipe::Output => 0,
        Pipe::Input => 1,
        Pipe::Error => 2,
    }
}

const PIPES: [Pipe; 3] = [Pipe::Output, Pipe::Input, Pipe::Error];

/// What one wait found.
#[derive(Debug, Default)]
pub(super) struct Woken {
    /// Readiness per connection pipe (indexed as `Pipe::Output`, `Input`, `Error`).
    pub(super) pipes: [Readiness; 3],
    /// The terminal's input is readable (or closed).
    pub(super) stdin: bool,
    /// A signal came (see [`Signals::take`]).
    pub(super) signal: bool,
}

impl Woken {
    /// The readiness of `pipe`.
    pub(super) fn pipe(&self, pipe: Pipe) -> Readiness {
        self.pipes[pipe_index(pipe)]
    }
}

/// Signals caught since the last look.
pub(super) struct Signals {
    ending: Vec<(i32, Arc<AtomicBool>)>,
    winch: Arc<AtomicBool>,
    pipe: mio::net::UnixStream,
}

impl Signals {
    /// Installs the handlers: a flag each, then a byte down the self-pipe (in that order, so
    /// the flag is set when the poller wakes).
    pub(super) fn install() -> io::Result<Signals> {
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        let mut ending = Vec::new();
        for sig in ENDING_SIGNALS {
            let flag = Arc::new(AtomicBool::new(false));
            signal_hook::flag::register(sig, flag.clone())?;
            signal_hook::low_level::pipe::register(sig, write.try_clone()?)?;
            ending.push((sig, flag));
        }
        let winch = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register(signal_hook::consts::SIGWINCH, winch.clone())?;
        signal_hook::low_level::pipe::register(signal_hook::consts::SIGWINCH, write)?;
        Ok(Signals {
            ending,
            winch,
            pipe: mio::net::UnixStream::from_std(read),
        })
    }

    /// Empties the self-pipe, then reports the first ending signal caught (if any) and
    /// whether the terminal was resized.
    pub(super) fn take(&mut self) -> (Option<i32>, bool) {
        let mut buf = [0u8; 64];
        while matches!(self.pipe.read(&mut buf), Ok(n) if n > 0) {}
        let ending = self
            .ending
            .iter()
            .find(|(_, f)| f.swap(false, Ordering::SeqCst))
            .map(|(s, _)| *s);
        (ending, self.winch.swap(false, Ordering::SeqCst))
    }
}

/// The poller and what it watches.
pub(super) struct Poller {
    poll: Poll,
    events: Events,
    /// The connection pipes watched now, and for which connection.
    registered: [Option<(i32, Interest)>; 3],
    generation: u64,
}

impl Poller {
    /// A poller watching the terminal's input and the signal pipe.
    pub(super) fn new(signals: &mut Signals) -> io::Result<Poller> {
        let poll = Poll::new()?;
        let stdin = io::stdin().as_raw_fd();
        poll.registry()
            .register(&mut SourceFd(&stdin), STDIN, MioInterest::READABLE)
            .map_err(|e| io::Error::new(e.kind(), format!("watching standard input: {e}")))?;
        poll.registry()
            .register(&mut signals.pipe, SIGNALS, MioInterest::READABLE)?;
        Ok(Poller {
            poll,
            events: Events::with_capacity(16),
            registered: [None; 3],
            generation: 0,
        })
    }

    /// Watches the pipes of `conn` (whose identity is `generation`: a new connection may
    /// reuse a closed one's descriptor numbers), or none.
    pub(super) fn sync(&mut self, conn: Option<&Connection>, generation: u64) -> io::Result<()> {
        if generation != self.generation {
            self.forget();
            self.generation = generation;
        }
        for pipe in PIPES {
            let i = pipe_index(pipe);
            let want = conn.and_then(|c| c.watch(pipe));
            if want == self.registered[i] {
                continue;
            }
            if let Some((fd, _)) = self.registered[i].take() {
                // The descriptor may be closed already; the kernel dropped it then.
                let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            }
            if let Some((fd, interest)) = want {
                let mi = if interest.writable {
                    MioInterest::WRITABLE
                } else {
                    MioInterest::READABLE
                };
                self.poll
                    .registry()
                    .register(&mut SourceFd(&fd), Token(i), mi)?;
                self.registered[i] = Some((fd, interest));
            }
        }
        Ok(())
    }

    fn forget(&mut self) {
        for slot in self.registered.iter_mut() {
            if let Some((fd, _)) = slot.take() {
                let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            }
        }
    }

    /// Waits up to `timeout` (`None`: until something happens).
    pub(super) fn wait(&mut self, timeout: Option<Duration>) -> io::Result<Woken> {
        let mut woken = Woken::default();
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(woken),
            Err(e) => return Err(e),
        }
        for ev in self.events.iter() {
            match ev.token() {
                STDIN => woken.stdin = true,
                SIGNALS => woken.signal = true,
                Token(i) if i < 3 => {
                    let r = &mut woken.pipes[i];
                    r.readable |= ev.is_readable() || ev.is_read_closed();
                    r.writable |= ev.is_writable() || ev.is_write_closed();
                    r.error |= ev.is_error();
                }
                _ => {}
            }
        }
        Ok(woken)
    }
}

/// What reading the terminal gave.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum StdinRead {
    /// Bytes were appended.
    Data,
    /// Nothing was there after all.
    Nothing,
    /// The terminal is gone.
    Closed,
}

/// Reads everything the terminal has now into `out` (without blocking: it reads only
/// after `poll(2)` said there is something).
pub(super) fn read_stdin(out: &mut Vec<u8>) -> StdinRead {
    let stdin = io::stdin();
    let fd = stdin.as_fd();
    let mut buf = [0u8; 16 * 1024];
    let mut got = StdinRead::Nothing;
    loop {
        let mut fds = [rustix::event::PollFd::new(
            &fd,
            rustix::event::PollFlags::IN,
        )];
        let zero = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        match rustix::event::poll(&mut fds, Some(&zero)) {
            Ok(0) => return got,
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return StdinRead::Closed,
        }
        let revents = fds[0].revents();
        match rustix::io::read(fd, &mut buf) {
            Ok(0) => return StdinRead::Closed,
            // A terminal gives what it has: a short read took everything.
            Ok(n) if n < buf.len() => {
                out.extend_from_slice(&buf[..n]);
                return StdinRead::Data;
            }
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                got = StdinRead::Data;
            }
            Err(rustix::io::Errno::INTR) | Err(rustix::io::Errno::AGAIN) => {}
            Err(_) => return StdinRead::Closed,
        }
        if revents.intersects(rustix::event::PollFlags::HUP | rustix::event::PollFlags::ERR)
            && got == StdinRead::Nothing
        {
            return StdinRead::Closed;
        }
        // A paste can be long: stop after a megabyte, the rest is read next turn (the
        // level-triggered check above sees it; mio will not, so say there is more).
        if out.len() >= 1 << 20 {
            return got;
        }
    }
}
