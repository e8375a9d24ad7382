//! User-facing failures: one sentence, a fixed exit code, never a backtrace.
//!
//! Anything that is *not* a `Failure` and reaches `main` is a bug and is shown
//! with color-eyre's full report.

use std::fmt;

/// An error the user caused or can fix. `Display` is the whole message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Bad configuration or usage: exit code 2.
    Config(String),
    /// Something failed while running (network, server): exit code 1.
    Runtime(String),
    /// The server answered and refused us (the login, a permission the
    /// connection needs): exit code 1. `check` calls it UNKNOWN (it cannot
    /// judge), where an unreachable or silent server is CRITICAL.
    Refused(String),
    /// Exit with this code; what there was to say was printed already
    /// (`redeye check`'s monitoring-plugin codes).
    Status(i32),
}

impl Failure {
    pub fn config(msg: impl Into<String>) -> Self {
        Failure::Config(msg.into())
    }

    pub fn runtime(msg: impl Into<String>) -> Self {
        Failure::Runtime(msg.into())
    }

    pub fn refused(msg: impl Into<String>) -> Self {
        Failure::Refused(msg.into())
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Config(_) => 2,
            Failure::Runtime(_) | Failure::Refused(_) => 1,
            Failure::Status(c) => *c,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Config(m) | Failure::Runtime(m) | Failure::Refused(m) => m,
            Failure::Status(_) => "",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Failure {}

pub type Result<T> = std::result::Result<T, Failure>;
