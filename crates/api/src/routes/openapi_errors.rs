//! The error responses of every operation, completed in the OpenAPI document from what the
//! server does for every route of that shape (one place, so the document cannot forget a
//! code an extractor or guard answers): 401 and 403 where a session is needed (403 also
//! while a password change is due), 404 where the path names a record, 400 where a query
//! or body is read, 413 and 415 where a body is read, 500 everywhere. Every error is RFC
//! 7807 `application/problem+json` with the `Problem` schema. And the methods of each path,
//! for the 405 answer to a method the document does not declare ([`allowed_methods`]).

use serde_json::{Value, json};
use std::sync::OnceLock;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": {
            "schema": { "$ref": "#/components/schemas/Problem" }
        }}
    })
}

fn reason(code: &str) -> &'static str {
    match code {
        "400" => "malformed or out-of-range input",
        "401" => "missing, invalid or expired bearer token",
        "403" => "the caller's roles do not allow this, or a password change is due first",
        "404" => "no such record in the caller's tenant",
        "413" => "the body is over the limit",
        "415" => "the body is not of the media type this operation reads",
        _ => "internal error (the request id names it in the log)",
    }
}

/// Complete the error responses of every operation of `doc` (the generated document).
pub fn complete(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(op) = item.get_mut(method) else {
                continue;
            };
            let secured = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            let has_query = op
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            let has_body = op.get("requestBody").is_some();
            let names_record = path.contains('{');
            let mut codes = vec!["500"];
            if secured {
                codes.extend(["401", "403"]);
            }
            if names_record {
                codes.push("404");
            }
            if has_query || has_body || names_record {
                codes.push("400");
            }
            if has_body {
                codes.extend(["413", "415"]);
            }
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            // Declared errors keep their description; their body is a problem.
            for (code, r) in responses.iter_mut() {
                if code.as_str() >= "400" && code.len() == 3 {
                    let description = r["description"].as_str().unwrap_or("error").to_owned();
                    *r = problem(&description);
                }
            }
            for code in codes {
                responses
                    .entry(code)
                    .or_insert_with(|| problem(reason(code)));
            }
        }
    }
}

/// The document as served: generated, then completed.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        use utoipa::OpenApi;
        let mut doc = serde_json::to_value(super::openapi::ApiDoc::openapi()).unwrap_or_default();
        complete(&mut doc);
        doc
    })
}

/// The methods the document declares for the route `path` matches (path templates: a
/// `{name}` segment matches any one segment), upper case; empty when no route matches.
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    let Some(paths) = document().get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    for (template, item) in paths {
        let t: Vec<&str> = template.split('/').collect();
        let matches = t.len() == segs.len()
            && t.iter()
                .zip(&segs)
                .all(|(a, b)| (a.starts_with('{') && a.ends_with('}')) || a == b);
        if matches {
            return METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| match *m {
                    "get" => "GET",
                    "post" => "POST",
                    "put" => "PUT",
                    "patch" => "PATCH",
                    _ => "DELETE",
                })
                .collect();
        }
    }
    Vec::new()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_a_problem_and_secured_routes_declare_401_and_403() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() > 20);
        for (path, item) in paths {
            for m in METHODS {
                let Some(op) = item.get(m) else { continue };
                let responses = op["responses"].as_object().unwrap();
                assert!(responses.contains_key("500"), "{m} {path}");
                if op.get("security").is_some() {
                    assert!(
                        responses.contains_key("401") && responses.contains_key("403"),
                        "{m} {path}"
                    );
                }
                for (code, r) in responses {
                    if code.as_str() >= "400" {
                        assert!(
                            r["content"].get("application/problem+json").is_some(),
                            "{m} {path} {code}"
                        );
                        assert!(
                            r["content"].get("application/json").is_none(),
                            "{m} {path} {code}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn methods_of_a_path_template() {
        assert_eq!(allowed_methods("/api/v1/users"), ["GET", "POST"]);
        assert_eq!(allowed_methods("/api/v1/users/abc"), ["PATCH"]);
        assert_eq!(
            allowed_methods("/api/v1/documents/x/versions/2/signatures"),
            ["GET", "POST"]
        );
        assert!(allowed_methods("/api/v1/nothing").is_empty());
    }
}
