//! Control-plane migrations, one file each.
pub mod m0001_control;
pub mod m0002_usernames;
pub mod m0003_passwords;
pub mod m0004_jobs;
