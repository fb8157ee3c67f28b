//! Why a script call did not produce a value.

/// The kind of a failed script call; each has a stable code that clients
/// and metrics see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Timeout,
    Memory,
    Stack,
    Runtime,
    InvalidResponse,
    /// The engine could not run the script (worker gone, context could not be built).
    Unavailable,
    /// An engine bug (a panic in a JS worker): the message is for the server
    /// log only, never for the client.
    Internal,
}

impl FailureKind {
    pub fn code(self) -> &'static str {
        match self {
            FailureKind::Timeout => "script_timeout",
            FailureKind::Memory => "script_memory",
            FailureKind::Stack => "script_stack",
            FailureKind::Runtime => "script_error",
            FailureKind::InvalidResponse => "invalid_response",
            FailureKind::Unavailable => "script_unavailable",
            FailureKind::Internal => "internal",
        }
    }
}
