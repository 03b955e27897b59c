//! A line of the grid as hosts read it.

use crate::cell::Cell;
use crate::grid::{Line, Packed, Unpack, EMPTY};

/// A line of the grid, exactly as wide as the grid. A screen row is read in place
/// ([`LineView::as_slice`]); a history line is stored packed at the width it uses and is
/// unpacked as it is read, padded with blank cells to the grid's width. Iterating yields
/// cells by value (16 bytes each).
#[derive(Clone, Copy, Debug)]
pub struct LineView<'a> {
    inner: Inner<'a>,
    cols: u16,
}

#[derive(Clone, Copy, Debug)]
enum Inner<'a> {
    Cells(&'a [Cell]),
    Packed(Packed<'a>),
}

impl<'a> LineView<'a> {
    pub(crate) fn new(line: Line<'a>, cols: u16) -> LineView<'a> {
        let inner = match line {
            Line::Screen(row) => Inner::Cells(row.view(cols)),
            Line::History(p) => Inner::Packed(p),
        };
        LineView { inner, cols }
    }

    /// Cells in the line: the grid's width.
    pub fn len(&self) -> usize {
        self.cols as usize
    }

    /// Whether the line has no cells (never: a grid is at least one column wide).
    pub fn is_empty(&self) -> bool {
        self.cols == 0
    }

    /// The cells, in order. O(1) to start; history lines are unpacked as the iterator goes.
    pub fn iter(&self) -> LineCells<'a> {
        let inner = match self.inner {
            Inner::Cells(c) => CellsInner::Slice(c.iter()),
            Inner::Packed(p) => CellsInner::Packed(p.cells()),
        };
        LineCells {
            inner,
            left: self.cols as usize,
        }
    }

    /// Cell `x`, if `x < len()`. O(1) for a screen row, O(x) for a history line.
    pub fn get(&self, x: usize) -> Option<Cell> {
        match self.inner {
            Inner::Cells(c) => c.get(x).copied(),
            Inner::Packed(_) => self.iter().nth(x),
        }
    }

    /// The cells in place, for a screen row (`None` for a history line, which is packed).
    pub fn as_slice(&self) -> Option<&'a [Cell]> {
        match self.inner {
            Inner::Cells(c) => Some(c),
            Inner::Packed(_) => None,
        }
    }

    /// The cells, copied.
    pub fn to_vec(&self) -> Vec<Cell> {
        self.iter().collect()
    }
}

impl<'a> IntoIterator for LineView<'a> {
    type Item = Cell;
    type IntoIter = LineCells<'a>;
    fn into_iter(self) -> LineCells<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &LineView<'a> {
    type Item = Cell;
    type IntoIter = LineCells<'a>;
    fn into_iter(self) -> LineCells<'a> {
        self.iter()
    }
}

/// The cells of a [`LineView`], by value.
#[derive(Clone, Debug)]
pub struct LineCells<'a> {
    inner: CellsInner<'a>,
    left: usize,
}

#[derive(Clone, Debug)]
enum CellsInner<'a> {
    Slice(std::slice::Iter<'a, Cell>),
    Packed(Unpack<'a>),
}

impl Iterator for LineCells<'_> {
    type Item = Cell;

    #[inline]
    fn next(&mut self) -> Option<Cell> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        match &mut self.inner {
            CellsInner::Slice(it) => it.next().copied(),
            // Past what is stored, a history line reads as blanks.
            CellsInner::Packed(u) => Some(u.next().unwrap_or(EMPTY)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for LineCells<'_> {}
