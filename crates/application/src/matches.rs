//! Deciding a suggested match (moved here from the api crate's handlers).
