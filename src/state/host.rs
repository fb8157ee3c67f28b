//! The engine side of the JS host API: what scripts' calls reach.

use std::sync::Arc;

use crate::assets::Assets;
use crate::domain::{LogLevel, StreamMessage};
use crate::events::{StreamBus, Streams};
use crate::fetch::Fetcher;
use crate::js::Host;
use crate::kv::Kv;
use crate::logs::LogService;
use crate::manage::ManageClient;

/// The engine side of the JS host API.
pub struct EngineHost {
    pub logs: Arc<LogService>,
    pub streams: Arc<Streams>,
    pub kv: Arc<Kv>,
    pub fetcher: Arc<Fetcher>,
    pub manager: Arc<ManageClient>,
    pub assets: Arc<Assets>,
}

impl Host for EngineHost {
    fn script_log(&self, script: &str, level: LogLevel, message: String, request_id: Option<&str>) {
        tracing::debug!(target: "script", script, level = level.as_str(), request_id, "{message}");
        self.logs.append(script, level, message, request_id);
    }

    fn publish_subscription(&self, name: &str, data: serde_json::Value) {
        self.streams.publish_topic(name, data);
    }

    fn kv(&self) -> Option<Arc<Kv>> {
        Some(self.kv.clone())
    }

    fn publish(&self, path: Option<&str>, msg: StreamMessage) {
        StreamBus::publish(&*self.streams, path, msg);
    }

    fn fetcher(&self) -> Option<Arc<Fetcher>> {
        Some(self.fetcher.clone())
    }

    fn scripts(&self) -> Option<Arc<ManageClient>> {
        Some(self.manager.clone())
    }

    fn assets(&self) -> Option<Arc<Assets>> {
        Some(self.assets.clone())
    }
}
