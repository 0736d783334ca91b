//! The web pages in headless Chromium (chromedriver, fantoccini): the scenarios of the
//! web-pages issue, with screenshots and an axe-core check of every main screen.

mod driver;
mod flow;
