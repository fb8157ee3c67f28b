//! MCP names are global like routes: a tool, prompt or resource another
//! enabled script registered refuses the save (409, naming that script).

use super::catalog::serving;
use super::{ScriptError, ScriptService};
use crate::domain::McpSpecs;

impl ScriptService {
    pub(super) fn check_mcp(&self, name: &str, mcp: &McpSpecs) -> Result<(), ScriptError> {
        if mcp.is_empty() {
            return Ok(());
        }
        let catalog = self.catalog.load();
        for other in serving(&catalog.entries) {
            if &*other.script.name == name {
                continue;
            }
            let owner = || other.script.name.to_string();
            let conflict = |kind, n: &str| ScriptError::McpConflict {
                kind,
                name: n.to_string(),
                owner: owner(),
            };
            if let Some(t) = mcp
                .tools
                .iter()
                .find(|t| other.mcp.tools.iter().any(|o| o.name == t.name))
            {
                return Err(conflict("tool", &t.name));
            }
            if let Some(p) = mcp
                .prompts
                .iter()
                .find(|p| other.mcp.prompts.iter().any(|o| o.name == p.name))
            {
                return Err(conflict("prompt", &p.name));
            }
            if let Some(r) = mcp
                .resources
                .iter()
                .find(|r| other.mcp.resources.iter().any(|o| o.uri == r.uri))
            {
                return Err(conflict("resource", &r.uri));
            }
        }
        Ok(())
    }
}
