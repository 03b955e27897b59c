//! Conformance: muxlink's pane emulator against tmux 3.3a, cell for cell, tmux as the oracle.
//!
//! Every case (the committed corpus in `tests/corpus/` plus the seeded generator's mixes at
//! several sizes) is rendered by a live tmux in a pane of the case's size and by
//! `muxlink_term::Terminal`; the suite compares the screen text (`capture-pane -p`), the
//! history text (`-S - -E -`), every cell's character and style (both `-e` SGR streams parsed
//! into cells, never compared as bytes), the cursor and its visibility, the alternate-screen
//! flag, the title, the history size, and the modes tmux has formats for (insert, cursor and
//! keypad keys, autowrap, origin, mouse modes, scroll region). It fails listing every
//! mismatching case.
//!
//! Every case is also fed to muxlink a second time in 1-16 byte pieces (tmux cuts `%output`
//! anywhere), which must give the same result.
//!
//! What tmux's answer depends on, and how the suite pins it down (see `conformance/oracle.rs`):
//! - the pane title starts as the host name in tmux and "" in muxlink: the pane clears it
//!   (`OSC 2 ;` ST) before the case's bytes, so titles compare exactly;
//! - tmux runs its server in en_US.UTF-8 or C.UTF-8 and takes character widths from glibc's
//!   wcwidth there; muxlink's width table must be the same glibc's (Debian 12 here);
//! - the tty must pass bytes unchanged: the pane runs `stty raw -echo` before `cat`;
//! - the history limit is per pane and fixed when the pane is made: the suite sets
//!   `history-limit` before creating each case's session;
//! - the oracle is tmux 3.3a (Debian 12); another version prints a warning first.
//!
//! `cargo test -p muxlink-term --test conformance -- --ignored` runs two extra tools:
//! `oracle_is_deterministic` (every case twice on two servers) and `minimize`
//! (`CONFORMANCE_MINIMIZE=<case name>`: delta-debugs a failing case to a small reproduction).
//!
//! Knobs (environment): `CONFORMANCE_FILTER=substr` runs only cases whose name contains it;
//! `CONFORMANCE_SEEDS=N` sets the number of generator seeds (default 200);
//! `CONFORMANCE_THREADS=N` the number of workers (default 3). Failing cases are written to
//! `$CARGO_TARGET_TMPDIR/conformance-failures/` as `.bin` + `.case` (the corpus format) with
//! the differences in `.txt`.

#[path = "conformance/case.rs"]
mod case;
#[path = "conformance/compare.rs"]
mod compare;
#[path = "conformance/emulator.rs"]
mod emulator;
#[path = "conformance/gen.rs"]
mod gen;
#[path = "conformance/oracle.rs"]
mod oracle;
#[path = "conformance/sgr.rs"]
mod sgr;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use case::{Case, Step};

/// What one side shows after a case.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    /// `capture-pane -p`, one string per row.
    pub screen: Vec<String>,
    /// `capture-pane -p -S - -E -`: history then screen.
    pub history: Vec<String>,
    /// `capture-pane -p -e -S - -E -` as bytes.
    pub ansi: Vec<u8>,
    /// `capture-pane -p -e` (the screen only; styles start from the default again).
    pub ansi_screen: Vec<u8>,
    /// Cursor x, y and whether it is shown.
    pub cursor: (u32, u32, bool),
    pub alternate: bool,
    pub title: String,
    pub history_size: usize,
    /// Mode flags as one string (compared only when both sides have them).
    pub modes: Option<String>,
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn all_cases() -> Vec<Case> {
    let mut cases = case::load_corpus().expect("corpus loads");
    let seeds = env_usize("CONFORMANCE_SEEDS", 200) as u64;
    for seed in 0..seeds {
        for (c, r) in gen::SIZES {
            cases.push(gen::generate(seed, c, r));
        }
    }
    if let Ok(f) = std::env::var("CONFORMANCE_FILTER") {
        cases.retain(|c| c.name.contains(&f));
    }
    cases
}

/// The result of one case: `None` if identical, else the differences.
struct Outcome {
    name: String,
    problems: Option<Vec<String>>,
}

thread_local! {
    /// Set while muxlink runs a case: its panics are reported as case failures (with their
    /// location), not printed by the default hook.
    static IN_OBSERVE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_OBSERVE.with(|f| f.get()) {
                let msg = info
                    .payload()
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = format!("{msg} at {at}"));
            } else {
                default(info);
            }
        }));
    });
}

/// muxlink's view of a case, or its panic message.
fn observe_muxlink(case: &Case) -> Result<Observation, String> {
    observe_muxlink_split(case, None)
}

/// The same with the feeds cut into small pieces (see [`emulator::observe_split`]).
fn observe_muxlink_split(case: &Case, seed: Option<u64>) -> Result<Observation, String> {
    install_panic_hook();
    IN_OBSERVE.with(|f| f.set(true));
    let r = std::panic::catch_unwind(|| emulator::observe_split(case, seed));
    IN_OBSERVE.with(|f| f.set(false));
    r.map_err(|_| {
        format!(
            "muxlink panicked: {}",
            LAST_PANIC.with(|p| p.borrow().clone())
        )
    })
}

/// A stable seed from a case name (FNV-1a), so split feeding is reproducible.
fn name_seed(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

fn run_case(oracle: &mut oracle::Oracle, case: &Case) -> Option<Vec<String>> {
    let expected = match oracle.run(case) {
        Ok(o) => o,
        Err(e) if e.starts_with(oracle::TMUX_CRASHED) => return Some(vec![e]),
        Err(e) => return Some(vec![format!("tmux oracle failed: {e}")]),
    };
    let got = match observe_muxlink(case) {
        Ok(o) => o,
        Err(e) => return Some(vec![e]),
    };
    let mut diffs = compare::compare(&expected, &got);
    // tmux cuts pane output anywhere; cutting the bytes differently must change nothing.
    match observe_muxlink_split(case, Some(name_seed(&case.name))) {
        Ok(split) => {
            for d in compare::compare(&got, &split).into_iter().take(4) {
                diffs.push(format!(
                    "split feeding (muxlink fed whole = 'tmux' below, in 1-16 byte pieces = 'muxlink'): {d}"
                ));
            }
        }
        Err(e) => diffs.push(format!("split feeding: {e}")),
    }
    (!diffs.is_empty()).then_some(diffs)
}

fn save_failure(case: &Case, problems: &[String]) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance-failures");
    let _ = std::fs::create_dir_all(&dir);
    let stem = case.name.replace('/', "_");
    let _ = std::fs::write(dir.join(format!("{stem}.bin")), case.all_bytes());
    let _ = std::fs::write(dir.join(format!("{stem}.case")), case.describe());
    let _ = std::fs::write(dir.join(format!("{stem}.txt")), problems.join("\n"));
}

#[test]
fn conformance() {
    if !muxlink_testkit::tmux_available() {
        eprintln!("tmux not installed; skipping the conformance suite (.ci/run installs it)");
        return;
    }
    if muxlink_testkit::tmux_version() != Some((3, 3)) {
        eprintln!(
            "warning: the oracle is tmux {:?}, not 3.3 (the version muxlink matches); \
             differences may be tmux's",
            muxlink_testkit::tmux_version()
        );
    }
    let cases = all_cases();
    let total = cases.len();
    // Only this run's failures are left behind.
    let _ = std::fs::remove_dir_all(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance-failures"),
    );
    assert!(total > 0, "no cases selected");
    let threads = env_usize("CONFORMANCE_THREADS", 3).max(1);
    let queue = Arc::new(Mutex::new(cases.into_iter().collect::<VecDeque<_>>()));
    let results = Arc::new(Mutex::new(Vec::<Outcome>::new()));
    let start = Instant::now();
    let mut handles = Vec::new();
    for w in 0..threads {
        let queue = Arc::clone(&queue);
        let results = Arc::clone(&results);
        handles.push(std::thread::spawn(move || {
            let mut oracle = oracle::Oracle::start(&format!("conf{w}")).expect("tmux starts");
            loop {
                let Some(case) = queue.lock().unwrap().pop_front() else {
                    break;
                };
                let problems = run_case(&mut oracle, &case);
                if let Some(p) = &problems {
                    save_failure(&case, p);
                    if p.iter().any(|l| {
                        l.starts_with("tmux oracle failed") || l.starts_with(oracle::TMUX_CRASHED)
                    }) {
                        // A wedged server would fail every later case: start a fresh one.
                        if let Ok(o) = oracle::Oracle::start(&format!("conf{w}r")) {
                            oracle = o;
                        }
                    }
                }
                results.lock().unwrap().push(Outcome {
                    name: case.name.clone(),
                    problems,
                });
            }
        }));
    }
    for h in handles {
        h.join().expect("worker");
    }
    let mut results = std::mem::take(&mut *results.lock().unwrap());
    results.sort_by(|a, b| a.name.cmp(&b.name));
    // Cases tmux itself crashed on have no oracle: listed, not counted as passes or failures.
    let crashed_tmux = |o: &&Outcome| {
        o.problems
            .as_ref()
            .is_some_and(|p| p.len() == 1 && p[0].starts_with(oracle::TMUX_CRASHED))
    };
    let no_oracle: Vec<&Outcome> = results.iter().filter(crashed_tmux).collect();
    for o in &no_oracle {
        eprintln!(
            "no oracle for {}: {}",
            o.name,
            o.problems.as_ref().unwrap()[0]
        );
    }
    let failed: Vec<&Outcome> = results
        .iter()
        .filter(|o| o.problems.is_some() && !crashed_tmux(o))
        .collect();
    eprintln!(
        "conformance: {} cases, {} identical, {} differ, {} without oracle (tmux crashed) ({:.1}s, {threads} workers)",
        total,
        total - failed.len() - no_oracle.len(),
        failed.len(),
        no_oracle.len(),
        start.elapsed().as_secs_f64()
    );
    for o in &failed {
        eprintln!("--- {}", o.name);
        for p in o.problems.as_ref().unwrap() {
            eprintln!("    {p}");
        }
    }
    if !failed.is_empty() {
        // Which aspects differ, over all failing cases: where to start fixing.
        let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
        for o in &failed {
            let mut seen: Vec<String> = o
                .problems
                .as_ref()
                .unwrap()
                .iter()
                .map(|l| diff_kind(l))
                .collect();
            seen.sort();
            seen.dedup();
            for k in seen {
                *kinds.entry(k).or_default() += 1;
            }
        }
        let list: Vec<String> = kinds.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        eprintln!("failing cases per aspect: {}", list.join(", "));
    }
    // A few crashes are tmux's own bugs; many mean the oracle is broken, not muxlink right.
    assert!(
        no_oracle.len() <= 2 || no_oracle.len() * 100 <= total,
        "tmux crashed on {} of {total} cases: the oracle is not working",
        no_oracle.len()
    );
    if !failed.is_empty() {
        let names: Vec<&str> = failed.iter().map(|o| o.name.as_str()).collect();
        panic!(
            "{} of {} conformance cases differ from tmux (details above; bytes in {}/conformance-failures): {}",
            failed.len(),
            total,
            env!("CARGO_TARGET_TMPDIR"),
            names.join(" ")
        );
    }
}

/// The oracle itself must see what tmux is known to do, or every comparison is meaningless.
#[test]
fn oracle_reads_tmux_faithfully() {
    if !muxlink_testkit::tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let mut o = oracle::Oracle::start("conf-self").expect("tmux starts");
    // Raw bytes: a bare \n must not become \r\n; "abc" wraps in a 2-column pane.
    let case = Case {
        name: "self/wrap".into(),
        cols: 2,
        rows: 3,
        history_limit: 2000,
        steps: vec![Step::Feed(
            b"x\ny\x1b[31mabc\x1b]2;hi there\x07\x1b[?25l".to_vec(),
        )],
    };
    let obs = o.run(&case).expect("oracle runs");
    assert_eq!(obs.screen, vec![" y", "ab", "c"], "{obs:?}");
    assert_eq!(obs.history, vec!["x", " y", "ab", "c"], "{obs:?}");
    assert_eq!(obs.history_size, 1);
    assert_eq!(obs.cursor, (1, 2, false));
    assert_eq!(obs.title, "hi there");
    assert!(!obs.alternate);
    let cells = sgr::parse(&obs.ansi);
    assert!(cells.oddities.is_empty(), "{:?}", cells.oddities);
    assert_eq!(cells.rows.len(), 4);
    assert_eq!(cells.rows[1][1].style.fg, sgr::Colour::Default);
    assert_eq!(cells.rows[3][0].ch, 'c');
    assert_eq!(cells.rows[3][0].style.fg, sgr::Colour::Ansi(1));
    // The history limit is the pane's, not the default 2000.
    let lines: Vec<u8> = (0..50)
        .flat_map(|i| format!("{i}\r\n").into_bytes())
        .collect();
    let case = Case {
        name: "self/history".into(),
        cols: 10,
        rows: 2,
        history_limit: 3,
        steps: vec![Step::Feed(lines)],
    };
    let obs = o.run(&case).expect("oracle runs");
    assert!((1..=3).contains(&obs.history_size), "{obs:?}");
    assert_eq!(obs.screen, vec!["49", ""]);
    // Resizes happen between segments, before the next bytes.
    let case = Case {
        name: "self/resize".into(),
        cols: 10,
        rows: 2,
        history_limit: 100,
        steps: vec![
            Step::Feed(b"abcdefghij".to_vec()),
            Step::Resize(4, 3),
            Step::Feed(b"\x1b[?1049h\x1b[999;999HZ".to_vec()),
        ],
    };
    let obs = o.run(&case).expect("oracle runs");
    assert_eq!(obs.screen, vec!["", "", "   Z"], "{obs:?}");
    assert!(obs.alternate);
    assert_eq!(obs.title, "", "the runner clears tmux's host-name title");
}

/// tmux must give the same answer twice, or it cannot be an oracle: runs every selected case
/// on two servers and compares them with the same comparison. Slow; run on demand with
/// `cargo test -p muxlink-term --test conformance -- --ignored`.
#[test]
#[ignore]
fn oracle_is_deterministic() {
    if !muxlink_testkit::tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let mut a = oracle::Oracle::start("conf-det-a").expect("tmux starts");
    let mut b = oracle::Oracle::start("conf-det-b").expect("tmux starts");
    let mut bad = Vec::new();
    for case in all_cases() {
        let (x, y) = match (a.run(&case), b.run(&case)) {
            (Ok(x), Ok(y)) => (x, y),
            (Err(e), _) | (_, Err(e)) if e.starts_with(oracle::TMUX_CRASHED) => {
                eprintln!("no oracle for {}: {e}", case.name);
                a = oracle::Oracle::start("conf-det-a").expect("tmux starts");
                b = oracle::Oracle::start("conf-det-b").expect("tmux starts");
                continue;
            }
            (Err(e), _) | (_, Err(e)) => panic!("{}: {e}", case.name),
        };
        let d = compare::compare(&x, &y);
        if !d.is_empty() {
            eprintln!("--- {}\n    {}", case.name, d.join("\n    "));
            bad.push(case.name);
        }
    }
    assert!(bad.is_empty(), "tmux answered differently twice: {bad:?}");
}

/// The kind of a difference line ("history size", "styles screen row cell #", ...): its text
/// before the first ':' with digits removed.
fn diff_kind(line: &str) -> String {
    let head = line.split(':').next().unwrap_or("");
    head.chars()
        .filter(|c| !c.is_ascii_digit())
        .collect::<String>()
        .trim()
        .to_string()
}

/// Splits recorded bytes into removable pieces: before every ESC and after every `\n`.
fn pieces_of_bytes(case: &Case) -> Vec<gen::Piece> {
    let mut out = Vec::new();
    for st in &case.steps {
        match st {
            Step::Resize(c, r) => out.push(gen::Piece::Resize(*c, *r)),
            Step::Feed(b) => {
                let mut cur = Vec::new();
                for &x in b {
                    if x == 0x1b && !cur.is_empty() {
                        out.push(gen::Piece::Op(std::mem::take(&mut cur)));
                    }
                    cur.push(x);
                    if x == b'\n' {
                        out.push(gen::Piece::Op(std::mem::take(&mut cur)));
                    }
                }
                if !cur.is_empty() {
                    out.push(gen::Piece::Op(cur));
                }
            }
        }
    }
    out
}

/// Delta debugging (Zeller's ddmin, complements only): a smallest-found subsequence of
/// `pieces` for which `fails` still holds.
fn ddmin(
    mut pieces: Vec<gen::Piece>,
    fails: &mut dyn FnMut(&[gen::Piece]) -> bool,
) -> Vec<gen::Piece> {
    let mut n = 2usize;
    while pieces.len() >= 2 {
        let chunk = pieces.len().div_ceil(n);
        let mut reduced = false;
        let mut start = 0;
        while start < pieces.len() {
            let end = (start + chunk).min(pieces.len());
            let mut cand = pieces[..start].to_vec();
            cand.extend_from_slice(&pieces[end..]);
            if fails(&cand) {
                pieces = cand;
                n = n.saturating_sub(1).max(2);
                reduced = true;
                break;
            }
            start = end;
        }
        if !reduced {
            if n >= pieces.len() {
                break;
            }
            n = (n * 2).min(pieces.len());
        }
    }
    pieces
}

/// Splits operations into finer pieces: before each ESC and after each `\n`; with `chars`,
/// pieces without ESC (valid UTF-8) become one piece per character.
fn split_pieces(pieces: &[gen::Piece], chars: bool) -> Vec<gen::Piece> {
    let mut out = Vec::new();
    for p in pieces {
        let gen::Piece::Op(b) = p else {
            out.push(p.clone());
            continue;
        };
        if chars {
            match std::str::from_utf8(b) {
                Ok(t) if !t.contains('\x1b') => {
                    out.extend(
                        t.chars()
                            .map(|c| gen::Piece::Op(c.to_string().into_bytes())),
                    );
                }
                _ => out.push(p.clone()),
            }
            continue;
        }
        let one = Case {
            name: String::new(),
            cols: 1,
            rows: 1,
            history_limit: 0,
            steps: vec![Step::Feed(b.clone())],
        };
        out.extend(pieces_of_bytes(&one));
    }
    out
}

fn escape_bytes(b: &[u8]) -> String {
    let mut s = String::new();
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\x1b' => s.push_str("\\e"),
                '\r' => s.push_str("\\r"),
                '\n' => s.push_str("\\n"),
                '\t' => s.push_str("\\t"),
                '\\' => s.push_str("\\\\"),
                c if (c as u32) < 0x20 || c == '\x7f' => {
                    s.push_str(&format!("\\x{:02x}", c as u32))
                }
                c => s.push(c),
            }
        }
        for x in chunk.invalid() {
            s.push_str(&format!("\\x{x:02x}"));
        }
    }
    s
}

/// Shrinks a failing case to a minimal one that still fails the same way (delta debugging
/// over whole operations, so every candidate ends in ground state) and prints it ready for
/// /work/notes/term-mismatches.md. `CONFORMANCE_MINIMIZE=<case name>`; optionally
/// `CONFORMANCE_MINIMIZE_KIND=<text>` to chase a given kind of difference.
#[test]
#[ignore]
fn minimize() {
    let Ok(name) = std::env::var("CONFORMANCE_MINIMIZE") else {
        eprintln!("set CONFORMANCE_MINIMIZE=<case name>");
        return;
    };
    let (case, mut pieces) = if let Some((seed, c, r)) = gen::parse_name(&name) {
        gen::generate_ops(seed, c, r)
    } else {
        let case = case::load_corpus()
            .expect("corpus")
            .into_iter()
            .find(|c| c.name == name)
            .expect("no such case");
        let p = pieces_of_bytes(&case);
        (case, p)
    };
    let mut oracle = oracle::Oracle::start("conf-min").expect("tmux");
    oracle.set_timeout(std::time::Duration::from_secs(2));
    let first = run_case(&mut oracle, &case).expect("the case does not fail");
    let kind = std::env::var("CONFORMANCE_MINIMIZE_KIND")
        .ok()
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| diff_kind(&first[0]));
    eprintln!("minimizing {name} ({} pieces) for {kind:?}", pieces.len());
    let build = |p: &[gen::Piece]| {
        gen::case_from_pieces(name.clone(), case.cols, case.rows, case.history_limit, p)
    };
    let fails = |p: &[gen::Piece], oracle: &mut oracle::Oracle| -> bool {
        let cand = build(p);
        // Candidates must stay valid: each segment ends in ground state.
        let valid = cand.steps.iter().all(|st| match st {
            Step::Feed(b) => case::ends_in_ground(b),
            Step::Resize(..) => true,
        });
        if !valid {
            return false;
        }
        match run_case(oracle, &cand) {
            Some(d) => d
                .iter()
                .any(|l| diff_kind(l).contains(&kind) && !l.starts_with("tmux oracle")),
            None => false,
        }
    };
    let mut test = |p: &[gen::Piece]| fails(p, &mut oracle);
    // Whole operations first, then the escape sequences and lines inside them, then single
    // characters of plain text.
    pieces = ddmin(pieces, &mut test);
    pieces = ddmin(split_pieces(&pieces, false), &mut test);
    pieces = ddmin(split_pieces(&pieces, true), &mut test);
    let min = build(&pieces);
    let expected = oracle.run(&min).expect("oracle");
    let got = observe_muxlink(&min);
    let mut report = format!(
        "## {name} ({kind})\n\nsize {}x{}, history-limit {}\n",
        min.cols, min.rows, min.history_limit
    );
    for st in &min.steps {
        match st {
            Step::Feed(b) => report.push_str(&format!("feed: \"{}\"\n", escape_bytes(b))),
            Step::Resize(c, r) => report.push_str(&format!("resize: {c}x{r}\n")),
        }
    }
    let small = min.cols as usize * min.rows as usize <= 200;
    if small {
        report.push_str(&format!(
            "tmux:    screen {:?} cursor {:?} history {}\n",
            expected.screen, expected.cursor, expected.history_size
        ));
    }
    match got {
        Ok(g) => {
            if small {
                report.push_str(&format!(
                    "muxlink: screen {:?} cursor {:?} history {}\n",
                    g.screen, g.cursor, g.history_size
                ));
            }
            let d = compare::compare(&expected, &g);
            for l in d.iter().take(6) {
                report.push_str(&format!("  {l}\n"));
            }
            if d.len() > 6 {
                report.push_str(&format!("  ({} more difference lines)\n", d.len() - 6));
            }
        }
        Err(e) => report.push_str(&format!("muxlink: {e}\n")),
    }
    println!("{report}");
}
