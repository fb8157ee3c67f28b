//! A script's MCP registrations (`registerMCPTool`, `registerMCPResource`,
//! `registerMCPPrompt`), as stored with the script. JSON Schemas and
//! annotations are kept as JSON text: the store's codec stays simple and
//! the MCP adapter parses them once per catalog change.

use serde::{Deserialize, Serialize};

/// Everything one script registered for MCP.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct McpSpecs {
    #[serde(default)]
    pub tools: Vec<McpToolSpec>,
    #[serde(default)]
    pub resources: Vec<McpResourceSpec>,
    #[serde(default)]
    pub prompts: Vec<McpPromptSpec>,
}

impl McpSpecs {
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty() && self.resources.is_empty() && self.prompts.is_empty()
    }
}

/// One `registerMCPTool(name, description, inputSchema, handler, options)`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct McpToolSpec {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    pub description: String,
    /// JSON text of the input schema (an object schema).
    pub input_schema: String,
    #[serde(default)]
    pub output_schema: Option<String>,
    #[serde(default)]
    pub annotations: Option<String>,
}

impl McpToolSpec {
    pub fn handler_key(&self) -> String {
        tool_key(&self.name)
    }
}

/// One `registerMCPResource(uriOrTemplate, name, description, handler, options)`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct McpResourceSpec {
    /// A fixed URI, or an RFC 6570 template when `template` is set.
    pub uri: String,
    pub template: bool,
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    pub description: String,
    #[serde(default)]
    pub mime_type: Option<String>,
    /// The script gave a `complete` function for the template's variables.
    #[serde(default)]
    pub complete: bool,
}

impl McpResourceSpec {
    pub fn handler_key(&self) -> String {
        format!("MCP resource {}", self.uri)
    }
    pub fn complete_key(&self) -> String {
        format!("MCP complete resource {}", self.uri)
    }
}

/// One `registerMCPPrompt(name, description, arguments, handler)`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct McpPromptSpec {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    pub description: String,
    #[serde(default)]
    pub arguments: Vec<McpPromptArg>,
    #[serde(default)]
    pub complete: bool,
}

impl McpPromptSpec {
    pub fn handler_key(&self) -> String {
        format!("MCP prompt {}", self.name)
    }
    pub fn complete_key(&self) -> String {
        format!("MCP complete prompt {}", self.name)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct McpPromptArg {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
}

/// The handler key of tool `name` inside its script's context.
pub fn tool_key(name: &str) -> String {
    format!("MCP tool {name}")
}
