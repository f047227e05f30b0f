//! One error type for the core. Every error has a stable `code` that front ends branch on
//! (the CLI's exit status, the desktop's `{code, message}`), and a message that is one sentence
//! a finance person can act on.

use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The stable codes. Front ends match on these, never on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Malformed input: an amount, a date, a currency, an option.
    InvalidInput,
    /// Something named does not exist (an account, an organization, a hold).
    NotFound,
    /// Well-formed, but the rules of SPEC.md refuse it (withdrawing credits, overdrawing...).
    Refused,
    /// An operation id reused for a different operation, or a name already taken.
    Conflict,
    /// A bill file that cannot be imported; the message lists file, line, column and value.
    Import,
    /// A bill file that does not say the currency of its amounts (an English Huawei header
    /// without a mark): imported once the user names it (`--currency`).
    CurrencyUnstated,
    /// The ledger file was written by a newer Billfold.
    LedgerTooNew,
    /// The ledger file cannot be read or written.
    Storage,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Refused => "refused",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Import => "import",
            ErrorCode::CurrencyUnstated => "currency_unstated",
            ErrorCode::LedgerTooNew => "ledger_too_new",
            ErrorCode::Storage => "storage",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Refused, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::new(
            ErrorCode::Storage,
            format!("the ledger database failed: {e}"),
        )
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(
            ErrorCode::Storage,
            format!("a file could not be read or written: {e}"),
        )
    }
}

impl From<rusqlite::types::FromSqlError> for Error {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        Error::new(
            ErrorCode::Storage,
            format!("the ledger holds a value of an unexpected type ({e}): was the file changed outside Billfold?"),
        )
    }
}
