//! OpenAPI schemas of the named values the review takes (decisions, reason codes, the
//! meanings a decision or a suppression is signed with), from the lists their parsing uses.

use store::{Decision, ReasonCode};
use utoipa::openapi::Object;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};

fn names(list: impl Iterator<Item = &'static str>, nullable: bool) -> Object {
    let t = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(t)
        .enum_values(Some(list.collect::<Vec<_>>()))
        .build()
}

pub fn decision() -> Object {
    names(Decision::ALL.iter().map(|d| d.as_str()), false)
}

pub fn reason_code() -> Object {
    names(ReasonCode::ALL.iter().map(|r| r.as_str()), true)
}

/// What a decision is signed as.
pub fn decision_meaning() -> Object {
    names(["reviewed", "approved", "rejected"].into_iter(), false)
}

/// What a suppression is signed as.
pub fn suppression_meaning() -> Object {
    names(["reviewed"].into_iter(), false)
}
