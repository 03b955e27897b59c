//! Hostile user strings through the command encoder, against real tmux.
//!
//! Three layers are checked separately:
//! 1. Quoting: `set-buffer` stores its argument untouched and `save-buffer` writes it to a
//!    file, so every hostile byte string (anything without NUL) must come back
//!    byte-identical. This checks [`quote_arg`] exactly.
//! 2. `rename-window` / `rename-session`: tmux expands formats in the name (the encoder
//!    escapes them with `format_literal`) and then stores it through `utf8_stravis`, which
//!    visualises control bytes, `\` and invalid UTF-8 by design; session names also get
//!    `:` and `.` replaced by `_`. Each name must read back as exactly that documented
//!    transform of the original (the original itself whenever it holds no such bytes).
//! 3. `new-window -n`: stored without visualisation, so names read back byte-identical.
//!
//! After everything: no file created by `#(...)`, `$(...)` or backticks, no extra window
//! or session, and the server still answers.

#[path = "commands_client.rs"]
mod client;

use std::path::Path;

use client::ControlClient;
use muxlink_proto::command::{self, quote_arg, NewWindow, Target, WindowScope};
use muxlink_proto::{SessionId, WindowId};
use muxlink_testkit::{tmux_available, TempDir, TmuxServer};

/// The hostile strings. `dir` is where a successful injection would create files.
fn hostile(dir: &Path) -> Vec<Vec<u8>> {
    let d = dir.display().to_string();
    let mut v: Vec<Vec<u8>> = vec![
        b"it's".to_vec(),
        b"'".to_vec(),
        b"''".to_vec(),
        b"say \"hi\"".to_vec(),
        b"\"".to_vec(),
        b"a;b".to_vec(),
        b"a ; kill-server".to_vec(),
        b";".to_vec(),
        b"a\\;b".to_vec(),
        b"x \\; kill-server".to_vec(),
        b"#{window_id}".to_vec(),
        b"#{session_name}#{pane_id}".to_vec(),
        b"#W#S#H".to_vec(),
        format!("#(touch {d}/hash-paren)").into_bytes(),
        format!("$(touch {d}/dollar-paren)").into_bytes(),
        format!("`touch {d}/backtick`").into_bytes(),
        format!("#{{e|+:1,1}}#(touch {d}/hash-nested)").into_bytes(),
        b"$HOME".to_vec(),
        b"${HOME}".to_vec(),
        b"$".to_vec(),
        b"~".to_vec(),
        b"~root".to_vec(),
        b"~/x".to_vec(),
        b"a\nb".to_vec(),
        b"a\r\nb".to_vec(),
        b"\r".to_vec(),
        b"tab\there".to_vec(),
        b"back\\slash".to_vec(),
        b"\\".to_vec(),
        b"\\n\\033".to_vec(),
        b"bad \xff\xc3 utf8".to_vec(),
        b"\xc3".to_vec(),
        "caf\u{e9} \u{65e5}\u{672c}".as_bytes().to_vec(),
        b"\x1b[31mred\x1b[0m".to_vec(),
        b"\x01\x02\x7f".to_vec(),
        b"-t".to_vec(),
        b"--".to_vec(),
        b"-".to_vec(),
        b"-x foo".to_vec(),
        b" leading and trailing ".to_vec(),
        b"%1".to_vec(),
        b"%if 1".to_vec(),
        b"%".to_vec(),
        b"{".to_vec(),
        b"}".to_vec(),
        b"{ display-message hi }".to_vec(),
        b"#[fg=red]".to_vec(),
        b"##[x".to_vec(),
        b"#".to_vec(),
        b"##".to_vec(),
        b"#,#}".to_vec(),
        b"a=b".to_vec(),
        b"X=1".to_vec(),
        b"# comment".to_vec(),
        b"".to_vec(),
    ];
    let mut long = Vec::new();
    for i in 0..600u32 {
        long.extend_from_slice(format!("{i}#\"'$;\\").as_bytes());
    }
    v.push(long);
    v
}

/// tmux 3.3a's `utf8_stravis(.., VIS_OCTAL|VIS_CSTYLE|VIS_TAB|VIS_NL)`, which
/// `window_set_name` and `session_check_name` apply, for the inputs used here: valid
/// multi-byte UTF-8 is kept, printable ASCII is kept except `\` (doubled) and a `$` that
/// starts a variable name (`$` before a letter, `_` or `{` becomes `\$`: tmux passes
/// `VIS_DQ`), the C escapes `\n \t \r \a \b \v \f` are used where they exist, every
/// other byte is `\ooo`.
fn tmux_vis(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b >= 0x80 {
            let n = match b {
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf4 => 4,
                _ => 0,
            };
            if n > 0 && i + n <= s.len() && std::str::from_utf8(&s[i..i + n]).is_ok() {
                out.extend_from_slice(&s[i..i + n]);
                i += n;
                continue;
            }
        }
        let next = s.get(i + 1).copied().unwrap_or(0);
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'$' if next.is_ascii_alphabetic() || next == b'_' || next == b'{' => {
                out.extend_from_slice(b"\\$")
            }
            0x20..=0x7e => out.push(b),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0b => out.extend_from_slice(b"\\v"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
        }
        i += 1;
    }
    out
}

fn show(b: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(b))
}

/// Ids and counts of the server's windows and sessions.
fn census(c: &mut ControlClient) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let w = c.ok(&command::list_windows(WindowScope::All, b"#{window_id}")
        .unwrap()
        .into_bytes());
    let s = c.ok(&command::list_sessions(b"#{session_id}")
        .unwrap()
        .into_bytes());
    (w, s)
}

fn assert_no_injection(dir: &Path) {
    // A `#(...)` that got through would run as a background job: give it time to land.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let created: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        created.is_empty(),
        "a hostile name ran a command: {created:?}"
    );
}

struct Setup {
    _server: TmuxServer,
    client: ControlClient,
    dir: TempDir,
    window: WindowId,
    session: SessionId,
}

fn setup(tag: &str) -> Option<Setup> {
    if !tmux_available() {
        eprintln!("tmux not installed; .ci/run installs it");
        return None;
    }
    let server = TmuxServer::start(tag, 80, 24).expect("tmux server");
    let mut client = ControlClient::attach(&server);
    let ids = client.ok(b"display-message -p '#{window_id} #{session_id}'\n");
    let ids = String::from_utf8(ids[0].clone()).unwrap();
    let (w, s) = ids.split_once(' ').unwrap();
    let window = WindowId::parse(w.as_bytes()).unwrap();
    let session = SessionId::parse(s.as_bytes()).unwrap();
    let dir = TempDir::new("hostile").unwrap();
    Some(Setup {
        _server: server,
        client,
        dir,
        window,
        session,
    })
}

#[test]
fn quoted_arguments_reach_tmux_byte_identical() {
    let Some(mut t) = setup("quote") else { return };
    let before = census(&mut t.client);
    let out = t.dir.path().join("out");
    let mut out_arg = Vec::new();
    quote_arg(&mut out_arg, out.to_str().unwrap().as_bytes()).unwrap();
    let mut names = hostile(t.dir.path());
    // Every single byte value except NUL, in one string.
    names.push((1u8..=255).collect());
    for name in &names {
        if name.is_empty() {
            // tmux's set-buffer ignores empty data; the empty argument is checked by the
            // rename-window test instead.
            continue;
        }
        let mut line = b"set-buffer -b muxlink-hostile -- ".to_vec();
        quote_arg(&mut line, name).unwrap();
        line.push(b'\n');
        // The encoded line is printable ASCII: nothing tmux could misread as raw bytes.
        assert!(line[..line.len() - 1]
            .iter()
            .all(|b| (0x20..0x7f).contains(b)));
        t.client.ok(&line);
        let mut save = b"save-buffer -b muxlink-hostile ".to_vec();
        save.extend_from_slice(&out_arg);
        save.push(b'\n');
        t.client.ok(&save);
        let got = std::fs::read(&out).unwrap();
        assert_eq!(
            got,
            *name,
            "set-buffer {} came back as {}",
            show(name),
            show(&got)
        );
        std::fs::remove_file(&out).unwrap();
    }
    assert_no_injection(t.dir.path());
    assert_eq!(census(&mut t.client), before);
}

#[test]
fn rename_window_reads_back_every_hostile_name() {
    let Some(mut t) = setup("renwin") else { return };
    let before = census(&mut t.client);
    let read_back = command::display_message(Some(Target::Window(t.window)), b"#{window_name}")
        .unwrap()
        .into_bytes();
    let list = command::list_windows(WindowScope::Session(t.session), b"#{window_name}")
        .unwrap()
        .into_bytes();
    for name in hostile(t.dir.path()) {
        let cmd = command::rename_window(t.window, &name).unwrap();
        t.client.ok(cmd.as_bytes());
        let expected = tmux_vis(&name);
        let got = t.client.ok(&read_back);
        assert_eq!(
            got,
            std::slice::from_ref(&expected),
            "rename-window {}",
            show(&name)
        );
        assert_eq!(t.client.ok(&list), std::slice::from_ref(&expected));
        let dollar_var = name
            .windows(2)
            .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'_' || w[1] == b'{'));
        let plain = !name
            .iter()
            .any(|&b| b < 0x20 || b == 0x7f || b == b'\\' || b >= 0x80);
        if plain && !dollar_var {
            // Nothing for tmux to visualise: the name is exactly the user's bytes.
            assert_eq!(expected, name);
        }
    }
    // tmux notified the renames (the last one is the long name).
    assert!(t
        .client
        .notifications
        .iter()
        .any(|l| l.starts_with(format!("%window-renamed {} 0#", t.window).as_bytes())));
    assert_no_injection(t.dir.path());
    assert_eq!(census(&mut t.client), before);
}

#[test]
fn rename_session_reads_back_every_hostile_name() {
    let Some(mut t) = setup("rensess") else {
        return;
    };
    let before = census(&mut t.client);
    let read_back = command::display_message(Some(Target::Session(t.session)), b"#{session_name}")
        .unwrap()
        .into_bytes();
    for name in hostile(t.dir.path()) {
        let cmd = match command::rename_session(t.session, &name) {
            Ok(c) => c,
            Err(e) => {
                // Only the empty name is refused (tmux refuses it too).
                assert!(name.is_empty(), "{}: {e}", show(&name));
                let line = format!("rename-session -t '{}' -- ''\n", t.session);
                assert!(!t.client.send(line.as_bytes()).ok);
                continue;
            }
        };
        t.client.ok(cmd.as_bytes());
        let replaced: Vec<u8> = name
            .iter()
            .map(|&b| if b == b':' || b == b'.' { b'_' } else { b })
            .collect();
        let got = t.client.ok(&read_back);
        assert_eq!(got, [tmux_vis(&replaced)], "rename-session {}", show(&name));
    }
    assert_no_injection(t.dir.path());
    assert_eq!(census(&mut t.client), before);
}

#[test]
fn new_window_names_read_back_byte_identical() {
    let Some(mut t) = setup("newwin") else { return };
    let before = census(&mut t.client);
    for name in hostile(t.dir.path()) {
        let nw = NewWindow {
            session: Some(t.session),
            name: Some(&name),
            detached: true,
            print_format: Some(b"#{window_id}"),
            ..NewWindow::new()
        };
        if name.contains(&b'\n') || name.contains(&b'\r') {
            assert!(matches!(
                nw.build(),
                Err(command::CommandError::LineBreak { .. })
            ));
            continue;
        }
        let body = t.client.ok(nw.build().unwrap().as_bytes());
        let id = WindowId::parse(&body[0]).expect("new window id");
        let got = t.client.ok(&command::display_message(
            Some(Target::Window(id)),
            b"#{window_name}",
        )
        .unwrap()
        .into_bytes());
        assert_eq!(
            got,
            std::slice::from_ref(&name),
            "new-window -n {}",
            show(&name)
        );
        t.client.ok(command::kill_window(id).as_bytes());
    }
    assert_no_injection(t.dir.path());
    assert_eq!(census(&mut t.client), before);
}

#[test]
fn nul_is_refused_not_truncated() {
    assert!(matches!(
        command::rename_window(WindowId(0), b"a\0b"),
        Err(command::CommandError::Nul { offset: 1 })
    ));
    let mut out = b"x".to_vec();
    assert!(quote_arg(&mut out, b"\0").is_err());
    assert_eq!(out, b"x");
}
