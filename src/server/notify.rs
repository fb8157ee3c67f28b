//! systemd readiness (`Type=notify`): `READY=1` once every listener
//! serves, `STOPPING=1` when the drain starts. A no-op outside systemd
//! (no `NOTIFY_SOCKET`) and on platforms without Unix sockets.

#[cfg(unix)]
pub fn ready() {
    send(&[sd_notify::NotifyState::Ready]);
}

#[cfg(unix)]
pub fn stopping() {
    send(&[sd_notify::NotifyState::Stopping]);
}

#[cfg(unix)]
fn send(state: &[sd_notify::NotifyState<'_>]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(e) = sd_notify::notify(false, state) {
        tracing::warn!("could not notify systemd: {e}");
    }
}

#[cfg(not(unix))]
pub fn ready() {}

#[cfg(not(unix))]
pub fn stopping() {}
