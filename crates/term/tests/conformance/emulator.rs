//! muxlink's side of a case: the same steps through `muxlink_term::Terminal`.

use std::sync::OnceLock;

use muxlink_term::release::{ReleaseProfile, ServerOptions, TmuxRelease};
use muxlink_term::{capture, Modes, Terminal};

/// The profile of the tmux the oracle runs (`tmux` on PATH, as `tmux -V` reports it; 3.3a
/// when there is none): the emulator renders as that release.
fn oracle_profile() -> &'static ReleaseProfile {
    static PROFILE: OnceLock<ReleaseProfile> = OnceLock::new();
    PROFILE.get_or_init(|| {
        let release = std::process::Command::new("tmux")
            .arg("-V")
            .output()
            .ok()
            .and_then(|o| TmuxRelease::from_version(String::from_utf8_lossy(&o.stdout).trim()).ok())
            .map_or(TmuxRelease::V3_3a, |m| m.release);
        release.profile(&ServerOptions::default()).0
    })
}

use super::case::{Case, Step};
use super::gen::Rng;
use super::Observation;

/// Feeds the case to a fresh emulator and reads it back the way the oracle reads tmux. With
/// a seed, every feed is cut into pieces of 1 to 16 bytes, the way tmux cuts `%output`
/// anywhere: the result must not change.
pub fn observe_split(case: &Case, seed: Option<u64>) -> Observation {
    let mut t = Terminal::with_profile(
        case.cols,
        case.rows,
        case.history_limit as usize,
        oracle_profile(),
    );
    let mut rng = seed.map(Rng::new);
    for st in &case.steps {
        match st {
            Step::Feed(b) => match rng.as_mut() {
                None => t.feed(b),
                Some(r) => {
                    let mut rest = &b[..];
                    while !rest.is_empty() {
                        let n = (r.range(1, 16) as usize).min(rest.len());
                        t.feed(&rest[..n]);
                        rest = &rest[n..];
                    }
                }
            },
            Step::Resize(c, r) => t.resize(*c, *r),
        }
    }
    let lines = |s: String| -> Vec<String> {
        let mut v: Vec<String> = s.split('\n').map(str::to_string).collect();
        if s.ends_with('\n') {
            v.pop();
        }
        v
    };
    let cur = t.cursor();
    Observation {
        screen: lines(capture::plain(&t)),
        history: lines(capture::plain_with_history(&t)),
        ansi: capture::ansi(&t, true).into_bytes(),
        ansi_screen: capture::ansi(&t, false).into_bytes(),
        cursor: (cur.x as u32, cur.y as u32, cur.visible),
        alternate: t.is_alternate_screen(),
        title: t.title().to_string(),
        history_size: t.history_len(),
        modes: Some(modes(&t)),
    }
}

/// The same string the oracle builds from tmux's `#{insert_flag}`, ... formats (tmux 3.3
/// has no format for bracketed paste or focus events, so those two are not compared).
fn modes(t: &Terminal) -> String {
    let m = t.modes();
    let f = |b: Modes| u8::from(m.contains(b));
    let (top, bottom) = t.scroll_region();
    format!(
        "ins={},kcursor={},kpad={},wrap={},origin={},m1000={},m1002={},m1003={},m1005={},m1006={},region={top}-{bottom}",
        f(Modes::INSERT),
        f(Modes::APP_CURSOR),
        f(Modes::APP_KEYPAD),
        f(Modes::AUTOWRAP),
        f(Modes::ORIGIN),
        f(Modes::MOUSE_STANDARD),
        f(Modes::MOUSE_BUTTON),
        f(Modes::MOUSE_ANY),
        f(Modes::MOUSE_UTF8),
        f(Modes::MOUSE_SGR),
    )
}
