//! Script management on someone's behalf, for scripts themselves: the
//! `scripts.*` JS API and the older engine's globals (`listScripts`,
//! `getScript`, `upsertScript`, `deleteScript`, `listLogs`).
//!
//! JS can save JS, so the runtime needs management and management needs the
//! runtime (a save runs the new script's top-level code). The cycle is cut
//! with a channel, not late binding: the composition root makes
//! [`channel`] first, gives the [`ManageClient`] to the JS host, builds the
//! runtime and the script service, then starts [`ScriptManager::serve`] on
//! the [`Inbox`]. A call sent before that waits in the channel; none is lost.

mod service;

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::auth::AuthService;
use crate::domain::Principal;
use crate::scripts::SaveAuthors;

pub use service::ScriptManager;

/// Who a call acts for.
#[derive(Clone, Debug)]
pub enum Actor {
    /// A request without a logged-in user: may do nothing.
    Anonymous,
    User(Principal),
}

impl Actor {
    fn label(&self) -> String {
        match self {
            Actor::Anonymous => "anonymous".into(),
            Actor::User(p) => p.email.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Internal(String),
}

/// One management call.
#[derive(Debug)]
pub enum Op {
    List,
    Get(String),
    Put(String, String),
    Delete(String),
    /// One script's log (or every script's the actor may read), newest first.
    Logs(Option<String>, usize),
}

impl Op {
    pub fn writes(&self) -> bool {
        matches!(self, Op::Put(..) | Op::Delete(_))
    }
}

pub(crate) struct Request {
    actor: Actor,
    op: Op,
    reply: oneshot::Sender<Result<Value, ManageError>>,
}

/// The receiving end of [`channel`], for [`ScriptManager::serve`].
pub struct Inbox(mpsc::UnboundedReceiver<Request>);

impl Inbox {
    async fn recv(&mut self) -> Option<Request> {
        self.0.recv().await
    }
}

/// A client and the inbox its calls arrive at.
pub fn channel(
    auth: Arc<AuthService>,
    authors: SaveAuthors,
    handle: tokio::runtime::Handle,
) -> (ManageClient, Inbox) {
    let (tx, rx) = mpsc::unbounded_channel();
    let client = ManageClient {
        tx,
        auth,
        authors,
        handle,
    };
    (client, Inbox(rx))
}

/// What the JS host holds: answers who a call acts for at once (from the
/// directory snapshot) and sends the calls themselves to the manager.
pub struct ManageClient {
    tx: mpsc::UnboundedSender<Request>,
    auth: Arc<AuthService>,
    authors: SaveAuthors,
    /// The engine's multi-thread runtime, where the work runs whichever
    /// thread (a JS worker, an I/O thread) asked for it.
    handle: tokio::runtime::Handle,
}

impl ManageClient {
    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    /// The request's user (by id), or `Anonymous` without one.
    pub fn actor_for_user(&self, user_id: Option<&str>) -> Actor {
        let principal = user_id.and_then(|id| self.auth.directory().principal(id));
        principal.map_or(Actor::Anonymous, Actor::User)
    }

    /// The owner of `script` (a user, or a group with editor rights); for
    /// a script being saved for the first time, its author.
    pub fn actor_for_owner(&self, script: &str) -> Actor {
        let dir = self.auth.directory();
        let principal = dir.owner_principal(script).or_else(|| {
            let author = self.authors.get(script)?;
            let id = dir.user_by_email(&author)?.id.clone();
            dir.principal(&id)
        });
        principal.map_or(Actor::Anonymous, Actor::User)
    }

    /// Sends `op` to the manager and waits for its answer.
    pub async fn call(&self, actor: Actor, op: Op) -> Result<Value, ManageError> {
        let (reply, answer) = oneshot::channel();
        let gone = || ManageError::Internal("the engine is shutting down".into());
        self.tx
            .send(Request { actor, op, reply })
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Runs `f` on the engine's runtime and waits for it, from a thread that
    /// may itself be inside a (current-thread) runtime: the wait happens on
    /// a short-lived helper thread, so no runtime is blocked re-entrantly.
    /// Used by the older engine's synchronous globals only.
    pub fn wait<T: Send>(&self, f: impl std::future::Future<Output = T> + Send) -> T {
        std::thread::scope(|s| {
            s.spawn(|| self.handle.block_on(f))
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }
}
