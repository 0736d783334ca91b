//! The highest `w:id` in the package: revision and comment ids are chosen above it, so
//! they collide with no bookmark, comment, revision or note id in any part.

use crate::package::Package;
use quick_xml::Reader;
use quick_xml::events::Event;

/// The largest `w:id` value in any XML part (`0` when there is none). A part that is not
/// well-formed is read up to its first error.
pub(crate) fn max_w_id(pkg: &Package<'_>) -> i64 {
    let mut max = 0i64;
    for (_, bytes) in pkg.xml_parts() {
        let mut r = Reader::from_reader(bytes);
        loop {
            match r.read_event() {
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                    for a in e.attributes().flatten() {
                        if a.key.as_ref() == b"w:id"
                            && let Some(v) = std::str::from_utf8(&a.value)
                                .ok()
                                .and_then(|v| v.trim().parse::<i64>().ok())
                        {
                            max = max.max(v);
                        }
                    }
                }
                Ok(Event::Eof) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
    max
}
