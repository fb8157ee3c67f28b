//! Grants on scripts: who may see or change one.

use serde::{Deserialize, Serialize};

/// What a grant allows: `read` sees a script, `write` also changes it.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Read,
    Write,
}

/// An explicit grant on a script to one user (by id) or one group (by name).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScriptGrant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub access: Access,
}
