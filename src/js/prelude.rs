//! JavaScript run in every new context before the script: the parts of the
//! host API that are easiest to express in JS. The native hooks arrive as
//! `__aw_native` and are removed from the global scope straight away.

/// Reads `__aw_native.eval` and `__aw_native.console` (the config flags).
pub const PRELUDE: &str = include_str!("prelude/main.js");

/// The prelude every context runs (compiled once: see `super::bytecode`).
pub fn prelude() -> String {
    [PRELUDE, super::auth::PRELUDE].concat()
}

#[cfg(test)]
mod bench;
