//! Property tests for layout strings: random trees print and parse back identically, and
//! any string that parses prints back byte-identical.

use muxlink_proto::layout::{
    layout_checksum, Layout, LayoutError, LayoutKind, LayoutNode, MAX_SIZE,
};
use muxlink_proto::PaneId;
use proptest::prelude::*;

fn node() -> impl Strategy<Value = LayoutNode> {
    // Within tmux's bounds: at most 64 leaves of 1000x1000 stay far below the area bound.
    let size = prop_oneof![0u32..1000, Just(0), Just(1000)];
    let offset = prop_oneof![0u32..=MAX_SIZE, Just(MAX_SIZE)];
    let leaf = (size.clone(), size, offset.clone(), offset, any::<u32>())
        .prop_map(|(c, r, x, y, id)| LayoutNode::pane(c, r, x, y, PaneId(id)));
    leaf.prop_recursive(6, 64, 5, |inner| {
        (
            any::<bool>(),
            (0u32..500, 0u32..500, 0u32..500, 0u32..500),
            prop::collection::vec(inner, 1..5),
        )
            .prop_map(|(lr, (cols, rows, x, y), children)| LayoutNode {
                cols,
                rows,
                x,
                y,
                kind: if lr {
                    LayoutKind::LeftRight(children)
                } else {
                    LayoutKind::TopBottom(children)
                },
            })
    })
}

fn layout() -> impl Strategy<Value = Layout> {
    (node(), prop::collection::vec(node(), 0..3))
        .prop_map(|(root, floating)| Layout::new(root, floating))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn print_then_parse_is_identity(l in layout()) {
        let bytes = l.to_bytes();
        let back = Layout::parse(&bytes).expect("printed layout parses with a valid checksum");
        prop_assert_eq!(&back, &l);
        prop_assert_eq!(back.to_bytes(), bytes.clone());
        prop_assert_eq!(l.checksum, layout_checksum(&bytes[5..]));
        prop_assert_eq!(l.to_string().into_bytes(), bytes);
    }

    #[test]
    fn anything_that_parses_prints_back_identically(
        l in layout(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(b"0123456789x,{}[]<>a ".to_vec())), 1..4),
    ) {
        let mut s = l.to_bytes();
        for (i, b) in edits {
            let i = i.index(s.len());
            s[i] = b;
        }
        if let Ok(p) = Layout::parse_unchecked(&s) {
            prop_assert_eq!(p.to_bytes(), s.clone());
            // Checked parsing agrees with the checksum over the body.
            let checked = Layout::parse(&s);
            if layout_checksum(&s[5..]) == p.checksum {
                prop_assert_eq!(checked, Ok(p));
            } else {
                let is_checksum_err = matches!(checked, Err(LayoutError::Checksum { .. }));
                prop_assert!(is_checksum_err);
            }
        }
    }

    #[test]
    fn validate_agrees_with_parse(
        l in layout(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(b"0123456789x,{}[]<>a ".to_vec())), 0..4),
    ) {
        let mut s = l.to_bytes();
        for (i, b) in edits {
            let i = i.index(s.len());
            s[i] = b;
        }
        let parsed = Layout::parse(&s);
        let checked = Layout::validate(&s);
        prop_assert_eq!(parsed.as_ref().err(), checked.as_ref().err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Layout::parse(&bytes);
        let _ = Layout::validate(&bytes);
        let mut with_prefix = b"0000,".to_vec();
        with_prefix.extend_from_slice(&bytes);
        let _ = Layout::parse_unchecked(&with_prefix);
    }
}
