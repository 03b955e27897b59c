//! `muxlink emulate`: raw pane output in, the final screen out, as tmux would capture it.

use clap::Args;

/// tmux's default `history-limit`.
const DEFAULT_HISTORY_LIMIT: usize = 2000;
/// Largest accepted width or height: far above any real pane, small enough that a grid of
/// that size cannot exhaust memory by accident.
const MAX_DIMENSION: u16 = 10_000;

/// Arguments of `muxlink emulate`.
#[derive(Args, Debug)]
pub struct EmulateArgs {
    /// Pane size as COLSxROWS, e.g. 80x24.
    #[arg(long, value_name = "COLSxROWS", value_parser = parse_size)]
    pub size: (u16, u16),
    /// Lines of scrollback kept (tmux's history-limit).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_HISTORY_LIMIT)]
    pub history_limit: usize,
    /// Print the history before the screen, as `capture-pane -p -S - -E -`.
    #[arg(long, group = "format")]
    pub history: bool,
    /// Print rows with SGR escapes for every cell's style, as `capture-pane -p -e`.
    #[arg(long, group = "format")]
    pub ansi: bool,
    /// Print a JSON document: size, cursor, alternate screen, title, history, screen, modes.
    #[arg(long, group = "format")]
    pub json: bool,
    /// The raw output bytes, or `-` for standard input.
    #[arg(default_value = "-")]
    pub input: String,
}

/// Parses `COLSxROWS` (both 1..=10000).
pub(crate) fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let bad = || {
        format!("expected COLSxROWS such as 80x24, each between 1 and {MAX_DIMENSION}, got {s:?}")
    };
    let (c, r) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let parse = |t: &str| -> Option<u16> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse::<u16>()
            .ok()
            .filter(|&v| (1..=MAX_DIMENSION).contains(&v))
    };
    match (parse(c), parse(r)) {
        (Some(c), Some(r)) => Ok((c, r)),
        _ => Err(bad()),
    }
}

/// Runs `muxlink emulate`.
pub fn run(_args: EmulateArgs) -> anyhow::Result<()> {
    anyhow::bail!("emulate: the pane emulator (muxlink-term) is not available yet")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("80x24"), Ok((80, 24)));
        assert_eq!(parse_size("1X1"), Ok((1, 1)));
        assert_eq!(parse_size("10000x10000"), Ok((10000, 10000)));
        for bad in [
            "",
            "80",
            "80x",
            "x24",
            "0x24",
            "80x0",
            "-1x5",
            "+5x5",
            "8 0x24",
            "80x24x1",
            "10001x5",
            "99999999999x1",
            "axb",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }
}
