//! (Owner: see ARCHITECTURE.md)
