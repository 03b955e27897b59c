//! Every tmux release's grid on width-sensitive output, recorded, and checked.
//!
//! `tests/releases/cases.rs` generates the cases (emoji, ZWJ sequences, VS15/VS16, flags,
//! skin tones, combining marks, CJK, Hangul jamo, zero-width characters, at the margins and
//! after cursor motions; tabs, REP, invalid UTF-8, the alternate screen across resizes,
//! titles, server options). `tests/releases/expected/` holds, per case, what each release
//! showed: `capture-pane -p -e` of the screen and of history plus screen, the cursor, the
//! alternate-screen flag, the history size and the title.
//!
//! Offline (always): every case has its recording for every release, the recordings agree
//! with themselves, and they show each switch of `GridPolicy` and each width table where the
//! policy says they should (so the policy and tables are checked against tmux itself).
//! Live (when the release binaries are here: `RELEASES_TMUX_DIR`, default `../shared/tmux`
//! beside the repository, plus the system tmux for its own release): every case is rendered
//! again by every release and must equal its recording, and the format width probe must
//! agree with the grid.
//!
//! Re-record: `RELEASES_RECORD=1 cargo test -p muxlink-term --test releases live`
//! (needs every release binary). `RELEASES_FILTER=substr` limits the live cases.
//!
//! The emulator (`emulator_matches_every_release`): every case through a `Terminal` set to
//! each release must give that release's recording.

#[path = "releases/cases.rs"]
mod cases;
#[path = "releases/expect.rs"]
mod expect;
#[path = "releases/oracle.rs"]
mod oracle;
#[path = "conformance/sgr.rs"]
#[allow(dead_code)]
mod sgr;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use cases::Case;
use expect::{Expectation, Observation};
use muxlink_term::release::{
    EmojiModifierRule, GridPolicy, OverflowRule, RegionalIndicatorRule, RepRule, ServerOptions,
    TmuxRelease, Vs16Rule, WidenAtLastColumn, ZwjRule,
};
use muxlink_term::width_tables::{probe, CharWidths, CodepointWidths, DROPPED};
use muxlink_term::{capture, Terminal};

fn load_all() -> Vec<(Case, Expectation)> {
    cases::all()
        .into_iter()
        .map(|c| {
            let e = Expectation::load(&c.name)
                .unwrap_or_else(|m| panic!("{m}"))
                .unwrap_or_else(|| {
                    panic!("{}: no recording; record with RELEASES_RECORD=1", c.name)
                });
            (c, e)
        })
        .collect()
}

/// The policy a case was recorded under on `release` (its server options applied).
fn policy_for(case: &Case, release: TmuxRelease) -> GridPolicy {
    let mut o = ServerOptions::default();
    for (k, v) in &case.server_options {
        match k.as_str() {
            "variation-selector-always-wide" => o.variation_selector_always_wide = v == "on",
            "codepoint-widths" => o.codepoint_widths = v.split(',').map(String::from).collect(),
            _ => {}
        }
    }
    release.grid_policy(&o)
}

#[test]
fn every_case_has_its_recording() {
    let all = cases::all();
    let names: BTreeSet<String> = all.iter().map(|c| c.name.clone()).collect();
    assert_eq!(names.len(), all.len(), "case names are unique");
    let stored: BTreeSet<String> = expect::stored_case_names().into_iter().collect();
    let stale: Vec<_> = stored.difference(&names).collect();
    assert!(stale.is_empty(), "recordings of no case: {stale:?}");
    let mut problems = Vec::new();
    for (c, e) in load_all() {
        if e.description != c.describe() {
            problems.push(format!(
                "{}: the case changed since it was recorded",
                c.name
            ));
        }
        for r in TmuxRelease::ALL {
            let has = e.releases.contains_key(r.name());
            if has != c.applies_to(r) {
                problems.push(format!(
                    "{}: recording for {r} is {}",
                    c.name,
                    if has { "extra" } else { "missing" }
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `capture-pane -e` text without its SGR sequences.
fn plain(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        if line[i] == 0x1b && line.get(i + 1) == Some(&b'[') {
            let mut j = i + 2;
            while j < line.len() && !(0x40..=0x7e).contains(&line[j]) {
                j += 1;
            }
            i = j + 1;
            continue;
        }
        out.push(line[i]);
        i += 1;
    }
    out
}

#[test]
fn recordings_agree_with_themselves() {
    let mut problems = Vec::new();
    for (c, e) in load_all() {
        let (cols, rows) = c.steps.iter().fold((c.cols, c.rows), |sz, st| match st {
            cases::Step::Resize(a, b) => (*a, *b),
            _ => sz,
        });
        for (r, o) in &e.releases {
            let mut bad = |m: String| problems.push(format!("{} on {r}: {m}", c.name));
            if o.screen.len() != rows as usize {
                bad(format!("{} screen rows", o.screen.len()));
            }
            if o.all.len() != o.history_size as usize + rows as usize {
                bad(format!("{} lines of history and screen", o.all.len()));
            }
            if o.cursor.1 >= rows as u32 {
                bad(format!("cursor row {}", o.cursor.1));
            }
            if o.cursor.0 > cols as u32 + 1 {
                bad(format!("cursor column {}", o.cursor.0));
            }
            let tail: Vec<Vec<u8>> = o.all[o.all.len().saturating_sub(rows as usize)..]
                .iter()
                .map(|l| plain(l))
                .collect();
            let screen: Vec<Vec<u8>> = o.screen.iter().map(|l| plain(l)).collect();
            if tail != screen {
                bad("the history capture ends with another screen".into());
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn recorded<'a>(
    all: &'a [(Case, Expectation)],
    name: &str,
    r: TmuxRelease,
) -> Option<&'a Observation> {
    all.iter()
        .find(|(c, _)| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
        .1
        .releases
        .get(r.name())
}

fn screen_text(o: &Observation) -> String {
    o.screen
        .iter()
        .map(|l| String::from_utf8_lossy(&plain(l)).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The cursor column after an atom printed alone at column 0 (the atom cases' last row),
/// from the release's widths and policy: what the emulator must get for that row.
fn atom_alone_width(atom: &str, p: &GridPolicy, w: &CharWidths) -> u32 {
    // 3.3a's ZWJ flag outlives the line: the row before ends with the same atom, so a ZWJ
    // it left pending takes this row's first non-ASCII character.
    let pending = atom_cells(atom, p, w, false).1;
    atom_cells(atom, p, w, pending).0
}

/// The width of `atom`'s cells from column 0, and whether a 3.3a ZWJ is left pending.
fn atom_cells(atom: &str, p: &GridPolicy, w: &CharWidths, zwj_before: bool) -> (u32, bool) {
    let cps: Vec<u32> = atom.chars().map(|c| c as u32).collect();
    let width = |cp: u32| match w.width(cp) {
        DROPPED => 0,
        x => x as u32,
    };
    let ri = |cp: u32| (0x1F1E6..=0x1F1FF).contains(&cp);
    let modifier = |cp: u32| (0x1F3FB..=0x1F3FF).contains(&cp);
    let base = |cp: u32| {
        muxlink_term::release::EMOJI_MODIFIER_BASES
            .binary_search(&cp)
            .is_ok()
    };
    // Cells as (first code point, code points, width); the cursor is after the last.
    let mut cells: Vec<(u32, usize, u32)> = Vec::new();
    let mut zwj_pending = zwj_before;
    for (i, &cp) in cps.iter().enumerate() {
        let prev = cells.last().copied();
        let joins_prev = |cells: &mut Vec<(u32, usize, u32)>, widen: bool| {
            if let Some(last) = cells.last_mut() {
                last.1 += 1;
                if widen && last.2 == 1 {
                    last.2 = 2;
                }
            }
        };
        if cp == 0x200D {
            match p.zwj {
                ZwjRule::JoinNext => zwj_pending = true,
                _ => joins_prev(&mut cells, false),
            }
            continue;
        }
        if cp == 0xFE0F {
            joins_prev(&mut cells, p.vs16 != Vs16Rule::ZeroWidth);
            continue;
        }
        if zwj_pending && cp >= 0x80 {
            zwj_pending = false;
            joins_prev(&mut cells, false);
            continue;
        }
        if w.width(cp) == DROPPED {
            continue;
        }
        // ASCII never combines (tmux collects it apart); anything else after a joined ZWJ does.
        let after_zwj =
            cp >= 0x80 && i > 0 && cps[i - 1] == 0x200D && p.zwj == ZwjRule::JoinIfCellEndsInZwj;
        if after_zwj && prev.is_some() {
            joins_prev(&mut cells, false);
            continue;
        }
        if let Some((first, n, _)) = prev {
            let prev_non_ascii = first >= 0x80;
            let join = match (ri(cp), modifier(cp)) {
                (true, _) => match p.regional_indicators {
                    RegionalIndicatorRule::Plain => false,
                    RegionalIndicatorRule::JoinAnyNonAscii => prev_non_ascii,
                    RegionalIndicatorRule::ChainAfterIndicator => ri(first),
                    RegionalIndicatorRule::Pairs => ri(first) && n == 1,
                },
                (_, true) => match p.emoji_modifiers {
                    EmojiModifierRule::Plain => false,
                    EmojiModifierRule::JoinAnyNonAscii => prev_non_ascii,
                    EmojiModifierRule::JoinListedBase => base(first),
                },
                _ => {
                    p.emoji_modifiers == EmojiModifierRule::JoinListedBase
                        && base(cp)
                        && modifier(first)
                }
            };
            if join {
                joins_prev(&mut cells, true);
                continue;
            }
        }
        match width(cp) {
            0 => {
                if !cells.is_empty() {
                    joins_prev(&mut cells, false);
                }
            }
            wd => cells.push((cp, 1, wd)),
        }
    }
    (cells.iter().map(|c| c.2).sum(), zwj_pending)
}

/// Atoms the width model above covers: alone on a line of 10 columns, no overflow.
fn modelled(name: &str) -> bool {
    !matches!(name, "combining-many" | "combining-flood")
}

#[test]
fn recordings_show_the_width_tables_and_policy() {
    let all = load_all();
    let mut problems = Vec::new();
    for r in TmuxRelease::ALL {
        let p = r.grid_policy(&ServerOptions::default());
        let w = CharWidths::new(r, CodepointWidths::new());
        // Each atom alone at column 0: the cursor lands where widths and policy say.
        for (name, atom) in cases::ATOMS {
            if !modelled(name) {
                continue;
            }
            let o =
                recorded(&all, &format!("atom/{name}"), r).expect("atoms are recorded everywhere");
            let want = atom_alone_width(atom, &p, &w);
            if (o.cursor.0, o.cursor.1) != (want, 11) {
                problems.push(format!(
                    "{r} atom/{name}: cursor {:?}, widths and policy say column {want}",
                    o.cursor
                ));
            }
        }
        let text = |name: &str| screen_text(recorded(&all, name, r).unwrap());
        // Tabs kept in the grid.
        if text("tab/basic").contains('\t') != p.tabs_in_grid {
            problems.push(format!(
                "{r}: tab/basic {:?} vs tabs_in_grid {}",
                text("tab/basic"),
                p.tabs_in_grid
            ));
        }
        // REP of a UTF-8 character.
        let rep = text("rep/utf8").starts_with("\u{E9}\u{E9}\u{E9}\u{E9}");
        if rep != (p.rep != RepRule::AsciiOnly) {
            problems.push(format!(
                "{r}: rep/utf8 {:?} vs {:?}",
                text("rep/utf8"),
                p.rep
            ));
        }
        // Invalid UTF-8 placeholder.
        if text("utf8/mixed").contains('\u{FFFD}') != p.invalid_utf8_placeholder {
            problems.push(format!("{r}: utf8/mixed {:?}", text("utf8/mixed")));
        }
        // Titles escaped from 3.7.
        let t = &recorded(&all, "title/controls", r).unwrap().title;
        if (t.contains('\t') || t.contains("#(")) == p.title_escaped {
            problems.push(format!(
                "{r}: title/controls title {t:?} vs title_escaped {}",
                p.title_escaped
            ));
        }
        // Cleared cells with a colour after the text: in capture -e everywhere but 3.3a.
        let o = recorded(&all, "delete/dl-colour-end", r).unwrap();
        if (o.screen[4] == b"\x1b[44m") != p.capture_trailing_cleared_cells {
            problems.push(format!(
                "{r}: delete/dl-colour-end row 4 {:?}",
                expect::escape(&o.screen[4])
            ));
        }
        // ASCII over the right half of a wide character in column 0.
        let cleared = text("wide/overwrite-right-half").starts_with(" yx");
        if cleared != p.clears_wide_at_column_0 {
            problems.push(format!(
                "{r}: wide/overwrite-right-half {:?}",
                text("wide/overwrite-right-half")
            ));
        }
        // VS16 in the last column: where the next character goes.
        let o = recorded(&all, "combine/vs16-at-margin", r).unwrap();
        let want = match (p.vs16, p.widen_at_last_column) {
            (Vs16Rule::ZeroWidth, _) | (_, WidenAtLastColumn::CursorStays) => (1, 1),
            _ => (10, 0),
        };
        if (o.cursor.0, o.cursor.1) != want {
            problems.push(format!(
                "{r}: combine/vs16-at-margin cursor {:?}, want {want:?}",
                o.cursor
            ));
        }
        // history-limit lowered with 37 lines of history.
        let h = recorded(&all, "history/limit-lowered", r)
            .unwrap()
            .history_size;
        if (h == 10) != p.history_limit_live {
            problems.push(format!("{r}: history/limit-lowered history {h}"));
        }
        // A zero-width character that no longer fits its cell: U+0314, the last of 20 marks.
        let o = recorded(&all, "atom/combining-flood", r).unwrap();
        let own_cell = String::from_utf8_lossy(&o.screen[11]).ends_with('\u{314}');
        if own_cell != (p.overflow == OverflowRule::OwnCell) {
            problems.push(format!(
                "{r}: atom/combining-flood last row {:?}",
                expect::escape(&o.screen[11])
            ));
        }
        // How many bytes a cell holds: 'e' and 2-byte marks up to the limit.
        let row0 = String::from_utf8_lossy(&plain(&o.screen[0])).into_owned();
        let marks = row0
            .chars()
            .filter(|c| ('\u{300}'..='\u{314}').contains(c))
            .count();
        if marks != (p.max_cell_bytes as usize - 1) / 2 {
            problems.push(format!(
                "{r}: atom/combining-flood keeps {marks} marks in a cell"
            ));
        }
        // REP in the line-drawing set: 3.5a repeats plain characters (SI in the capture).
        if text("rep/line-drawing").contains('\x0f') != (p.rep == RepRule::AnyCharacterNoCharset) {
            problems.push(format!(
                "{r}: rep/line-drawing {:?}",
                text("rep/line-drawing")
            ));
        }
        // U+110000 (F4 90 80 80): stored with width 1, or dropped by 3.3a.
        let c = recorded(&all, "utf8/past-10ffff", r).unwrap().cursor.0;
        let want = match w.width(0x110000) {
            DROPPED => 2,
            x => 2 + x as u32,
        };
        if c != want {
            problems.push(format!("{r}: utf8/past-10ffff cursor {c}, want {want}"));
        }
        // The alternate-screen case: history as recorded, per release.
        let o = recorded(&all, "alt/issue-40-to-19", r).unwrap();
        let first = String::from_utf8_lossy(&plain(&o.screen[0])).into_owned();
        eprintln!(
            "{r}: alt/issue-40-to-19: history {}, screen starts at {first:?}",
            o.history_size
        );
    }
    // The server options, on the releases that have them.
    for r in TmuxRelease::ALL
        .into_iter()
        .filter(|&r| r >= TmuxRelease::V3_6a)
    {
        let c = cases::all()
            .into_iter()
            .find(|c| c.name == "option/vs16-not-wide")
            .unwrap();
        let p = policy_for(&c, r);
        assert_eq!(p.vs16, Vs16Rule::ZeroWidth);
        let o = recorded(&all, "option/vs16-not-wide", r).unwrap();
        // Two characters of width 1 with a `|` after each: the cursor ends at column 4.
        if o.cursor.0 != 4 {
            problems.push(format!("{r} option/vs16-not-wide: cursor {:?}", o.cursor));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// One case rendered by one release (or why not).
type Rendered = (TmuxRelease, String, Result<Observation, String>);

/// Renders every case on every release binary here, in parallel (three servers at a time),
/// and compares with (or, with `RELEASES_RECORD=1`, writes) the recordings.
#[test]
fn live_recordings_match() {
    let bins = oracle::binaries();
    if bins.is_empty() {
        eprintln!("no tmux release binaries here (RELEASES_TMUX_DIR); live check skipped");
        return;
    }
    let record = std::env::var("RELEASES_RECORD").is_ok_and(|v| v == "1");
    let filter = std::env::var("RELEASES_FILTER").ok();
    let all: Vec<Case> = cases::all()
        .into_iter()
        .filter(|c| match &filter {
            Some(f) => c.name.contains(f.as_str()),
            None => true,
        })
        .collect();
    let missing: Vec<_> = TmuxRelease::ALL
        .into_iter()
        .filter(|r| !bins.iter().any(|(b, _)| b == r))
        .collect();
    if !missing.is_empty() {
        assert!(
            !record,
            "recording needs every release; missing {missing:?}"
        );
        eprintln!("no binary for {missing:?}: those releases are not checked live");
    }
    let tmp = std::env::temp_dir().join(format!("muxlink-releases-{}", std::process::id()));
    let results: Arc<Mutex<Vec<Rendered>>> = Arc::default();
    let queue: Arc<Mutex<Vec<(TmuxRelease, std::path::PathBuf)>>> = Arc::new(Mutex::new(bins));
    let skipped: Arc<Mutex<Vec<String>>> = Arc::default();
    let threads: Vec<_> = (0..3)
        .map(|t| {
            let (queue, results, all, tmp, skipped) = (
                queue.clone(),
                results.clone(),
                all.clone(),
                tmp.clone(),
                skipped.clone(),
            );
            std::thread::spawn(move || loop {
                let Some((r, bin)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let tmp = tmp.join(format!("t{t}-{}", r.name()));
                let shared = oracle::Server::start(&bin, &[]);
                if !record {
                    if let Some(why) = shared
                        .as_ref()
                        .ok()
                        .and_then(|s| platform_differs(s, r, &tmp))
                    {
                        skipped.lock().unwrap().push(format!("{r}: {why}"));
                        continue;
                    }
                }
                for (i, c) in all.iter().enumerate() {
                    if !c.applies_to(r) {
                        continue;
                    }
                    let tag = format!("c{i}");
                    let obs = if c.server_options.is_empty() {
                        match &shared {
                            Ok(s) => s.render(c, &tmp, &tag),
                            Err(e) => Err(e.clone()),
                        }
                    } else {
                        oracle::Server::start(&bin, &c.server_options)
                            .and_then(|s| s.render(c, &tmp, &tag))
                    };
                    results.lock().unwrap().push((r, c.name.clone(), obs));
                }
                let _ = std::fs::remove_dir_all(&tmp);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("worker");
    }
    let _ = std::fs::remove_dir_all(&tmp);
    for m in skipped.lock().unwrap().iter() {
        eprintln!("{m}");
    }
    let results = std::mem::take(&mut *results.lock().unwrap());
    let mut problems = Vec::new();
    for c in &all {
        let mut e = Expectation::load(&c.name)
            .unwrap_or_else(|m| panic!("{m}"))
            .unwrap_or_default();
        let mut changed = false;
        for (r, name, obs) in &results {
            if name != &c.name {
                continue;
            }
            let obs = match obs {
                Ok(o) => o,
                Err(m) => {
                    problems.push(format!("{} on {r}: {m}", c.name));
                    continue;
                }
            };
            match e.releases.get(r.name()) {
                Some(want) if want == obs => {}
                _ if record => {
                    e.releases.insert(r.name().to_string(), obs.clone());
                    changed = true;
                }
                Some(want) => problems.push(format!(
                    "{} on {r}: tmux now shows\n{}\nthe recording has\n{}",
                    c.name,
                    show(obs),
                    show(want)
                )),
                None => problems.push(format!("{} on {r}: not recorded", c.name)),
            }
        }
        if record && (changed || e.description != c.describe()) {
            e.description = c.describe();
            e.releases
                .retain(|name, _| TmuxRelease::from_name(name).is_some_and(|r| c.applies_to(r)));
            e.store(&c.name).expect("write the recording");
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The recordings hold the widths of glibc 2.36's C.UTF-8 (the locale files are read at run
/// time, by the static builds too). Another platform gives other widths for code points
/// its Unicode version added or dropped; its tmux is then no oracle for these recordings.
/// Renders the cases that show that first and says why it differs, if it does.
fn platform_differs(s: &oracle::Server, r: TmuxRelease, tmp: &std::path::Path) -> Option<String> {
    for name in ["atom/new-emoji", "atom/unassigned", "atom/emoji"] {
        let c = cases::all().into_iter().find(|c| c.name == name)?;
        let want = Expectation::load(name)
            .ok()??
            .releases
            .get(r.name())?
            .clone();
        match s.render(&c, tmp, "canary") {
            Ok(got) if got == want => {}
            Ok(_) => {
                return Some(format!(
                    "{name} differs from its recording: this platform's character widths are \
                     not glibc 2.36's; live check skipped"
                ))
            }
            Err(_) => return None,
        }
    }
    None
}

fn show(o: &Observation) -> String {
    let mut s = format!(
        "  cursor {:?} alternate {} history {} title {:?}\n",
        o.cursor, o.alternate, o.history_size, o.title
    );
    for l in &o.screen {
        s.push_str(&format!("  {}\n", expect::escape(l)));
    }
    s
}

/// The widths `server`'s grid gives `cps`, read as scripts/gen-width-tables.py does: each
/// code point after an `a` in a four-cell slot filled with dots; the dots left over say its
/// width, its absence that tmux dropped it.
fn grid_widths(
    server: &oracle::Server,
    cps: &[u32],
    tmp: &std::path::Path,
) -> Result<Vec<u8>, String> {
    const COLS: usize = 64;
    const SLOT: usize = 4;
    let per_row = COLS / SLOT;
    let rows: Vec<&[u32]> = cps.chunks(per_row).collect();
    let mut bytes = b"\x1b[H\x1b[2J".to_vec();
    for (n, row) in rows.iter().enumerate() {
        if n > 0 {
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(&[b'.'; COLS]);
        bytes.push(b'\r');
        for (k, &cp) in row.iter().enumerate() {
            bytes.extend_from_slice(format!("\x1b[{}Ga", k * SLOT + 1).as_bytes());
            bytes.extend_from_slice(
                char::from_u32(cp)
                    .ok_or("not a character")?
                    .to_string()
                    .as_bytes(),
            );
        }
    }
    let case = Case {
        name: "probe-grid".into(),
        cols: COLS as u16,
        rows: rows.len().max(1) as u16,
        history_limit: 0,
        server_options: Vec::new(),
        since: TmuxRelease::OLDEST,
        steps: vec![cases::Step::Feed(bytes)],
    };
    let o = server.render(&case, tmp, "grid")?;
    let mut out = Vec::with_capacity(cps.len());
    for (line, row) in o.screen.iter().zip(&rows) {
        let text = String::from_utf8_lossy(line).into_owned();
        let slots: Vec<&str> = text.split('a').skip(1).collect();
        for (k, &cp) in row.iter().enumerate() {
            let slot = slots.get(k).ok_or_else(|| format!("row {text:?}"))?;
            let body = slot.trim_end_matches('.');
            let mut dots = (slot.len() - body.len()) as i64;
            if k == row.len() - 1 {
                dots -= ((per_row - row.len()) * SLOT) as i64;
            }
            out.push(match body {
                "" => DROPPED,
                b if b.chars().eq(std::iter::once(char::from_u32(cp).unwrap())) => {
                    (SLOT as i64 - 1 - dots) as u8
                }
                _ => return Err(format!("U+{cp:04X}: slot {slot:?}")),
            });
        }
    }
    Ok(out)
}

/// The format probe (`display -p '#{w;l:C}'`) against the grid of the same server: on every
/// release where the probe is safe, it answers exactly the widths the grid gives, for the
/// fingerprint and a spread of candidates, also with `codepoint-widths` set (3.6+). Where
/// the platform is the tables' (glibc 2.36), both also equal the tables.
#[test]
fn format_probe_matches_the_grid() {
    let bins = oracle::binaries();
    if bins.is_empty() {
        eprintln!("no tmux release binaries here; probe check skipped");
        return;
    }
    let tmp = std::env::temp_dir().join(format!("muxlink-probe-{}", std::process::id()));
    let mut problems = Vec::new();
    for (r, bin) in bins {
        let m = TmuxRelease::from_version(r.name()).unwrap();
        if !probe::probe_is_safe(&m) {
            eprintln!("{r}: the format probe is unsafe (would hang the server); not sent");
            continue;
        }
        let items = ["U+1F600=1", "\u{4E2D}=1", "U+2600-U+2602=2", "U+E9=0"];
        let mut option_sets = vec![Vec::new()];
        if r >= TmuxRelease::V3_6a {
            option_sets.push(vec![("codepoint-widths".to_string(), items.join(","))]);
        }
        for opts in option_sets {
            let server = match oracle::Server::start(&bin, &opts) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(format!("{r}: {e}"));
                    continue;
                }
            };
            let given: Vec<&str> = if opts.is_empty() {
                vec![]
            } else {
                items.to_vec()
            };
            let widths = CharWidths::new(r, CodepointWidths::parse(r, &given).0);
            let mut cps: Vec<u32> = probe::FINGERPRINT.to_vec();
            cps.extend(probe::probe_candidates(r).into_iter().step_by(7));
            cps.extend([0x1F600, 0x4E2D, 0x2600, 0x2601, 0x2602, 0x2603, 0xE9]);
            // Not widths but rules: the Hangul filler is dropped by the grid (the probe says
            // 2); ZWJ and VS16 join their neighbours.
            cps.retain(|&cp| !matches!(cp, 0x3164 | 0x200D | 0xFE0F));
            let grid = match grid_widths(&server, &cps, &tmp.join(r.name())) {
                Ok(g) => g,
                Err(e) => {
                    problems.push(format!("{r}: {e}"));
                    continue;
                }
            };
            // Information only: the tables are glibc 2.36's, the grid is this platform's.
            let off_table = cps
                .iter()
                .zip(&grid)
                .filter(|(&cp, &g)| g != widths.width(cp))
                .count();
            if off_table > 0 {
                eprintln!("{r}: {off_table} widths differ from the tables (not glibc 2.36?)");
            }
            let mut probed = Vec::with_capacity(cps.len());
            for chunk in cps.chunks(probe::PROBE_BATCH) {
                let fmt = probe::probe_format(chunk).unwrap();
                let reply = server
                    .ok(&["display-message", "-p", &fmt])
                    .map_err(|e| e.to_string())
                    .and_then(|out| {
                        probe::parse_probe_reply(&String::from_utf8_lossy(&out), chunk.len())
                            .map_err(|e| e.to_string())
                    });
                match reply {
                    Ok(g) => probed.extend(g),
                    Err(e) => {
                        problems.push(format!("{r}: {e}"));
                        break;
                    }
                }
            }
            for ((&cp, &p), &g) in cps.iter().zip(&probed).zip(&grid) {
                if p != g {
                    problems.push(format!("{r} {opts:?}: U+{cp:04X} probe {p}, grid {g}"));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The server options a case sets, as the emulator takes them.
fn options_for(case: &Case) -> ServerOptions {
    let mut o = ServerOptions::default();
    for (k, v) in &case.server_options {
        match k.as_str() {
            "variation-selector-always-wide" => o.variation_selector_always_wide = v == "on",
            "codepoint-widths" => o.codepoint_widths = v.split(',').map(String::from).collect(),
            _ => {}
        }
    }
    o
}

/// The case's steps through a `Terminal` configured as `release` with the case's options.
fn emulate(case: &Case, release: TmuxRelease) -> Terminal {
    let (profile, _rejected) = release.profile(&options_for(case));
    let mut t = Terminal::with_profile(case.cols, case.rows, case.history_limit as usize, &profile);
    for st in &case.steps {
        match st {
            cases::Step::Feed(b) => t.feed(b),
            cases::Step::Resize(c, r) => t.resize(*c, *r),
            cases::Step::Command(w) => {
                // The only command the cases run: `set-option -g history-limit N`.
                let n = w.last().and_then(|n| n.parse::<usize>().ok());
                assert!(
                    w.iter().any(|x| x == "history-limit") && n.is_some(),
                    "{}: a command the emulator cannot take: {w:?}",
                    case.name
                );
                t.history_limit_option_changed(n.unwrap());
            }
        }
    }
    t
}

/// A capture's rows as cells, without the blank default-style cells at the end of each
/// row (where tmux stops printing differs by release; what is printed must match).
fn cells(capture: &[u8]) -> Vec<Vec<sgr::Item>> {
    // The parser sets control characters aside; a tab cell (3.6+) is one, shown as U+2409.
    let mut text = Vec::with_capacity(capture.len());
    for &b in capture {
        if b == b'\t' {
            text.extend_from_slice("\u{2409}".as_bytes());
        } else {
            text.push(b);
        }
    }
    let parsed = sgr::parse(&text);
    assert!(
        parsed.oddities.is_empty(),
        "a capture holds what the comparison cannot read: {:?}",
        parsed.oddities
    );
    let mut rows = parsed.rows;
    for r in &mut rows {
        while r
            .last()
            .is_some_and(|it| it.ch == ' ' && it.style == sgr::Style::default())
        {
            r.pop();
        }
    }
    rows
}

/// tmux keeps F4 90 80 80 .. F4 BF BF BF (U+110000..U+13FFFF, which glibc decodes) as the
/// cell's bytes; no host can draw them, and muxlink's cell holds U+FFFD instead (with the
/// same width). The recording, read the same way.
fn past_unicode_as_replacement(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0xf4
            && b.len() >= i + 4
            && (0x90..=0xbf).contains(&b[i + 1])
            && b[i + 2..i + 4].iter().all(|&c| c & 0xc0 == 0x80)
        {
            out.extend_from_slice("\u{FFFD}".as_bytes());
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// What differs between tmux's recording and muxlink's screen (empty: they are equal).
fn differences(o: &Observation, t: &Terminal) -> Vec<String> {
    let mut out = Vec::new();
    let cur = t.cursor();
    if (cur.x as u32, cur.y as u32, cur.visible) != o.cursor {
        out.push(format!(
            "cursor: tmux {:?}, muxlink {:?}",
            o.cursor,
            (cur.x, cur.y, cur.visible)
        ));
    }
    if t.history_len() as u32 != o.history_size {
        out.push(format!(
            "history: tmux {}, muxlink {}",
            o.history_size,
            t.history_len()
        ));
    }
    if t.is_alternate_screen() != o.alternate {
        out.push(format!("alternate: tmux {}", o.alternate));
    }
    if t.title() != o.title {
        out.push(format!(
            "title: tmux {:?}, muxlink {:?}",
            o.title,
            t.title()
        ));
    }
    let mut want = past_unicode_as_replacement(&o.all.join(&b'\n'));
    want.push(b'\n');
    let got = capture::ansi(t, true);
    let (e, g) = (cells(&want), cells(got.as_bytes()));
    for i in 0..e.len().max(g.len()) {
        let (er, gr) = (e.get(i), g.get(i));
        if er != gr {
            let text = |r: Option<&Vec<sgr::Item>>| -> String {
                r.map(|r| r.iter().map(|it| it.ch).collect())
                    .unwrap_or_else(|| "<none>".into())
            };
            let k = (0..er.map_or(0, Vec::len).max(gr.map_or(0, Vec::len)))
                .find(|&k| er.and_then(|r| r.get(k)) != gr.and_then(|r| r.get(k)))
                .unwrap_or(0);
            let style = |r: Option<&Vec<sgr::Item>>| {
                r.and_then(|r| r.get(k))
                    .map_or("<none>".to_string(), |it| it.style.to_string())
            };
            out.push(format!(
                "line {i}, cell {k}:\n    tmux:    {:?} ({})\n    muxlink: {:?} ({})",
                text(er),
                style(er),
                text(gr),
                style(gr)
            ));
        }
    }
    out
}

/// The emulator against every recording: for every case and every release it was recorded
/// on, a `Terminal` with that release's profile (and the case's server options) fed the
/// case's steps must show what tmux showed: every cell's character and style in history and
/// screen, the cursor, the history size, the title and the alternate-screen flag. Prints
/// the count of matching cases per release. `RELEASES_FILTER=substr` limits the cases,
/// `RELEASES_SHOW=1` prints every difference.
#[test]
fn emulator_matches_every_release() {
    let filter = std::env::var("RELEASES_FILTER").ok();
    let show = std::env::var("RELEASES_SHOW").is_ok_and(|v| v == "1");
    let all = load_all();
    let mut problems = Vec::new();
    for r in TmuxRelease::ALL {
        let (mut total, mut matched) = (0, 0);
        for (c, e) in &all {
            if filter
                .as_ref()
                .is_some_and(|f| !c.name.contains(f.as_str()))
            {
                continue;
            }
            let Some(o) = e.releases.get(r.name()) else {
                continue;
            };
            total += 1;
            let t = emulate(c, r);
            let d = differences(o, &t);
            if d.is_empty() {
                matched += 1;
            } else {
                if show {
                    eprintln!("{} on {r}:\n  {}", c.name, d.join("\n  "));
                }
                problems.push(format!("{} on {r}: {}", c.name, d[0]));
            }
        }
        eprintln!("{r}: {matched} of {total} cases match tmux");
    }
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// `set_profile` in the middle of a pane's life (the server's options changed, or the
/// release became known after the first output): characters that arrive afterwards get the
/// new widths and rules, cells already written keep theirs, as in tmux.
#[test]
fn set_profile_applies_to_what_arrives_afterwards() {
    let mut t = Terminal::new(20, 2);
    t.feed("\u{263A}".as_bytes());
    assert_eq!(t.cursor().x, 1, "U+263A is narrow by default");
    let (wide, rejected) = TmuxRelease::NEWEST.profile(&ServerOptions {
        codepoint_widths: vec!["U+263A=2".into()],
        ..ServerOptions::default()
    });
    assert!(rejected.is_empty());
    t.set_profile(&wide);
    t.feed("\u{263A}|".as_bytes());
    assert_eq!(t.cursor().x, 4, "the second one is wide");
    assert_eq!(capture::plain(&t), "\u{263A}\u{263A}|\n\n");
    assert!(!t.screen_row(0)[0]
        .flags
        .contains(muxlink_term::CellFlags::WIDE));
    assert!(t.screen_row(0)[1]
        .flags
        .contains(muxlink_term::CellFlags::WIDE));
    // The same pane as 3.3a from now on: tabs only move the cursor.
    let (old, _) = TmuxRelease::V3_3a.profile(&ServerOptions::default());
    t.set_profile(&old);
    assert_eq!(t.policy().release, TmuxRelease::V3_3a);
    t.feed(b"\r\na\tb");
    assert_eq!(capture::plain(&t), "\u{263A}\u{263A}|\na       b\n");
}
