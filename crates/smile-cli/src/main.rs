//! The `smile` command.
fn main() {}
