//! `raycc schema`: prints the embedded JSON Schema.

use super::{EXIT_OK, write_stdout};

/// Prints the schema.
pub fn run() -> anyhow::Result<u8> {
    write_stdout(raycc::schema::SCHEMA_JSON.as_bytes())?;
    Ok(EXIT_OK)
}
