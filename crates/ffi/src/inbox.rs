//! The queue other threads put operations into for a client, and the wake slot through which
//! they ask the client's loop to run them. Generic and free of the rest of the crate, so that
//! `tests/loom_inbox.rs` checks it under loom (every interleaving of producers, the draining
//! loop, closing and swapping the wake target).
//!
//! Rules it keeps:
//! - every item pushed is either drained once or handed back (by `push` when closed, by
//!   `close` when still queued): never lost, never twice;
//! - a push that finds no wake outstanding asks for one (`push` returns true), so an item is
//!   never left queued with nobody told; several pushes before a drain ask once;
//! - once `WakeSlot::set` returned, the previous target is never called again.
#![allow(dead_code)] // Parts are used only by the library or only by the loom test.

use crate::sync::{AtomicBool, Mutex, Ordering};

/// A multi-producer queue drained by the client's thread.
#[derive(Debug)]
pub(crate) struct Inbox<T> {
    items: Mutex<Vec<T>>,
    /// A wake has been asked for since the last drain began.
    pending: AtomicBool,
    /// Closed (the client is gone): pushes are refused.
    closed: AtomicBool,
}

impl<T> Inbox<T> {
    /// An empty, open inbox.
    pub(crate) fn new() -> Self {
        Inbox {
            items: Mutex::new(Vec::new()),
            pending: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> crate::sync::MutexGuardAlias<'_, Vec<T>> {
        // A panic while holding the lock leaves a valid Vec; go on with it.
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `item`. `Ok(true)`: the caller must wake the loop (no wake was outstanding);
    /// `Ok(false)`: one is already on its way. `Err(item)`: closed, the item comes back.
    pub(crate) fn push(&self, item: T) -> Result<bool, T> {
        let mut items = self.lock();
        // Checked under the lock: `close` takes the lock too, so an item is either queued
        // before it (and handed back by it) or refused here.
        if self.closed.load(Ordering::Acquire) {
            return Err(item);
        }
        items.push(item);
        drop(items);
        Ok(!self.pending.swap(true, Ordering::AcqRel))
    }

    /// Moves every queued item to `out`, in push order. A push that races with this either
    /// lands in `out` or asks for a new wake.
    pub(crate) fn drain_into(&self, out: &mut Vec<T>) {
        // Before taking: a push after this point asks for a wake of its own.
        self.pending.swap(false, Ordering::AcqRel);
        out.append(&mut self.lock());
    }

    /// Whether a wake is outstanding (cheap check before taking the lock).
    pub(crate) fn has_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Refuses every later push and hands back what is queued.
    pub(crate) fn close(&self) -> Vec<T> {
        let mut items = self.lock();
        self.closed.store(true, Ordering::Release);
        std::mem::take(&mut *items)
    }

    /// Whether `close` ran.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// Something that wakes the client's loop.
pub(crate) trait Wake {
    /// Wakes it; called with the slot's lock held, from any thread.
    fn wake(&self);
}

/// Where wakes go now: the host loop's wake function, the built-in loop's waker, or nowhere.
#[derive(Debug)]
pub(crate) struct WakeSlot<W> {
    target: Mutex<Option<W>>,
}

impl<W: Wake> WakeSlot<W> {
    /// A slot with no target.
    pub(crate) fn new() -> Self {
        WakeSlot {
            target: Mutex::new(None),
        }
    }

    /// Replaces the target and returns the old one; once this returns, the old target is
    /// never called again (a wake in progress holds the lock until it returns).
    pub(crate) fn set(&self, target: Option<W>) -> Option<W> {
        let mut t = self.target.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *t, target)
    }

    /// Wakes the current target, if any; returns whether there was one.
    pub(crate) fn wake(&self) -> bool {
        let t = self.target.lock().unwrap_or_else(|e| e.into_inner());
        match t.as_ref() {
            Some(w) => {
                w.wake();
                true
            }
            None => false,
        }
    }
}
