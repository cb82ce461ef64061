//! Reference data: regions, municipalities, clusters, platforms (public reads) and organisations
//! (read with any token, written by admins).

pub mod clusters;
pub mod municipalities;
pub mod organisations;
pub mod platforms;
pub mod regions;
