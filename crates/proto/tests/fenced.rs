//! Fenced replies on synthetic streams: what tmux writes for a line built by `fenced_line`
//! (modelled on tmux 3.3a's `cmd-queue.c`: blocks in order, numbers from one counter, the rest
//! of a line skipped after an `%error`), with hostile pane text inside the fenced blocks.
//! Every case checks that the fenced replies hold exactly the pane's lines, that nothing from
//! a pane comes out as anything but reply text, and that chunking changes nothing.

use muxlink_proto::command::{self, fenced_line, CapturePane, FencedLine, LinePart, Target};
use muxlink_proto::fence::Nonce;
use muxlink_proto::{Event, PaneId, Parser, ParserConfig, ProtoError, ReplyMatch, ReplyMatcher};
use proptest::prelude::*;

const T: u64 = 1_765_000_000;

/// What a test looks at, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
enum E {
    Reply {
        number: u64,
        ok: bool,
        body: Vec<u8>,
    },
    Error(ProtoError),
    /// Any other event, by its name and debug text.
    Other(String),
}

fn own(ev: &Event<'_>) -> E {
    match ev {
        Event::Reply(r) => E::Reply {
            number: r.number,
            ok: r.ok,
            body: r.body.to_vec(),
        },
        Event::Error { error, .. } => E::Error(error.clone()),
        other => E::Other(format!("{other:?}")),
    }
}

fn reply(number: u64, ok: bool, lines: &[&[u8]]) -> E {
    E::Reply {
        number,
        ok,
        body: lines.join(&b"\n"[..]),
    }
}

/// Predictable nonces (fine against a model; never against a real tmux).
fn counter_nonces(seed: u8) -> impl FnMut() -> [u8; 16] {
    let mut n = 0u8;
    move || {
        n += 1;
        let mut b = [seed; 16];
        b[15] = n;
        b
    }
}

fn formats(pane: u32) -> command::Command {
    command::display_message(
        Some(Target::Pane(PaneId(pane))),
        b"%#{pane_id} #{pane_width}",
    )
    .unwrap()
}

fn capture(pane: u32) -> command::Command {
    CapturePane::new(PaneId(pane)).build()
}

/// A sync-like line: formats, then `captures` fenced captures.
fn sync_line(captures: usize, seed: u8) -> FencedLine {
    let mut parts = vec![LinePart::Plain(formats(1))];
    for _ in 0..captures {
        parts.push(LinePart::Fenced(capture(1)));
    }
    fenced_line(&parts, &mut counter_nonces(seed)).unwrap()
}

/// How one non-fence command of a line fares in the model.
#[derive(Clone, Debug)]
struct Fate {
    ok: bool,
    body: Vec<Vec<u8>>,
}

fn ok(body: &[&[u8]]) -> Fate {
    Fate {
        ok: true,
        body: body.iter().map(|l| l.to_vec()).collect(),
    }
}

fn fail(msg: &[u8]) -> Fate {
    Fate {
        ok: false,
        body: vec![msg.to_vec()],
    }
}

/// A model of tmux answering command lines of one control client.
struct Model {
    out: Vec<u8>,
    number: u64,
}

impl Model {
    fn new(first_number: u64) -> Model {
        Model {
            out: Vec::new(),
            number: first_number,
        }
    }

    fn line(&mut self, l: &[u8]) {
        self.out.extend_from_slice(l);
        self.out.push(b'\n');
    }

    /// One block; returns its number.
    fn block(&mut self, flags: u32, ok: bool, body: &[Vec<u8>]) -> u64 {
        self.number += 1;
        let n = self.number;
        self.line(format!("%begin {T} {n} {flags}").as_bytes());
        for l in body {
            self.line(l);
        }
        let end = if ok { "end" } else { "error" };
        self.line(format!("%{end} {T} {n} {flags}").as_bytes());
        n
    }

    /// The number the next block will get.
    fn next(&self) -> u64 {
        self.number + 1
    }

    /// Runs `fl`'s first line: fences print their nonce, every other command takes the next
    /// fate; a failure skips the rest of the line. `hook` (if any) is a flags-0 block written
    /// after every command (an `after-*` hook). Returns the numbers of the non-fence blocks.
    fn run_line(&mut self, fl: &FencedLine, fates: &[Fate], hook: Option<&[u8]>) -> Vec<u64> {
        let nonces: Vec<Nonce> = fl.plan().nonces().copied().collect();
        let text = fl.line().to_string();
        let mut fates = fates.iter();
        let mut numbers = Vec::new();
        for cmd in text.split(" ; ") {
            let fence = nonces
                .iter()
                .find(|n| cmd.contains(&n.to_string()))
                .copied();
            let failed = match fence {
                Some(n) => {
                    self.block(1, true, &[n.as_bytes().to_vec()]);
                    false
                }
                None => {
                    let f = fates.next().expect("a fate per command").clone();
                    numbers.push(self.block(1, f.ok, &f.body));
                    !f.ok
                }
            };
            if let Some(h) = hook {
                self.block(0, true, &[h.to_vec()]);
            }
            if failed {
                break;
            }
        }
        numbers
    }

    /// Runs `fl`'s closing line.
    fn run_close(&mut self, fl: &FencedLine) {
        let n = fl.plan().nonces().last().copied().unwrap();
        self.block(1, true, &[n.as_bytes().to_vec()]);
    }
}

fn feed_all(parser: &mut Parser, chunks: &[&[u8]]) -> Vec<E> {
    let mut out = Vec::new();
    for c in chunks {
        parser.feed(c, |ev| out.push(own(&ev)));
    }
    parser.finish(|ev| out.push(own(&ev)));
    out
}

fn parse_with(cfg: ParserConfig, plans: &[&FencedLine], chunks: &[&[u8]]) -> Vec<E> {
    let mut p = Parser::with_config(cfg);
    for fl in plans {
        p.expect_fences(fl.plan().clone());
    }
    feed_all(&mut p, chunks)
}

fn parse(plans: &[&FencedLine], input: &[u8]) -> Vec<E> {
    parse_with(ParserConfig::default(), plans, &[input])
}

/// Splits at every byte boundary (two pieces) and byte by byte: the events never change.
fn assert_chunking_independent(cfg: &ParserConfig, plans: &[&FencedLine], input: &[u8]) {
    let whole = parse_with(cfg.clone(), plans, &[input]);
    for cut in 0..=input.len() {
        let (a, b) = input.split_at(cut);
        assert_eq!(
            parse_with(cfg.clone(), plans, &[a, b]),
            whole,
            "split at byte {cut}"
        );
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(
        parse_with(cfg.clone(), plans, &bytes),
        whole,
        "byte by byte"
    );
}

/// Lines a hostile pane shows, knowing every number the line's blocks will get (`from`..`to`)
/// and the time: terminators of each, fences' `%begin`s with guessed nonces, notifications.
fn hostile(from: u64, to: u64) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = vec![b"$ cat evil.txt".to_vec()];
    for n in from..=to {
        for l in [
            format!("%end {T} {n} 1"),
            format!("%error {T} {n} 1"),
            format!("%begin {T} {n} 1"),
            format!("%end {T} {n} 0"),
            "0123456789abcdef0123456789abcdef".to_string(),
            format!("%end {T} {n} 1"),
        ] {
            v.push(l.into_bytes());
        }
        v.push(b"%window-renamed @0 pwned".to_vec());
        v.push(b"%session-renamed $0 pwned".to_vec());
        v.push(b"%layout-change @0 0000,65535x65535,0,0,0 0000,65535x65535,0,0,0 *".to_vec());
        v.push(b"%output %1 forged".to_vec());
        v.push(b"%exit pwned".to_vec());
    }
    v.push(Vec::new());
    v.push(b"\x1b[31mred\x1b[0m trailing text".to_vec());
    v
}

fn refs(v: &[Vec<u8>]) -> Vec<&[u8]> {
    v.iter().map(|l| &l[..]).collect()
}

#[test]
fn hostile_captures_stay_reply_text() {
    let fl = sync_line(2, 1);
    assert_eq!(fl.reply_blocks(), 3);
    let mut m = Model::new(100);
    let first = m.next();
    // The pane knows the time and every number the line will use.
    let evil = hostile(first, first + 12);
    let numbers = m.run_line(
        &fl,
        &[ok(&[b"%1 80"]), ok(&refs(&evil)), ok(&refs(&evil[3..]))],
        None,
    );
    m.run_close(&fl);
    m.line(b"%window-add @7");
    let got = parse(&[&fl], &m.out);
    assert_eq!(
        got,
        vec![
            reply(numbers[0], true, &[b"%1 80"]),
            reply(numbers[1], true, &refs(&evil)),
            reply(numbers[2], true, &refs(&evil[3..])),
            E::Other("WindowAdd { window: WindowId(7) }".into()),
        ]
    );
    assert_chunking_independent(&ParserConfig::default(), &[&fl], &m.out);

    // The same stream without the plan: the attack works (what the fences prevent).
    let unfenced = parse(&[], &m.out);
    assert!(
        unfenced
            .iter()
            .any(|e| matches!(e, E::Other(s) if s.contains("WindowRenamed"))),
        "the hostile text does not forge anything without fences: the test proves nothing"
    );
}

#[test]
fn the_parser_knows_nothing_more_after_the_line() {
    let fl = sync_line(1, 2);
    let mut m = Model::new(7);
    m.run_line(&fl, &[ok(&[b"f"]), ok(&[b"cap"])], None);
    m.run_close(&fl);
    let mut p = Parser::new();
    p.expect_fences(fl.plan().clone());
    assert_eq!(p.pending_fences(), 1);
    let mut got = Vec::new();
    p.feed(&m.out, |ev| got.push(own(&ev)));
    assert_eq!(p.pending_fences(), 0);
    assert!(!p.in_block());
    assert_eq!(got.len(), 2, "{got:?}");
    // A later block with the same text as a fence is an ordinary reply.
    let nonce = fl.plan().nonces().next().unwrap().to_string();
    let later = format!("%begin {T} 99 1\n{nonce}\n%end {T} 99 1\n");
    got.clear();
    p.feed(later.as_bytes(), |ev| got.push(own(&ev)));
    assert_eq!(got, vec![reply(99, true, &[nonce.as_bytes()])]);
}

#[test]
fn failed_capture_skips_the_rest_of_the_line() {
    for failing in 0..3 {
        let fl = sync_line(2, 3);
        let mut m = Model::new(40);
        let evil = hostile(m.next(), m.next() + 10);
        let mut fates = vec![ok(&[b"%1 80"]), ok(&refs(&evil)), ok(&refs(&evil))];
        fates[failing] = fail(b"can't find pane: %1");
        let numbers = m.run_line(&fl, &fates, None);
        assert_eq!(numbers.len(), failing + 1);
        m.run_close(&fl);
        m.line(b"%sessions-changed");
        let got = parse(&[&fl], &m.out);
        let mut want: Vec<E> = numbers[..failing]
            .iter()
            .zip(&fates)
            .map(|(&n, f)| reply(n, true, &refs(&f.body)))
            .collect();
        want.push(reply(numbers[failing], false, &[b"can't find pane: %1"]));
        want.push(E::Other("SessionsChanged".into()));
        assert_eq!(got, want, "command {failing} fails");
        assert_chunking_independent(&ParserConfig::default(), &[&fl], &m.out);

        // The matcher pairs the visible replies with the line.
        let mut matcher = ReplyMatcher::new();
        matcher.push_fenced("sync", &fl);
        let mut outcomes = Vec::new();
        let mut p = Parser::new();
        p.expect_fences(fl.plan().clone());
        p.feed(&m.out, |ev| {
            if let Event::Reply(r) = ev {
                outcomes.push(matcher.on_reply(&r));
            }
        });
        assert_eq!(outcomes.last(), Some(&ReplyMatch::Matched("sync")));
        assert_eq!(matcher.pending(), 0);
    }
}

#[test]
fn the_whole_line_refused_gives_one_error_and_nothing_else() {
    // A line tmux cannot parse: one %error block (flags 1), no command runs, no fence but
    // the closing one.
    let fl = sync_line(2, 4);
    let mut m = Model::new(3);
    let n = m.block(1, false, &[b"parse error: unknown command: x".to_vec()]);
    m.run_close(&fl);
    m.line(b"%output %1 after");
    assert_eq!(
        parse(&[&fl], &m.out),
        vec![
            reply(n, false, &[b"parse error: unknown command: x"]),
            E::Other("Output { pane: PaneId(1), data: [97, 102, 116, 101, 114] }".into()),
        ]
    );
}

#[test]
fn lines_tmux_writes_between_a_failed_capture_and_the_closing_fence_are_read() {
    // The closing line ran in a later pass of tmux's queue: notifications, a pause-after
    // %pause, and the reply to a refresh-client -A (whose body holds tmux 3.3a's %pause and
    // %continue lines) came between the %error and the closing fence.
    let fl = sync_line(2, 5);
    let mut m = Model::new(10);
    let evil = hostile(m.next(), m.next() + 20);
    let numbers = m.run_line(
        &fl,
        &[
            ok(&[b"fmt"]),
            ok(&refs(&evil)),
            fail(b"no alternate screen"),
        ],
        None,
    );
    m.line(b"%window-renamed @1 real");
    m.line(b"%pause %1");
    let refresh = m.block(1, true, &[b"%pause %1".to_vec(), b"%continue %1".to_vec()]);
    m.line(b"%output %1 \\033[H");
    m.run_close(&fl);
    let got = parse(&[&fl], &m.out);
    assert_eq!(
        got,
        vec![
            reply(numbers[0], true, &[b"fmt"]),
            reply(numbers[1], true, &refs(&evil)),
            reply(numbers[2], false, &[b"no alternate screen"]),
            E::Other("WindowRenamed { window: WindowId(1), name: [114, 101, 97, 108] }".into()),
            E::Other("Pause { pane: PaneId(1) }".into()),
            reply(refresh, true, &[b"%pause %1", b"%continue %1"]),
            E::Other("Output { pane: PaneId(1), data: [27, 91, 72] }".into()),
        ]
    );
    assert_chunking_independent(&ParserConfig::default(), &[&fl], &m.out);
}

#[test]
fn hook_blocks_between_commands_are_read_as_usual() {
    // An `after-*` hook writes a flags-0 block after every command: between a fence and the
    // fenced block, and between the fenced block and the next fence.
    let fl = sync_line(2, 6);
    let mut m = Model::new(500);
    let evil = hostile(m.next(), m.next() + 30);
    let numbers = m.run_line(
        &fl,
        &[ok(&[b"fmt"]), ok(&refs(&evil)), ok(&[b"second"])],
        Some(b"hook output"),
    );
    m.run_close(&fl);
    let got = parse(&[&fl], &m.out);
    let replies: Vec<&E> = got
        .iter()
        .filter(|e| matches!(e, E::Reply { number, .. } if numbers.contains(number)))
        .collect();
    assert_eq!(
        replies,
        [
            &reply(numbers[0], true, &[b"fmt"]),
            &reply(numbers[1], true, &refs(&evil)),
            &reply(numbers[2], true, &[b"second"]),
        ]
    );
    // Every other event is a hook's block (one per command run), and nothing else.
    let hooks = got
        .iter()
        .filter(|e| matches!(e, E::Reply { body, .. } if body == b"hook output"))
        .count();
    assert_eq!(hooks + replies.len(), got.len(), "{got:?}");
    assert_eq!(hooks, fl.line().to_string().split(" ; ").count());
    assert_chunking_independent(&ParserConfig::default(), &[&fl], &m.out);
}

#[test]
fn forged_error_begin_and_wrong_nonces_stay_inside() {
    let fl = sync_line(1, 7);
    let other = sync_line(1, 8); // its nonces are never registered
    let mut m = Model::new(1000);
    let n = m.next() + 2; // the capture's number
    let mut evil: Vec<Vec<u8>> = Vec::new();
    for l in [
        format!("%error {T} {n} 1"),
        format!("%begin {T} {} 1", n + 1),
        other.plan().nonces().next().unwrap().to_string(),
        fl.plan()
            .nonces()
            .next()
            .unwrap()
            .to_string()
            .to_uppercase(),
        format!("{} ", fl.plan().nonces().nth(1).unwrap()),
        format!("%end {T} {} 1", n + 1),
        "%exit".to_string(),
    ] {
        evil.push(l.into_bytes());
    }
    let numbers = m.run_line(&fl, &[ok(&[b"f"]), ok(&refs(&evil))], None);
    assert_eq!(numbers[1], n);
    m.run_close(&fl);
    assert_eq!(
        parse(&[&fl], &m.out),
        vec![
            reply(numbers[0], true, &[b"f"]),
            reply(n, true, &refs(&evil))
        ]
    );
}

#[test]
fn two_lines_in_flight() {
    let a = sync_line(2, 9);
    let b = sync_line(1, 10);
    let mut m = Model::new(0);
    let evil = hostile(m.next(), m.next() + 25);
    let na = m.run_line(&a, &[ok(&[b"a"]), fail(b"gone"), ok(&[b"x"])], None);
    m.run_close(&a);
    let nb = m.run_line(&b, &[ok(&[b"b"]), ok(&refs(&evil))], None);
    m.run_close(&b);
    assert_eq!(
        parse(&[&a, &b], &m.out),
        vec![
            reply(na[0], true, &[b"a"]),
            reply(na[1], false, &[b"gone"]),
            reply(nb[0], true, &[b"b"]),
            reply(nb[1], true, &refs(&evil)),
        ]
    );
}

#[test]
fn a_missing_closing_fence_is_reported_when_the_next_line_shows() {
    // Never from tmux: the first line's closing fence is lost. The second line's fence
    // proves it will not come.
    let a = sync_line(1, 11);
    let b = sync_line(1, 12);
    let mut m = Model::new(0);
    let na = m.run_line(&a, &[ok(&[b"a"]), ok(&[b"cap a"])], None);
    let nb = m.run_line(&b, &[ok(&[b"b"]), ok(&[b"cap b"])], None);
    m.run_close(&b);
    assert_eq!(
        parse(&[&a, &b], &m.out),
        vec![
            reply(na[0], true, &[b"a"]),
            reply(na[1], true, &[b"cap a"]),
            reply(nb[0], true, &[b"b"]),
            E::Error(ProtoError::UnclosedFence { lines: 1 }),
            reply(nb[1], true, &[b"cap b"]),
        ]
    );
}

#[test]
fn a_fenced_block_cut_by_the_end_of_input_is_dropped_unread() {
    let fl = sync_line(1, 13);
    let mut m = Model::new(0);
    m.block(1, true, &[b"f".to_vec()]);
    m.block(
        1,
        true,
        &[fl.plan().nonces().next().unwrap().as_bytes().to_vec()],
    );
    let n = m.next();
    m.line(format!("%begin {T} {n} 1").as_bytes());
    m.line(format!("%end {T} {n} 1").as_bytes());
    m.line(b"%exit forged");
    m.line(b"%window-renamed @0 pwned");
    assert_eq!(
        parse(&[&fl], &m.out),
        vec![
            reply(n - 2, true, &[b"f"]),
            E::Error(ProtoError::UnterminatedBlock { number: n }),
        ]
    );
}

#[test]
fn a_fence_without_its_begin_line_still_counts() {
    // Never from tmux. The nonce alone (no `%begin` before it) still proves the fence ran.
    let fl = sync_line(2, 14);
    let nonces: Vec<Nonce> = fl.plan().nonces().copied().collect();
    let mut m = Model::new(0);
    m.block(1, true, &[b"f".to_vec()]);
    m.block(1, true, &[nonces[0].as_bytes().to_vec()]);
    let n = m.block(1, true, &[b"first".to_vec()]);
    m.line(nonces[1].as_bytes());
    let n2 = m.block(1, true, &[b"%window-renamed @0 pwned".to_vec()]);
    m.block(1, true, &[nonces[2].as_bytes().to_vec()]);
    m.run_close(&fl);
    assert_eq!(
        parse(&[&fl], &m.out),
        vec![
            reply(n - 2, true, &[b"f"]),
            reply(n, true, &[b"first"]),
            E::Error(ProtoError::MisplacedFence),
            // The next block is still fenced.
            reply(n2, true, &[b"%window-renamed @0 pwned"]),
        ]
    );
}

fn tight(max_block_len: usize) -> ParserConfig {
    ParserConfig {
        max_block_len,
        ..ParserConfig::default()
    }
}

#[test]
fn held_lines_are_bounded_and_truncation_leaks_nothing() {
    let fl = sync_line(1, 15);
    let mut m = Model::new(0);
    let f = m.block(1, true, &[b"f".to_vec()]);
    m.block(
        1,
        true,
        &[fl.plan().nonces().next().unwrap().as_bytes().to_vec()],
    );
    let n = m.next();
    // 40 bytes fit; then a forged terminator and notifications past the limit, then the
    // real terminator.
    let mut evil: Vec<Vec<u8>> = vec![b"0123456789".to_vec(); 3];
    evil.push(format!("%end {T} {n} 1").into_bytes());
    evil.push(b"%window-renamed @0 pwned".to_vec());
    evil.push(b"%exit".to_vec());
    evil.push(b"more pane text".to_vec());
    let got_n = m.block(1, true, &evil);
    assert_eq!(got_n, n);
    m.block(
        1,
        true,
        &[fl.plan().nonces().nth(1).unwrap().as_bytes().to_vec()],
    );
    m.run_close(&fl);
    let cfg = tight(40);
    let got = parse_with(cfg.clone(), &[&fl], &[&m.out]);
    assert_eq!(
        got,
        vec![
            reply(f, true, &[b"f"]),
            E::Error(ProtoError::BlockTooLong {
                number: n,
                limit: 40
            }),
            reply(n, true, &refs(&evil[..3])),
        ]
    );
    assert_chunking_independent(&cfg, &[&fl], &m.out);
}

#[test]
fn lines_after_a_terminator_past_the_limit_are_counted_as_lost() {
    // The real terminator fits, tmux's lines after it do not (a failed capture, then a
    // flood of notifications before the closing fence).
    let fl = sync_line(1, 16);
    let mut m = Model::new(0);
    let f = m.block(1, true, &[b"f".to_vec()]);
    m.block(
        1,
        true,
        &[fl.plan().nonces().next().unwrap().as_bytes().to_vec()],
    );
    let n = m.block(1, false, &[b"gone".to_vec()]);
    m.line(b"%window-add @1");
    for _ in 0..5 {
        m.line(b"%window-add @2");
    }
    m.run_close(&fl);
    // "gone", the terminator and two of the lines after it fit in 60 bytes.
    let cfg = tight(60);
    let got = parse_with(cfg.clone(), &[&fl], &[&m.out]);
    assert_eq!(
        got,
        vec![
            reply(f, true, &[b"f"]),
            reply(n, false, &[b"gone"]),
            E::Error(ProtoError::FencedTailDropped {
                number: n,
                lines: 4
            }),
            E::Other("WindowAdd { window: WindowId(1) }".into()),
            E::Other("WindowAdd { window: WindowId(2) }".into()),
        ]
    );
    assert_chunking_independent(&cfg, &[&fl], &m.out);
}

#[test]
fn fenced_line_encoding() {
    let fl = fenced_line(
        &[
            LinePart::Plain(formats(3)),
            LinePart::Fenced(capture(3)),
            LinePart::Fenced(capture(4)),
            LinePart::Plain(command::select_pane(PaneId(3))),
            LinePart::Fenced(capture(5)),
        ],
        &mut counter_nonces(0xaa),
    )
    .unwrap();
    let n = |i: u8| {
        format!(
            "display-message -p -- \"{}\"",
            Nonce::from_bits({
                let mut b = [0xaa; 16];
                b[15] = i;
                b
            })
        )
    };
    let want = [
        formats(3).to_string(),
        n(1),
        capture(3).to_string(),
        n(2),
        capture(4).to_string(),
        n(3),
        "select-pane -t %3".into(),
        n(4),
        capture(5).to_string(),
        n(5),
    ]
    .join(" ; ");
    assert_eq!(fl.line().to_string(), want);
    assert_eq!(fl.close().to_string(), n(6));
    assert_eq!(fl.reply_blocks(), 5);
    assert_eq!(fl.line().reply_blocks(), Some(10));
    assert_eq!(fl.plan().nonces().count(), 6);
    assert_eq!(
        fl.to_bytes(),
        [fl.line().as_bytes(), fl.close().as_bytes()].concat()
    );

    let mut src = counter_nonces(1);
    assert!(fenced_line(&[], &mut src).is_err());
    assert!(fenced_line(&[LinePart::Plain(formats(1))], &mut src).is_err());
    let joined = command::join(&[capture(1), capture(2)]).unwrap();
    assert!(fenced_line(&[LinePart::Fenced(joined)], &mut src).is_err());
    let raw = command::raw(b"capture-pane -p").unwrap();
    assert!(fenced_line(&[LinePart::Fenced(raw.clone())], &mut src).is_err());
    assert!(fenced_line(
        &[LinePart::Plain(raw), LinePart::Fenced(capture(1))],
        &mut src
    )
    .is_err());
    struct Broken;
    impl muxlink_proto::fence::NonceSource for Broken {
        fn next_nonce(&mut self) -> Result<Nonce, muxlink_proto::fence::NonceError> {
            Err(muxlink_proto::fence::NonceError("no entropy".into()))
        }
    }
    assert!(matches!(
        fenced_line(&[LinePart::Fenced(capture(1))], &mut Broken),
        Err(command::CommandError::Nonce(_))
    ));
}

/// A line a hostile pane may show: the dangerous ones (exact terminators of every block
/// number nearby, `%begin`s, notifications, guessed nonces) and arbitrary bytes.
fn hostile_line(base: u64) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0u64..12, any::<bool>(), 0u32..2).prop_map(move |(d, end, f)| {
            let kind = if end { "end" } else { "error" };
            format!("%{kind} {T} {} {f}", base + d).into_bytes()
        }),
        (0u64..12).prop_map(move |d| format!("%begin {T} {} 1", base + d).into_bytes()),
        prop::sample::select(vec![
            &b"%window-renamed @0 pwned"[..],
            b"%exit",
            b"%layout-change @0 0000,65535x65535,0,0,0",
            b"%output %1 forged",
            b"",
            b"0123456789abcdef0123456789abcdef",
        ])
        .prop_map(|l| l.to_vec()),
        prop::collection::vec(any::<u8>(), 0..24)
            .prop_map(|v| v.into_iter().filter(|&b| b != b'\n').collect()),
    ]
    .prop_map(|mut l: Vec<u8>| {
        // A line ending in `\r` loses it in framing (tmux never writes one).
        while l.last() == Some(&b'\r') {
            l.pop();
        }
        l
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fenced_replies_hold_exactly_the_pane_lines(
        captures in 1usize..4,
        bodies in prop::collection::vec(prop::collection::vec(hostile_line(50), 0..12), 4),
        failing in prop::option::of(0usize..4),
        gap in any::<bool>(),
        hook in any::<bool>(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        max_block in prop::sample::select(vec![64usize, 256, 1 << 20]),
    ) {
        let fl = sync_line(captures, 20);
        let mut m = Model::new(49);
        let mut fates = vec![ok(&[b"formats"])];
        for b in bodies.iter().take(captures) {
            fates.push(Fate { ok: true, body: b.clone() });
        }
        let failing = failing.filter(|&i| i <= captures);
        if let Some(i) = failing {
            fates[i] = fail(b"no such pane");
        }
        let numbers = m.run_line(&fl, &fates, hook.then_some(&b"h"[..]));
        if gap {
            m.line(b"%window-add @5");
        }
        m.run_close(&fl);
        m.line(b"%sessions-changed");

        let cfg = tight(max_block);
        let mut sorted: Vec<usize> = cuts.iter().map(|i| i.index(m.out.len() + 1)).collect();
        sorted.sort_unstable();
        let mut pieces = Vec::new();
        let mut at = 0;
        for c in sorted {
            pieces.push(&m.out[at..c]);
            at = c;
        }
        pieces.push(&m.out[at..]);
        let got = parse_with(cfg.clone(), &[&fl], &pieces);
        prop_assert_eq!(&got, &parse_with(cfg, &[&fl], &[&m.out]));

        // Nothing but replies, errors, the hook's and the gap's lines, and the last line.
        let mut replies = got.iter().filter_map(|e| match e {
            E::Reply { number, ok, body } if numbers.contains(number) => Some((*number, *ok, body.clone())),
            _ => None,
        });
        for (i, &n) in numbers.iter().enumerate() {
            let f = &fates[i];
            let (rn, rok, body) = replies.next().expect("a reply per command run");
            prop_assert_eq!(rn, n);
            prop_assert_eq!(rok, f.ok);
            let whole = f.body.join(&b"\n"[..]);
            if whole.len() <= max_block {
                prop_assert_eq!(body, whole);
            } else {
                // Truncated: a prefix of whole lines.
                prop_assert!(whole.starts_with(&body));
            }
        }
        for e in &got {
            match e {
                E::Reply { number, body, .. } => prop_assert!(
                    numbers.contains(number) || body == b"h",
                    "unexpected reply {:?}", e
                ),
                // Only with a small limit: truncation, lost lines after a terminator (a hook's
                // block cut in two among them).
                E::Error(
                    ProtoError::BlockTooLong { .. }
                    | ProtoError::FencedTailDropped { .. }
                    | ProtoError::UnterminatedBlock { .. },
                ) => prop_assert!(max_block < 1 << 20, "{:?}", e),
                E::Other(s) => prop_assert!(
                    s == "SessionsChanged" || s == "WindowAdd { window: WindowId(5) }",
                    "a line from the pane came out: {}", s
                ),
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        prop_assert_eq!(got.last(), Some(&E::Other("SessionsChanged".into())));
    }
}
