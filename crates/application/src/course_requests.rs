//! Course requests and their decision workflow (moved here from the api crate's handlers).
