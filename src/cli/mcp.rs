//! `aiwebengine mcp --data FILE`: the data file's scripts as an MCP server
//! on stdin/stdout (REQ-MCP-001, stdio transport), for desktop AI clients
//! that start the server themselves. Logs go to stderr; stdout carries
//! only JSON-RPC.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use rmcp::ServiceExt;

use crate::config::{Inputs, Live, Settings};
use crate::mcp::{EngineMcp, McpCaller};

#[derive(Args)]
pub(crate) struct McpArgs {
    /// Data file whose scripts to serve; a running server must not hold it.
    #[arg(long, env = "AIWEBENGINE_DATA", default_value = "./aiwebengine.redb")]
    data: PathBuf,
    /// Instead of a data file: bridge stdio to this running server's MCP
    /// endpoint (`https://host/mcp`).
    #[arg(long, conflicts_with = "data", requires = "token")]
    url: Option<String>,
    /// Bearer token for `--url` (an API token).
    #[arg(long, env = "AIWEBENGINE_TOKEN")]
    token: Option<String>,
    /// Config file, as for `serve` (the `[js]` limits apply to handlers).
    #[arg(long, env = "AIWEBENGINE_CONFIG", value_delimiter = ',')]
    config: Vec<PathBuf>,
}

pub(crate) fn run(args: McpArgs) -> ExitCode {
    if let (Some(url), Some(token)) = (args.url.clone(), args.token.clone()) {
        return block_on(super::mcp_bridge::run(url, token));
    }
    let inputs = Inputs {
        files: args.config.clone(),
        flags: vec![
            (
                "--data".into(),
                "storage.data".into(),
                serde_json::json!(args.data),
            ),
            (
                "--https".into(),
                "server.https".into(),
                serde_json::json!("off"),
            ),
        ],
        ..Inputs::new(crate::state::CONFIG_CHECKS)
    };
    let resolved = match crate::config::resolve(&inputs, &Settings::new()) {
        Ok(r) => r,
        Err(e) => return super::config_fail(&e),
    };
    let live = Arc::new(Live::new(inputs, resolved));
    block_on(serve(live))
}

fn block_on(f: impl std::future::Future<Output = Result<(), String>>) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return super::fail(1, format!("cannot start the async runtime: {e}")),
    };
    match rt.block_on(f) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => super::fail(1, message),
    }
}

async fn serve(live: Arc<Live>) -> Result<(), String> {
    let (state, _) = crate::state::start_live(live, None).await.map_err(|e| {
        format!("{e}; to reach the scripts of a running server, give its /mcp URL to an MCP client instead")
    })?;
    // Whoever can start this process can open the file: there is no
    // HTTP caller; handlers see an anonymous `ctx.auth`.
    let server = EngineMcp::new(state.mcp().clone(), McpCaller::default());
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("MCP over stdio failed to start: {e}"))?;
    running
        .waiting()
        .await
        .map_err(|e| format!("MCP over stdio ended with an error: {e}"))?;
    Ok(())
}
