//! Compares what tmux shows with what muxlink shows, and says where they differ.

use super::sgr::{self, Item};
use super::Observation;

/// At most this many difference lines per aspect, so one broken case does not bury the rest.
const MAX_LINES: usize = 8;

fn show_line(s: &str) -> String {
    format!("{s:?}")
}

/// Index (in chars) of the first difference.
fn first_diff(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

fn compare_text(
    what: &str,
    expected: &[String],
    got: &[String],
    hsize: usize,
    out: &mut Vec<String>,
) {
    if expected.len() != got.len() {
        out.push(format!(
            "{what}: tmux has {} lines, muxlink {}",
            expected.len(),
            got.len()
        ));
    }
    let mut shown = 0;
    let mut more = 0;
    for i in 0..expected.len().max(got.len()) {
        let e = expected.get(i).map(String::as_str);
        let g = got.get(i).map(String::as_str);
        if e == g {
            continue;
        }
        if shown == MAX_LINES {
            more += 1;
            continue;
        }
        shown += 1;
        let at = line_name(i, hsize);
        match (e, g) {
            (Some(e), Some(g)) => out.push(format!(
                "{what}: {at} (first difference at char {}):\n      tmux:    {}\n      muxlink: {}",
                first_diff(e, g),
                show_line(e),
                show_line(g)
            )),
            (Some(e), None) => out.push(format!(
                "{what}: {at}: tmux {} muxlink <none>",
                show_line(e)
            )),
            (None, Some(g)) => out.push(format!(
                "{what}: {at}: tmux <none> muxlink {}",
                show_line(g)
            )),
            (None, None) => {}
        }
    }
    if more > 0 {
        out.push(format!("{what}: ... and {more} more differing lines"));
    }
}

/// Names line `i` of a capture that starts with `hsize` history lines.
fn line_name(i: usize, hsize: usize) -> String {
    if i < hsize {
        format!("history line {i}")
    } else {
        format!("screen row {}", i - hsize)
    }
}

fn show_item(it: Option<&Item>) -> String {
    match it {
        Some(it) => format!("{:?} {}", it.ch, it.style),
        None => "<no cell>".into(),
    }
}

fn compare_cells(what: &str, expected: &[u8], got: &[u8], hsize: usize, out: &mut Vec<String>) {
    let e = sgr::parse(expected);
    let g = sgr::parse(got);
    for o in &e.oddities {
        out.push(format!(
            "{what}: tmux's -e output has something unexpected: {o}"
        ));
    }
    for o in &g.oddities {
        out.push(format!(
            "{what}: muxlink's ansi output has something unexpected: {o}"
        ));
    }
    if e.rows.len() != g.rows.len() {
        out.push(format!(
            "{what}: tmux has {} lines, muxlink {}",
            e.rows.len(),
            g.rows.len()
        ));
    }
    let empty: Vec<Item> = Vec::new();
    let mut shown = 0;
    let mut more = 0;
    for i in 0..e.rows.len().max(g.rows.len()) {
        let er = e.rows.get(i).unwrap_or(&empty);
        let gr = g.rows.get(i).unwrap_or(&empty);
        if er == gr {
            continue;
        }
        let k = (0..er.len().max(gr.len()))
            .find(|&k| er.get(k) != gr.get(k))
            .unwrap_or(0);
        if shown == MAX_LINES {
            more += 1;
            continue;
        }
        shown += 1;
        let text: String = er.iter().map(|it| it.ch).collect();
        out.push(format!(
            "{what}: {} cell #{k} (text {:?}):\n      tmux:    {}\n      muxlink: {}",
            line_name(i, hsize),
            text,
            show_item(er.get(k)),
            show_item(gr.get(k))
        ));
    }
    if more > 0 {
        out.push(format!("{what}: ... and {more} more differing lines"));
    }
}

/// Every difference between tmux (`expected`) and muxlink (`got`), readable; empty if equal.
pub fn compare(expected: &Observation, got: &Observation) -> Vec<String> {
    let mut out = Vec::new();
    if expected.cursor != got.cursor {
        out.push(format!(
            "cursor (x, y, visible): tmux {:?} muxlink {:?}",
            expected.cursor, got.cursor
        ));
    }
    if expected.alternate != got.alternate {
        out.push(format!(
            "alternate screen: tmux {} muxlink {}",
            expected.alternate, got.alternate
        ));
    }
    if expected.title != got.title {
        out.push(format!(
            "title: tmux {:?} muxlink {:?}",
            expected.title, got.title
        ));
    }
    if expected.history_size != got.history_size {
        out.push(format!(
            "history size: tmux {} muxlink {}",
            expected.history_size, got.history_size
        ));
    }
    if let (Some(e), Some(g)) = (&expected.modes, &got.modes) {
        if e != g {
            out.push(format!("modes:\n      tmux:    {e}\n      muxlink: {g}"));
        }
    }
    compare_text("screen", &expected.screen, &got.screen, 0, &mut out);
    compare_text(
        "with history",
        &expected.history,
        &got.history,
        expected.history_size,
        &mut out,
    );
    compare_cells(
        "styles",
        &expected.ansi,
        &got.ansi,
        expected.history_size,
        &mut out,
    );
    // The screen-only capture matters on its own: its style stream starts from the default
    // at row 0 instead of carrying over from the history.
    let before = out.len();
    compare_cells(
        "styles (screen only)",
        &expected.ansi_screen,
        &got.ansi_screen,
        0,
        &mut out,
    );
    if out.len() > before + 2 {
        out.truncate(before + 2);
        out.push("styles (screen only): ... more".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(ansi: &str) -> Observation {
        let text: Vec<String> = sgr::parse(ansi.as_bytes())
            .rows
            .iter()
            .map(|r| r.iter().map(|i| i.ch).collect())
            .collect();
        Observation {
            screen: text.clone(),
            history: text,
            ansi: ansi.as_bytes().to_vec(),
            ansi_screen: ansi.as_bytes().to_vec(),
            cursor: (1, 0, true),
            alternate: false,
            title: "t".into(),
            history_size: 0,
            modes: Some("wrap=1".into()),
        }
    }

    #[test]
    fn equal_observations_have_no_differences() {
        let a = obs("\x1b[31mab\n\x1b[4:3mc\n");
        assert!(compare(&a, &a.clone()).is_empty());
        // The same styles written differently are the same cells.
        let b = obs("\x1b[31ma\x1b[31mb\n\x1b[4:3m\x1b[31mc\n");
        assert!(compare(&a, &b).is_empty(), "{:?}", compare(&a, &b));
    }

    #[test]
    fn every_aspect_is_compared() {
        let a = obs("ab\nc\n");
        let style = obs("a\x1b[1mb\nc\n");
        let d = compare(&a, &style);
        assert!(
            d.iter()
                .any(|l| l.contains("cell #1") && l.contains("bold")),
            "{d:?}"
        );
        let mut b = a.clone();
        b.cursor = (0, 0, true);
        assert!(compare(&a, &b)[0].starts_with("cursor"));
        let mut b = a.clone();
        b.title = String::new();
        assert!(compare(&a, &b)[0].starts_with("title"));
        let mut b = a.clone();
        b.alternate = true;
        assert!(compare(&a, &b)[0].starts_with("alternate"));
        let mut b = a.clone();
        b.history_size = 1;
        assert!(compare(&a, &b)[0].starts_with("history size"));
        let mut b = a.clone();
        b.modes = Some("wrap=0".into());
        assert!(compare(&a, &b)[0].starts_with("modes"));
        let mut b = a.clone();
        b.screen[1] = "x".into();
        assert!(compare(&a, &b)[0].starts_with("screen: screen row 1"));
        let mut b = a.clone();
        b.history.insert(0, "old".into());
        assert!(compare(&a, &b)[0].starts_with("with history"));
        let mut b = a.clone();
        b.ansi_screen = b"ab\n\x1b[7mc\n".to_vec();
        assert!(compare(&a, &b)[0].starts_with("styles (screen only)"));
    }
}
