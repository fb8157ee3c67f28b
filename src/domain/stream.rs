//! What a script sends to the connections of a stream.

/// One `sendStreamMessage*` call.
#[derive(Debug, Clone)]
pub struct StreamMessage {
    pub data: String,
    pub event: Option<String>,
    pub id: Option<String>,
    pub retry: Option<u64>,
    /// Delivered only to connections whose metadata has all these values.
    pub filter: Option<serde_json::Map<String, serde_json::Value>>,
}
