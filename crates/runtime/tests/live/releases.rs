//! The release and the width options come from the server (issue 12): the client takes the
//! release from `#{version}`, reads `variation-selector-always-wide` and `codepoint-widths`
//! at attach (tmux 3.6+) and follows them when they change.

use std::time::Duration;

use muxlink_runtime::{ClientConfig, TmuxRelease};
use muxlink_testkit::{shared_tmux, TmuxServer};

use crate::support::Live;

#[test]
fn release_and_width_options_followed_on_3_6_and_later() {
    for name in ["3.6a", "3.7c", "next-3.8"] {
        let Some(program) = shared_tmux(name) else {
            eprintln!("../shared/tmux/tmux-{name} absent: not tested");
            continue;
        };
        let server =
            TmuxServer::start_program(&program, "widths", 80, 24, &["exec sleep 100000"]).unwrap();
        server
            .tmux_ok(&["set-option", "-s", "codepoint-widths", "U+1F600=1"])
            .unwrap();
        let mut live = Live::attach(&server, ClientConfig::default().with_size(80, 24));
        live.ready();
        let want = TmuxRelease::from_name(name).unwrap();
        assert!(
            live.pump_until(Duration::from_secs(5), |c, _| {
                let m = c.state();
                m.release == Some(want)
                    && m.server_options.codepoint_widths == ["U+1F600=1"]
                    && m.server_options.variation_selector_always_wide
            }),
            "{name}: {:?} {:?}",
            live.client.state().release,
            live.client.state().server_options
        );
        server
            .tmux_ok(&["set-option", "-s", "variation-selector-always-wide", "off"])
            .unwrap();
        server
            .tmux_ok(&["set-option", "-sa", "codepoint-widths", "U+2600=2"])
            .unwrap();
        assert!(
            live.pump_until(Duration::from_secs(5), |c, _| {
                let o = &c.state().server_options;
                !o.variation_selector_always_wide
                    && o.codepoint_widths == ["U+1F600=1", "U+2600=2"]
            }),
            "{name}: not followed: {:?}",
            live.client.state().server_options
        );
        live.assert_equal(&server);
    }
}

#[test]
fn an_older_release_is_taken_from_its_version() {
    for name in ["3.2a", "3.4"] {
        let Some(program) = shared_tmux(name) else {
            eprintln!("../shared/tmux/tmux-{name} absent: not tested");
            continue;
        };
        let server =
            TmuxServer::start_program(&program, "release", 80, 24, &["printf 'hi\\n'; exec sleep 100000"])
                .unwrap();
        let mut live = Live::attach(&server, ClientConfig::default().with_size(80, 24));
        live.ready();
        assert_eq!(live.client.state().release, TmuxRelease::from_name(name));
        live.assert_equal(&server);
    }
}
