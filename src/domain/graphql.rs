//! A script's GraphQL registrations, as stored with the script.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub enum GqlKind {
    Query,
    Mutation,
    Subscription,
}

impl fmt::Display for GqlKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GqlKind::Query => "Query",
            GqlKind::Mutation => "Mutation",
            GqlKind::Subscription => "Subscription",
        })
    }
}

impl FromStr for GqlKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "Query" => Ok(GqlKind::Query),
            "Mutation" => Ok(GqlKind::Mutation),
            "Subscription" => Ok(GqlKind::Subscription),
            other => Err(format!("unknown GraphQL operation type {other:?}")),
        }
    }
}

/// One `registerGraphQL*` call, as stored with the script.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GqlSpec {
    pub kind: GqlKind,
    pub name: String,
    pub sdl: String,
}

impl GqlSpec {
    pub fn handler_key(&self) -> String {
        format!("GQL {} {}", self.kind, self.name)
    }
}
