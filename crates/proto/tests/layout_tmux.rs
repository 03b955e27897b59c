//! Layout strings against real tmux 3.3a and the recorded 3.5a / 3.7c fixtures: every layout
//! tmux prints parses with a valid checksum, prints back byte-identical and agrees with
//! `list-panes`; layouts built here are accepted by tmux's own checksum check.

use muxlink_proto::layout::{layout_checksum, Layout, LayoutError, LayoutKind, LayoutNode};
use muxlink_proto::PaneId;
use muxlink_testkit::{tmux_available, TmuxServer};

fn text(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap().trim_end().to_string()
}

/// Checks the window's layout and visible layout against tmux's own pane list.
fn check_window(server: &TmuxServer, zoomed: bool) -> (Layout, Layout) {
    let out = text(
        server
            .tmux_ok(&[
                "display-message",
                "-p",
                "#{window_layout} #{window_visible_layout}",
            ])
            .unwrap(),
    );
    let (full, visible) = out.split_once(' ').unwrap();
    let l = Layout::parse(full.as_bytes()).unwrap_or_else(|e| panic!("{full}: {e}"));
    let v = Layout::parse(visible.as_bytes()).unwrap_or_else(|e| panic!("{visible}: {e}"));
    assert_eq!(l.to_bytes(), full.as_bytes());
    assert_eq!(v.to_bytes(), visible.as_bytes());
    assert_eq!(l.to_string(), full);

    let panes = text(
        server
            .tmux_ok(&[
                "list-panes",
                "-F",
                "#{pane_id} #{pane_width} #{pane_height} #{pane_left} #{pane_top}",
            ])
            .unwrap(),
    );
    let listed: Vec<(PaneId, [i64; 4])> = panes
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            let id = PaneId::parse(f[0].as_bytes()).unwrap();
            let n = [1, 2, 3, 4].map(|i| f[i].parse::<i64>().unwrap());
            (id, n)
        })
        .collect();
    let from_layout: Vec<(PaneId, [i64; 4])> = l
        .panes()
        .iter()
        .map(|g| {
            let n = [g.cols as i64, g.rows as i64, g.x as i64, g.y as i64];
            (g.pane, n)
        })
        .collect();
    if zoomed {
        // Zoomed: the full layout keeps the tiling, the visible one is the zoomed pane.
        assert_eq!(v.pane_count(), 1);
        let z = v.root.pane_id().unwrap();
        assert!(l.contains(z));
        assert_eq!(from_layout.len(), listed.len());
    } else if !l.floating.is_empty() {
        // Floating panes come in z-order in `<...>` (the newest on top), not in tmux's list
        // order.
        assert_eq!(l, v);
        let (mut a, mut b) = (from_layout, listed);
        a.sort();
        b.sort();
        assert_eq!(a, b, "{full}");
    } else {
        assert_eq!(l, v);
        // tmux lists panes in the layout's order.
        assert_eq!(from_layout, listed, "{full}");
    }
    (l, v)
}

#[test]
fn tmux_layouts_parse_print_and_match_panes() {
    if !tmux_available() {
        eprintln!("tmux not installed; .ci/run installs it");
        return;
    }
    let server = TmuxServer::start("layout", 80, 24).unwrap();
    let t = |args: &[&str]| {
        server.tmux_ok(args).unwrap();
    };
    check_window(&server, false);
    t(&["split-window", "-h", "-t", "%0"]);
    check_window(&server, false);
    t(&["split-window", "-v", "-t", "%1"]);
    t(&["split-window", "-h", "-t", "%0"]);
    t(&["split-window", "-v", "-t", "%3"]);
    t(&["split-window", "-h", "-t", "%4"]);
    let (l, _) = check_window(&server, false);
    assert_eq!(l.pane_count(), 6);
    // Three levels of nesting.
    fn depth(n: &LayoutNode) -> usize {
        1 + n.children().iter().map(depth).max().unwrap_or(0)
    }
    assert!(depth(&l.root) >= 4, "{l}");

    t(&["resize-pane", "-Z", "-t", "%2"]);
    let (_, v) = check_window(&server, true);
    assert_eq!(v.root.pane_id(), Some(PaneId(2)));
    assert_eq!((v.cols(), v.rows()), (80, 24));
    t(&["resize-pane", "-Z", "-t", "%2"]);
    check_window(&server, false);

    t(&["resize-pane", "-t", "%0", "-x", "11"]);
    t(&["resize-pane", "-t", "%3", "-U", "2"]);
    check_window(&server, false);
    for preset in [
        "tiled",
        "main-vertical",
        "main-horizontal",
        "even-horizontal",
        "even-vertical",
    ] {
        t(&["select-layout", preset]);
        check_window(&server, false);
    }
    t(&["resize-window", "-x", "123", "-y", "45"]);
    let (l, _) = check_window(&server, false);
    assert_eq!((l.cols(), l.rows()), (123, 45));
    t(&["kill-pane", "-t", "%4"]);
    check_window(&server, false);
}

#[test]
fn layouts_built_here_pass_tmux_checksum_check() {
    if !tmux_available() {
        eprintln!("tmux not installed; .ci/run installs it");
        return;
    }
    let server = TmuxServer::start("layoutnew", 80, 24).unwrap();
    server.tmux_ok(&["split-window", "-h"]).unwrap();
    server.tmux_ok(&["split-window", "-v"]).unwrap();
    let leaf = |c, r, x, y, id| LayoutNode::pane(c, r, x, y, PaneId(id));
    let trees = [
        // 20 + 1 + 29 + 1 + 29 = 80 columns.
        LayoutNode {
            cols: 80,
            rows: 24,
            x: 0,
            y: 0,
            kind: LayoutKind::LeftRight(vec![
                leaf(20, 24, 0, 0, 0),
                leaf(29, 24, 21, 0, 1),
                leaf(29, 24, 51, 0, 2),
            ]),
        },
        // 10 + 1 + 13 = 24 rows, the bottom split left-right.
        LayoutNode {
            cols: 80,
            rows: 24,
            x: 0,
            y: 0,
            kind: LayoutKind::TopBottom(vec![
                leaf(80, 10, 0, 0, 0),
                LayoutNode {
                    cols: 80,
                    rows: 13,
                    x: 0,
                    y: 11,
                    kind: LayoutKind::LeftRight(vec![
                        leaf(50, 13, 0, 11, 1),
                        leaf(29, 13, 51, 11, 2),
                    ]),
                },
            ]),
        },
    ];
    // (select-layout assigns the window's panes to the leaves in order, so the leaves
    // carry the ids in window order.)
    for tree in trees {
        let l = Layout::new(tree, vec![]);
        let s = l.to_string();
        server.tmux_ok(&["select-layout", &s]).unwrap();
        let back = text(
            server
                .tmux_ok(&["display-message", "-p", "#{window_layout}"])
                .unwrap(),
        );
        assert_eq!(back, s);
        assert_eq!(Layout::parse(back.as_bytes()).unwrap(), l);

        // A wrong checksum: tmux refuses it, and so does Layout::parse.
        let bad = format!("{:04x}{}", l.checksum ^ 1, &s[4..]);
        assert!(server.tmux_ok(&["select-layout", &bad]).is_err());
        assert!(matches!(
            Layout::parse(bad.as_bytes()),
            Err(LayoutError::Checksum { .. })
        ));
    }
}

/// tmux 3.7c prints a floating pane's offsets signed: `new-pane -X -5 -Y -3` starts it left
/// of and above the window, in the tiled tree and in `<...>` alike.
#[test]
fn floating_panes_with_negative_offsets_on_tmux_3_7c() {
    let Some(program) = muxlink_testkit::shared_tmux("3.7c") else {
        eprintln!("../shared/tmux/tmux-3.7c absent: not tested");
        return;
    };
    let server =
        TmuxServer::start_program(&program, "layout-float", 80, 24, &["exec sleep 100000"])
            .unwrap();
    for (x, y) in [("-5", "-3"), ("-20", "0"), ("70", "-5")] {
        server
            .tmux_ok(&[
                "new-pane",
                "-d",
                "-X",
                x,
                "-Y",
                y,
                "-x",
                "20",
                "-y",
                "5",
                "exec sleep 100000",
            ])
            .unwrap();
    }
    let (l, _) = check_window(&server, false);
    let mut offsets: Vec<(i32, i32)> = l.floating.iter().map(|n| (n.x, n.y)).collect();
    offsets.sort();
    assert_eq!(offsets, [(-20, 0), (-5, -3), (70, -5)], "{l}");
    // Printed back byte for byte, checksum included.
    let shown = text(
        server
            .tmux_ok(&["display-message", "-p", "#{window_layout}"])
            .unwrap(),
    );
    assert!(shown.contains("20x5,-5,-3,1>"), "{shown}");
    assert_eq!(l.to_string(), shown);
}

#[test]
fn recorded_fixture_layouts() {
    // The committed recordings, and the shared 3.5a / 3.7c ones when this checkout sits
    // next to them.
    let here = env!("CARGO_MANIFEST_DIR");
    let mut files = Vec::new();
    for dir in [
        format!("{here}/tests/fixtures"),
        format!("{here}/../../../shared/fixtures"),
    ] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "stream") {
                    files.push(p);
                }
            }
        }
    }
    files.sort();
    let mut seen = 0;
    for path in &files {
        let stream = std::fs::read(path).unwrap();
        let mut any_floating = false;
        for line in stream.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(rest) = line.strip_prefix(b"%layout-change ") else {
                continue;
            };
            let fields: Vec<&[u8]> = rest.split(|&b| b == b' ').collect();
            for s in fields.iter().skip(1).take(2) {
                let l = Layout::parse(s).unwrap_or_else(|e| {
                    panic!("{}: {}: {e}", path.display(), String::from_utf8_lossy(s))
                });
                assert_eq!(l.to_bytes(), *s);
                assert_eq!(l.checksum, layout_checksum(&s[5..]));
                any_floating |= !l.floating.is_empty();
                // Every floating pane is also a cell of the tiled list, with the same
                // geometry, and is yielded once by panes().
                for f in &l.floating {
                    let id = f.pane_id().unwrap();
                    assert_eq!(l.root.find_pane(id), Some(f));
                    assert_eq!(l.panes().iter().filter(|g| g.pane == id).count(), 1);
                }
                seen += 1;
            }
        }
        let name = path.file_name().unwrap().to_string_lossy();
        if name.contains("3.7c-floating") {
            assert!(any_floating, "{name} has floating panes");
        }
    }
    eprintln!("{seen} layouts from {} recordings", files.len());
    assert!(seen > 0, "no recorded layouts found");
}
