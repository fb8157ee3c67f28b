//! JavaScript run in every new context before the script: the parts of the
//! host API that are easiest to express in JS. The native hooks arrive as
//! `__aw_native` and are removed from the global scope straight away.

/// `%EVAL%` and `%CONSOLE%` are replaced with `true`/`false`.
pub const PRELUDE: &str = include_str!("prelude/main.js");

pub fn prelude(eval: bool, console: bool) -> String {
    PRELUDE
        .replace("%EVAL%", if eval { "true" } else { "false" })
        .replace("%CONSOLE%", if console { "true" } else { "false" })
        + super::auth::PRELUDE
}

#[cfg(test)]
mod bench;
