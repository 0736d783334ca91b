//! The web pages in headless Chromium (chromedriver, fantoccini): the scenarios of the
//! web-pages issue, with screenshots, an axe-core check and a layout-shift check of every
//! main screen. A test binary of its own, so that the browser's load never overlaps the
//! concurrency tests of the `e2e` binary (cargo runs test binaries one after another).
//!
//! Run it with `cargo test -p dualcheck-tests --test browser`.
#![allow(clippy::unwrap_used)]

mod driver;
mod flow;
