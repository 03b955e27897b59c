//! Window indexes on virtual time, against a scripted tmux: the listing that keeps them is
//! coalesced (one in flight, one waiting, however many notifications ask), `%window-close`
//! of a window tmux still lists closes nothing, and a replay (no commands) knows no index.

use std::time::Instant;

use muxlink_runtime::{Client, ClientConfig, ClientEvent, NoopHost, NoticeKind, WindowId};

use super::fake::Fake;
use super::Rec;

fn index(c: &Client, w: u32) -> Option<u32> {
    c.state().window(WindowId(w)).and_then(|w| w.index)
}

fn indexes_changed(h: &Rec) -> usize {
    h.count(|e| e == &ClientEvent::WindowIndexesChanged)
}

fn closed(h: &Rec) -> usize {
    h.count(|e| matches!(e, ClientEvent::WindowClosed { .. }))
}

/// A client attached to a fake with windows @0 at 0 and @1 at 5.
fn attached() -> (Client, Rec, Fake) {
    let mut f = Fake::new(vec![(0, 0), (1, 5)]);
    let (c, h) = f.attach(ClientConfig::default());
    assert!(
        f.sent.iter().any(|l| l.starts_with("refresh-client -B ")),
        "the windows subscription: {:?}",
        f.sent
    );
    assert_eq!((index(&c, 0), index(&c, 1)), (Some(0), Some(5)));
    (c, h, f)
}

#[test]
fn listings_coalesce_to_one_in_flight_and_one_waiting() {
    let (mut c, mut h, mut f) = attached();
    let listed = f.listings_sent();
    let changed = indexes_changed(&h);
    // tmux renumbers, and several notifications ask for a listing before any reply.
    f.windows = vec![(0, 3), (1, 5)];
    let t = Instant::now();
    c.receive(b"%session-window-changed $0 @1\n", t, &mut h);
    let once = String::from_utf8_lossy(c.outgoing())
        .matches("list-windows")
        .count();
    assert_eq!(once, 1, "the first one is sent at once");
    c.receive(
        b"%subscription-changed muxlink-windows $0 - - - : @0.3 @1.5 \n\
          %session-window-changed $0 @0\n\
          %window-close @1\n\
          %session-window-changed $7 @9\n",
        t,
        &mut h,
    );
    let out = String::from_utf8_lossy(c.outgoing()).into_owned();
    assert_eq!(out.matches("list-windows").count(), 1, "{out}");
    assert_eq!(
        h.count(|e| matches!(
            e,
            ClientEvent::Notice {
                kind: NoticeKind::SubscriptionChanged,
                ..
            }
        )),
        0,
        "its own subscription is not a notice for the host: {:?}",
        h.events
    );
    // The reply to the first brings the one that waited, and nothing more.
    f.answer(&mut c, &mut h);
    assert_eq!(f.listings_sent(), listed + 1);
    assert_eq!(
        String::from_utf8_lossy(c.outgoing())
            .matches("list-windows")
            .count(),
        1,
        "the waiting listing follows the reply"
    );
    assert_eq!(index(&c, 0), Some(3));
    f.answer(&mut c, &mut h);
    assert_eq!(f.listings_sent(), listed + 2);
    assert!(c.outgoing().is_empty(), "nothing else waits");
    assert_eq!(indexes_changed(&h), changed + 1, "{:?}", h.events);
    // `%window-close` of a window tmux still lists (a move) closed nothing.
    assert_eq!(closed(&h), 0, "{:?}", h.events);
    assert_eq!(index(&c, 1), Some(5));
}

#[test]
fn closed_windows_leave_the_model() {
    let (mut c, mut h, mut f) = attached();
    // kill-window: tmux 3.3a says %unlinked-window-close, and the window goes at once.
    f.windows = vec![(0, 0)];
    c.receive(b"%unlinked-window-close @1\n", Instant::now(), &mut h);
    assert!(c.state().window(WindowId(1)).is_none());
    assert!(h.saw(ClientEvent::WindowClosed {
        window: WindowId(1)
    }));
    assert_eq!(closed(&h), 1);
    f.answer(&mut c, &mut h);
    // A %window-close the listing confirms removes the window when the reply comes.
    f.windows = vec![(2, 1)];
    c.receive(
        b"%window-add @2\n%window-close @0\n",
        Instant::now(),
        &mut h,
    );
    assert!(
        c.state().window(WindowId(0)).is_some(),
        "not before the listing"
    );
    f.answer(&mut c, &mut h);
    f.answer(&mut c, &mut h);
    assert!(c.state().window(WindowId(0)).is_none());
    assert_eq!(index(&c, 2), Some(1));
    assert!(h.saw(ClientEvent::WindowClosed {
        window: WindowId(0)
    }));
    assert_eq!(closed(&h), 2);
}

#[test]
fn a_replay_knows_no_index_and_sends_nothing() {
    let mut c = Client::new(
        ClientConfig::default()
            .with_handshake(false)
            .with_keep_state_on_exit(true),
    );
    c.receive(
        b"%window-add @3\n%layout-change @4 b25d,80x24,0,0,0 b25d,80x24,0,0,0 *\n\
          %window-add @5\n%window-close @5\n",
        Instant::now(),
        &mut NoopHost,
    );
    assert!(c.outgoing().is_empty());
    assert!(
        c.state().window(WindowId(5)).is_none(),
        "a replay cannot ask"
    );
    let windows: Vec<(WindowId, Option<u32>)> = c
        .state()
        .windows
        .values()
        .map(|w| (w.id, w.index))
        .collect();
    assert_eq!(windows, [(WindowId(3), None), (WindowId(4), None)]);
}

/// tmux reports the windows subscription only when its value differs from the last one it
/// reported. Indexes a listing learned between two of its checks (`move-window -t :6` seen
/// through a notification) would hide a renumbering back (`move-window -r`): a listing that
/// changes an index subscribes again, and one that changes nothing does not.
#[test]
fn a_listing_that_reindexes_subscribes_again() {
    let (mut c, mut h, mut f) = attached();
    let subscriptions = |f: &Fake| {
        f.sent
            .iter()
            .filter(|l| l.contains("muxlink-windows"))
            .count()
    };
    let before = subscriptions(&f);
    f.windows = vec![(0, 0), (1, 6)];
    c.receive(b"%session-window-changed $0 @1\n", Instant::now(), &mut h);
    f.answer(&mut c, &mut h);
    assert_eq!(index(&c, 1), Some(6));
    f.answer(&mut c, &mut h);
    assert_eq!(subscriptions(&f), before + 1, "{:?}", f.sent);
    // The same listing again, nothing changed: no new subscription.
    c.receive(b"%session-window-changed $0 @0\n", Instant::now(), &mut h);
    f.answer(&mut c, &mut h);
    f.answer(&mut c, &mut h);
    assert_eq!(subscriptions(&f), before + 1, "{:?}", f.sent);
}
