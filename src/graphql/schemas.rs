//! The executable schema as a service: it follows the script catalog
//! through [`CatalogHook`], refusing saves whose SDL would not fit and
//! swapping in a new schema after each change.

use std::sync::Arc;

use arc_swap::ArcSwapOption;

use super::build::{build, Built, SchemaError};
use super::Limits;
use crate::domain::GqlSpec;
use crate::events::Streams;
use crate::js::Invoker;
use crate::scripts::routes::LoadedScript;
use crate::scripts::{CatalogEntry, CatalogHook, Refusal};

pub struct Schemas {
    current: ArcSwapOption<Built>,
    runtime: Arc<dyn Invoker>,
    streams: Arc<Streams>,
    limits: Limits,
}

impl Schemas {
    pub fn new(runtime: Arc<dyn Invoker>, streams: Arc<Streams>, limits: Limits) -> Schemas {
        Schemas {
            current: ArcSwapOption::empty(),
            runtime,
            streams,
            limits,
        }
    }

    /// The schema now serving; None while no enabled script registers a
    /// GraphQL field.
    pub fn current(&self) -> Option<Arc<Built>> {
        self.current.load_full()
    }

    fn build(&self, serving: &[Arc<CatalogEntry>]) -> Result<Option<Built>, SchemaError> {
        build(
            &specs(serving),
            self.runtime.clone(),
            self.streams.clone(),
            self.limits,
        )
    }
}

fn specs(serving: &[Arc<CatalogEntry>]) -> Vec<(Arc<LoadedScript>, Vec<GqlSpec>)> {
    serving
        .iter()
        .filter(|e| e.enabled && !e.graphql.is_empty())
        .map(|e| (e.script.clone(), e.graphql.clone()))
        .collect()
}

impl From<SchemaError> for Refusal {
    fn from(e: SchemaError) -> Refusal {
        Refusal {
            script: e.script,
            message: e.message,
            line: e.line,
            column: e.column,
        }
    }
}

impl CatalogHook for Schemas {
    fn check(&self, serving: &[Arc<CatalogEntry>]) -> Result<(), Refusal> {
        self.build(serving).map(|_| ()).map_err(Refusal::from)
    }

    fn published(&self, serving: &[Arc<CatalogEntry>]) {
        match self.build(serving) {
            Ok(built) => self.current.store(built.map(Arc::new)),
            Err(e) => {
                // Saves are checked first, so this means stored scripts that
                // no longer fit together; serve without GraphQL.
                tracing::error!(script = %e.script, "GraphQL schema not built: {}", e.message);
                self.current.store(None);
            }
        }
    }
}
