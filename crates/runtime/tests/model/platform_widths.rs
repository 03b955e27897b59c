//! A server whose platform gives other widths than muxlink's tables (another glibc, or
//! utf8proc on macOS): the width probe finds them, the emulators take them (under
//! `codepoint-widths`), and every pane is read again, on virtual time against a scripted tmux.

use std::time::Instant;

use muxlink_runtime::{Client, ClientConfig, ClientEvent, OutputMode, PaneId, TmuxRelease};
use muxlink_term::width_tables::WidthTable;

use super::fake::Fake;
use super::Rec;

/// U+1FAE8 SHAKING FACE (Unicode 15): unknown to glibc 2.36, so narrow in tmux 3.4's table;
/// wide on a server with a newer glibc.
const SHAKING_FACE: u32 = 0x1FAE8;

fn attach(platform: Vec<(u32, u8)>) -> (Client, Rec, Fake) {
    attach_with(ClientConfig::default(), platform)
}

fn attach_with(config: ClientConfig, platform: Vec<(u32, u8)>) -> (Client, Rec, Fake) {
    let mut f = Fake::new(vec![(0, 0)]);
    f.version = "3.4";
    f.platform = platform;
    let (c, h) = f.attach(config);
    (c, h, f)
}

/// The cursor's column after the pane printed `text`.
fn column_after(c: &mut Client, h: &mut Rec, text: &str) -> u16 {
    let mut line = b"%output %0 ".to_vec();
    for b in text.bytes() {
        line.extend_from_slice(format!("\\{b:03o}").as_bytes());
    }
    line.push(b'\n');
    c.receive(&line, Instant::now(), h);
    c.state().pane(PaneId(0)).unwrap().cursor().unwrap().x
}

#[test]
fn platform_widths_are_applied_and_the_panes_read_again() {
    let table = WidthTable::for_release(TmuxRelease::V3_4);
    assert_eq!(
        table.width(SHAKING_FACE),
        1,
        "the premise: narrow in the table"
    );
    let (mut c, mut h, f) = attach(vec![(SHAKING_FACE, 2)]);
    assert_eq!(c.state().platform_widths, [(SHAKING_FACE, 2)]);
    assert!(h.saw(ClientEvent::PlatformWidths { differing: 1 }));
    // The pane was read once at attach and once more after the probe.
    let syncs = f.sent.iter().filter(|l| l.contains("capture-pane")).count();
    assert_eq!(syncs, 2, "{:#?}", f.sent);
    let face = char::from_u32(SHAKING_FACE).unwrap();
    assert_eq!(column_after(&mut c, &mut h, &format!("{face}x")), 3);
}

#[test]
fn a_server_that_agrees_costs_one_probe_and_no_second_read() {
    let (mut c, mut h, f) = attach(Vec::new());
    assert!(c.state().platform_widths.is_empty());
    assert_eq!(
        h.count(|e| matches!(e, ClientEvent::PlatformWidths { .. })),
        0,
        "{:?}",
        h.events
    );
    assert_eq!(f.sent.iter().filter(|l| l.contains("w;l:")).count(), 1);
    assert_eq!(
        f.sent.iter().filter(|l| l.contains("capture-pane")).count(),
        1
    );
    let face = char::from_u32(SHAKING_FACE).unwrap();
    assert_eq!(column_after(&mut c, &mut h, &format!("{face}x")), 2);
}

/// Bytes mode: the host's own emulator learns the server's widths (the event, then
/// `Client::char_width`), and every pane is rebuilt for it once more after the event.
#[test]
fn a_bytes_mode_host_is_given_the_platform_widths_and_a_new_rebuild() {
    let config = ClientConfig::default().with_output_mode(OutputMode::Bytes);
    let (c, h, f) = attach_with(config.clone(), vec![(SHAKING_FACE, 2)]);
    assert_eq!(c.char_width(SHAKING_FACE), Some(2));
    assert_eq!(c.char_width(u32::from('x')), Some(1));
    let event = h
        .events
        .iter()
        .position(|e| e == ClientEvent::PlatformWidths { differing: 1 })
        .expect("the event");
    let resets: Vec<usize> = h
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, ClientEvent::PaneReset { .. }))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(resets.len(), 2, "{:?}", h.events);
    assert!(
        resets[1] > event,
        "a rebuild after the event: {:?}",
        h.events
    );
    assert_eq!(
        f.sent.iter().filter(|l| l.contains("capture-pane")).count(),
        2
    );

    // A server that agrees: the table's width, one rebuild, no event.
    let (c, h, _f) = attach_with(config, Vec::new());
    assert_eq!(c.char_width(SHAKING_FACE), Some(1));
    assert_eq!(
        h.count(|e| matches!(e, ClientEvent::PaneReset { .. })),
        1,
        "{:?}",
        h.events
    );
    // Before the release is known, no answer.
    assert_eq!(
        Client::new(ClientConfig::default()).char_width(SHAKING_FACE),
        None
    );
}
