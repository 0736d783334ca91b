//! OpenAPI schemas of the named values (signature meanings, roles, review export formats),
//! from the same list as their parsing (`Meaning::ALL`, `Role::ALL`, `Format::ALL`), so the
//! document names exactly what the server accepts.

use service::review::export::Format;
use store::{Meaning, Role};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{Array, Object};

fn names(list: impl Iterator<Item = &'static str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(list.collect::<Vec<_>>()))
        .build()
}

/// One signature meaning.
pub fn meaning() -> Object {
    names(Meaning::ALL.iter().map(|m| m.as_str()))
}

/// A list of roles (at least one).
pub fn roles() -> Array {
    ArrayBuilder::new()
        .items(names(Role::ALL.iter().map(|r| r.as_str())))
        .min_items(Some(1))
        .build()
}

/// A list of roles (at least one), or `null` for "unchanged".
pub fn roles_or_null() -> Array {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(names(Role::ALL.iter().map(|r| r.as_str())))
        .min_items(Some(1))
        .build()
}

/// An export format.
pub fn export_format() -> Object {
    names(["jsonl", "csv", "html"].into_iter())
}

/// A review export format (`GET /api/v1/documents/{id}/export`).
pub fn review_export_format() -> Object {
    names(Format::ALL.iter().map(|f| f.as_str()))
}
