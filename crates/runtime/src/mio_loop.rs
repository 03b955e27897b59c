//! The built-in loop: the [`Router`] over the [`MioBackend`] (epoll on Linux, kqueue on
//! macOS), polled by the router itself. One connection or many; other threads reach a client
//! through [`Router::handle`].
//!
//! ```no_run
//! # use muxlink_runtime::{Client, ClientConfig, NoopHost, drive::Connection};
//! # use muxlink_runtime::mio_loop::BuiltinLoop;
//! # use muxlink_runtime::transport::{ChildTransport, TmuxCommand};
//! let transport = ChildTransport::spawn_tmux(&TmuxCommand::attach(None)).unwrap();
//! let mut lp: BuiltinLoop<NoopHost> = BuiltinLoop::builtin().unwrap();
//! let key = lp.add(Connection::new(Client::new(ClientConfig::default()), transport), NoopHost).unwrap();
//! lp.run().unwrap(); // until tmux exits
//! let (conn, _host) = lp.remove(key).unwrap();
//! println!("{:?}", conn.exit_reason());
//! ```

use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::backend::MioBackend;
use crate::events::Host;
use crate::router::{token_pipe, Router};
use crate::transport::Pipe;

/// The built-in loop: a router over mio. [`Router::builtin`] makes one; [`Router::turn`]
/// and [`Router::run`] drive it.
pub type BuiltinLoop<H = Box<dyn Host>> = Router<MioBackend, H>;

impl<H: Host> Router<MioBackend, H> {
    /// A router over a fresh mio poller and its waker.
    pub fn builtin() -> io::Result<Self> {
        Ok(Router::new(MioBackend::new()?))
    }

    /// One turn: waits for readiness, a wake-up, a client's deadline or `max_wait`
    /// (whichever comes first), then dispatches what fired. For hosts that interleave other
    /// work. Allocates nothing once warm.
    pub fn turn(&mut self, max_wait: Option<Duration>) -> io::Result<()> {
        let mut fired = std::mem::take(&mut self.backend_mut().scratch);
        let res = self.backend_mut().poll(&mut fired, max_wait);
        if res.is_ok() {
            // Standard error first, so that an exit found on standard output can quote it.
            for &(token, r) in &fired.ready {
                if token_pipe(token) == Some(Pipe::Error) {
                    self.on_ready(token, r);
                }
            }
            for &(token, r) in &fired.ready {
                if token_pipe(token) != Some(Pipe::Error) {
                    self.on_ready(token, r);
                }
            }
            if fired.timer {
                self.on_timer();
            }
            if fired.woken {
                self.on_wake();
            }
        }
        self.backend_mut().scratch = fired;
        res
    }

    /// Runs until every connection finished or [`crate::router::RouterHandle::stop`] was
    /// called. The connections stay in the router: take them back with [`Router::remove`].
    pub fn run(&mut self) -> io::Result<()> {
        loop {
            if self.live() == 0 || self.stop.swap(false, Ordering::SeqCst) {
                return Ok(());
            }
            self.turn(None)?;
        }
    }
}
