//! muxlink's side of a case: the same steps through `muxlink_term::Terminal`.

use muxlink_term::{capture, Terminal};

use super::case::{Case, Step};
use super::Observation;

/// Feeds the case to a fresh emulator and reads it back the way the oracle reads tmux.
pub fn observe(case: &Case) -> Observation {
    let mut t = Terminal::with_history_limit(case.cols, case.rows, case.history_limit as usize);
    for st in &case.steps {
        match st {
            Step::Feed(b) => t.feed(b),
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
        cursor: (cur.x as u32, cur.y as u32, cur.visible),
        alternate: t.is_alternate_screen(),
        title: t.title().to_string(),
        history_size: t.history_len(),
        modes: None,
    }
}
