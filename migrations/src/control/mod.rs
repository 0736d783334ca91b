//! Control-plane migrations, one file each.
pub mod m0001_control;
