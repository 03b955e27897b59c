//! Character widths: glibc `wcwidth()` as tmux 3.3a uses it here (see `width_table.rs`).

#[cfg(test)]
use crate::width_table::WIDTH_RANGES;
use crate::width_table::{WIDTH_BLOCKS, WIDTH_PAGES};

/// [`char_width`]'s answer for a code point tmux drops.
pub const UNPRINTABLE: u8 = 255;

/// The number of cells tmux gives code point `cp`: 0, 1 or 2, or [`UNPRINTABLE`] (255)
/// for code points glibc calls unprintable, which tmux drops.
///
/// A two-level table lookup (no search, no allocation).
#[inline]
pub fn char_width(cp: u32) -> u8 {
    if cp < 0x80 {
        return 1;
    }
    match WIDTH_PAGES.get((cp >> 8) as usize) {
        Some(&page) => {
            let byte = WIDTH_BLOCKS[page as usize][((cp & 0xff) >> 2) as usize];
            match (byte >> ((cp & 3) * 2)) & 3 {
                3 => UNPRINTABLE,
                w => w,
            }
        }
        None => 1,
    }
}

/// The range-table answer (the table's source of truth), for tests.
#[cfg(test)]
fn width_from_ranges(cp: u32) -> u8 {
    if cp < 0x80 {
        return 1;
    }
    match WIDTH_RANGES.binary_search_by(|&(lo, hi, _)| {
        if hi < cp {
            std::cmp::Ordering::Less
        } else if lo > cp {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }) {
        Ok(i) => WIDTH_RANGES[i].2,
        Err(_) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_widths() {
        assert_eq!(char_width('a' as u32), 1);
        assert_eq!(char_width('é' as u32), 1);
        assert_eq!(char_width(0x301), 0); // combining acute
        assert_eq!(char_width('中' as u32), 2);
        assert_eq!(char_width(0x1F600), 2); // emoji
        assert_eq!(char_width(0x85), UNPRINTABLE); // C1 control
        assert_eq!(char_width(0x3098), UNPRINTABLE); // unassigned
        assert_eq!(char_width(0x200B), 0); // zero width space
    }

    #[test]
    fn two_level_table_matches_ranges() {
        for cp in 0..0x110000u32 {
            assert_eq!(char_width(cp), width_from_ranges(cp), "U+{cp:04X}");
        }
    }

    #[test]
    fn table_is_sorted_and_disjoint() {
        for w in WIDTH_RANGES.windows(2) {
            assert!(w[0].0 <= w[0].1 && w[0].1 < w[1].0);
        }
    }
}
