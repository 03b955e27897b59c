//! The cross-thread inbox (`src/inbox.rs`) under loom: every interleaving of producers on
//! other threads, the client's loop draining, the client closing, and the wake target being
//! swapped. The same source file the library uses, compiled against loom's primitives.

/// The inbox's synchronisation types, loom's here.
mod sync {
    pub(crate) use loom::sync::atomic::{AtomicBool, Ordering};
    pub(crate) use loom::sync::Mutex;
    pub(crate) type MutexGuardAlias<'a, T> = loom::sync::MutexGuard<'a, T>;
}

#[path = "../src/inbox.rs"]
mod inbox;

use inbox::{Inbox, Wake, WakeSlot};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

/// No item is lost or taken twice, and an item left queued always has a wake outstanding:
/// two producers race with one drain.
#[test]
fn pushes_are_drained_once_and_never_left_without_a_wake() {
    loom::model(|| {
        let inbox = Arc::new(Inbox::<u32>::new());
        let wakes = Arc::new(AtomicUsize::new(0));
        let producers: Vec<_> = [1u32, 2]
            .into_iter()
            .map(|v| {
                let (inbox, wakes) = (inbox.clone(), wakes.clone());
                thread::spawn(move || {
                    if inbox.push(v).expect("open") {
                        wakes.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        let mut seen = Vec::new();
        inbox.drain_into(&mut seen);
        for p in producers {
            p.join().unwrap();
        }
        // Whatever the drain missed must have a wake on its way.
        let mut rest = Vec::new();
        let pending = inbox.has_pending();
        inbox.drain_into(&mut rest);
        assert!(
            rest.is_empty() || pending,
            "items {rest:?} queued with no wake asked"
        );
        assert!(wakes.load(Ordering::SeqCst) >= 1, "nobody asked for a wake");
        seen.extend(rest);
        seen.sort_unstable();
        assert_eq!(seen, [1, 2], "each item exactly once");
    });
}

/// An item that counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A push racing with close: the item is handed back by one of them and dropped exactly once
/// (the userdata destructor of a queued operation runs once).
#[test]
fn close_racing_a_push_drops_the_item_once() {
    loom::model(|| {
        let inbox = Arc::new(Inbox::<Counted>::new());
        let drops = Arc::new(AtomicUsize::new(0));
        let producer = {
            let (inbox, drops) = (inbox.clone(), drops.clone());
            thread::spawn(move || match inbox.push(Counted(drops)) {
                Ok(_) => {}
                Err(item) => drop(item),
            })
        };
        let taken = inbox.close();
        drop(taken);
        producer.join().unwrap();
        assert!(inbox.is_closed());
        let mut after = Vec::new();
        inbox.drain_into(&mut after);
        assert!(after.is_empty(), "nothing queued after close");
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

/// A wake target that fails if it is called after it was replaced.
struct Target {
    replaced: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

impl Wake for Target {
    fn wake(&self) {
        assert!(
            !self.replaced.load(Ordering::SeqCst),
            "called after set() returned"
        );
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

/// Once `set` returned, the previous target is never called (a backend removed or swapped
/// leaves no wake behind).
#[test]
fn a_replaced_wake_target_is_never_called_again() {
    loom::model(|| {
        let replaced = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(WakeSlot::new());
        slot.set(Some(Target {
            replaced: replaced.clone(),
            calls: calls.clone(),
        }));
        let waker = {
            let slot = slot.clone();
            thread::spawn(move || {
                slot.wake();
                slot.wake();
            })
        };
        let old = slot.set(None);
        replaced.store(true, Ordering::SeqCst);
        drop(old);
        waker.join().unwrap();
        assert!(calls.load(Ordering::SeqCst) <= 2);
    });
}
