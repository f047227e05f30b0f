//! Billfold core: an exact, append-only ledger of cloud billing accounts (SPEC.md), with no
//! dependency on any front end. The CLI (`src/main.rs`) and the desktop shell (`src-tauri`)
//! are thin layers over this crate.

pub mod accounts;
pub mod bench;
pub mod cli;
pub mod costs;
pub mod demo;
pub mod error;
pub mod import;
pub mod ledger;
pub mod money;
pub mod overview;
pub mod resources;
pub mod review;
pub mod store;
pub mod time;

pub use error::{Error, ErrorCode, Result};
