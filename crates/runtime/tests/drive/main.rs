//! Every drive mode against a real tmux (the built-in loop, the host loop over mio and over
//! a poll(2) loop written like a C host's, host-fed bytes), and the transports and loop
//! features beyond the shared suite.

mod modes;
mod transports;

/// `Client` and `Connection` can move to another thread (the host's loop thread).
#[test]
fn client_and_connection_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<muxlink_runtime::Client>();
    assert_send::<muxlink_runtime::drive::Connection>();
    assert_send::<muxlink_runtime::hostfed::HostFed>();
    assert_send::<muxlink_runtime::EventQueue>();
}
