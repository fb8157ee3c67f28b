//! The `text/event-stream` wire format (W3C / WHATWG Server-Sent Events).

use bytes::Bytes;

use crate::domain::StreamMessage;

/// One event: `event:`, `id:`, `retry:`, then the data split into one
/// `data:` line per line (CR, LF and CRLF all end a line).
pub fn format_event(msg: &StreamMessage, id: &str) -> Bytes {
    let mut out = String::with_capacity(msg.data.len() + 32);
    if let Some(event) = &msg.event {
        out.push_str("event: ");
        out.push_str(event);
        out.push('\n');
    }
    out.push_str("id: ");
    out.push_str(id);
    out.push('\n');
    if let Some(retry) = msg.retry {
        out.push_str(&format!("retry: {retry}\n"));
    }
    let data = msg.data.replace("\r\n", "\n").replace('\r', "\n");
    for line in data.split('\n') {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// A comment line, ignored by clients: heartbeats that keep proxies open.
pub fn comment(text: &str) -> Bytes {
    Bytes::from(format!(": {text}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiline_data_and_fields() {
        let msg = StreamMessage {
            data: "a\nb\r\nc".into(),
            event: Some("chat".into()),
            id: None,
            retry: Some(1000),
            filter: None,
        };
        assert_eq!(
            &format_event(&msg, "7")[..],
            b"event: chat\nid: 7\nretry: 1000\ndata: a\ndata: b\ndata: c\n\n"
        );
    }
}
