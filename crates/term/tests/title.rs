//! The title a program sets is reported once per change, and the first one even when it is
//! empty: before it, the emulator's empty title is a placeholder, not the pane's title.

use muxlink_term::{TermEvent, Terminal};

fn titles(t: &mut Terminal) -> Vec<String> {
    t.take_events()
        .filter_map(|e| match e {
            TermEvent::TitleChanged(s) => Some(s),
            _ => None,
        })
        .collect()
}

#[test]
fn first_title_is_news_even_when_empty() {
    let mut t = Terminal::new(10, 2);
    assert!(!t.title_set());
    t.feed(b"plain text");
    assert!(!t.title_set(), "text sets no title");
    t.feed(b"\x1b]2;\x07");
    assert!(t.title_set());
    assert_eq!(titles(&mut t), [""]);
    t.feed(b"\x1b]2;\x07");
    assert!(
        titles(&mut t).is_empty(),
        "the same title again is not news"
    );
    t.feed(b"\x1b]0;x\x07\x1b]2;x\x07");
    assert_eq!(titles(&mut t), ["x"]);
}

#[test]
fn rejected_titles_set_nothing() {
    let mut t = Terminal::new(10, 2);
    t.feed(b"\x1b]2;a\xffb\x07");
    assert!(!t.title_set(), "a title that is not UTF-8 is dropped");
    assert!(titles(&mut t).is_empty());
}
