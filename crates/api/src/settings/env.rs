//! The environment over the file: `DUALCHECK_<SECTION>__<KEY>` for every setting, the flat
//! names from before sections as aliases (one release, with a warning), and a refusal of
//! any other `DUALCHECK_*` variable, so a misspelt setting is not silently ignored.

use super::SettingsError;
use super::sections::{Field, Settings};
use std::collections::BTreeMap;

const PREFIX: &str = "DUALCHECK_";

/// `DUALCHECK_*` variables that are not settings: switches of the test suite and the
/// benchmarks, read by those alone.
pub const NOT_SETTINGS: &[(&str, &str)] = &[
    (
        "DUALCHECK_REQUIRE_PG",
        "tests: a PostgreSQL test that cannot connect fails instead of skipping",
    ),
    (
        "DUALCHECK_REQUIRE_MODELS",
        "tests: a real-model test without its models fails instead of skipping",
    ),
    (
        "DUALCHECK_REQUIRE_SHARED",
        "tests: a test without ../shared fails instead of skipping",
    ),
    (
        "DUALCHECK_REQUIRE_TOOLS",
        "tests: a test without pdftotext or sqlite3 fails instead of skipping",
    ),
    (
        "DUALCHECK_TEST_REBUILD",
        "tests: rebuild the dualcheck binary the end-to-end tests run",
    ),
    (
        "DUALCHECK_EXPECT_BASELINE_CPU",
        "tests: the portable-kernel run checks the build targets baseline x86-64",
    ),
    (
        "DUALCHECK_BENCH_PYTHON",
        "benchmarks: the Python that runs the peer implementation",
    ),
    (
        "DUALCHECK_PEER_ONE_TOKEN_BATCHES",
        "benchmarks: the peer's decode batch setting",
    ),
];

/// The old `suggest` switch, read as `models.auto_fetch = false` for one release.
const NO_MODEL_FETCH: &str = "DUALCHECK_NO_MODEL_FETCH";

/// Apply the `DUALCHECK_*` variables of `vars` to `settings`; returns the warnings (old
/// names). Refused: an unknown `DUALCHECK_*` name, a value of the wrong type, and an old and
/// a new name of the same setting both set.
pub(super) fn apply(
    settings: &mut Settings,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<String>, SettingsError> {
    let fields = Settings::fields();
    // Sorted, so the outcome (and the first error) never depends on the environment's order.
    let vars: BTreeMap<String, String> = vars
        .into_iter()
        .filter(|(k, _)| k.starts_with(PREFIX))
        .collect();
    let mut notices = Vec::new();
    for (name, raw) in &vars {
        if NOT_SETTINGS.iter().any(|(n, _)| n == name) {
            continue;
        }
        let field = if let Some((section, key)) = name[PREFIX.len()..].split_once("__") {
            let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
            fields.iter().find(|f| f.section == section && f.key == key)
        } else if name == NO_MODEL_FETCH {
            let no_fetch =
                <bool as super::value::SettingValue>::parse_env(raw).map_err(|reason| {
                    SettingsError::Env {
                        var: name.clone(),
                        reason,
                    }
                })?;
            if vars.contains_key("DUALCHECK_MODELS__AUTO_FETCH") {
                return Err(both(name, "DUALCHECK_MODELS__AUTO_FETCH"));
            }
            settings.models.auto_fetch = !no_fetch;
            notices.push(format!(
                "{name} is an old name: set DUALCHECK_MODELS__AUTO_FETCH=false instead (the old name is read in this release only)"
            ));
            continue;
        } else {
            let alias = fields.iter().find(|f| f.alias == Some(name.as_str()));
            if let Some(f) = alias {
                let new = f.env_name();
                if vars.contains_key(&new) {
                    return Err(both(name, &new));
                }
                notices.push(format!(
                    "{name} is an old name: use {new} (the old name is read in this release only)"
                ));
            }
            alias
        };
        let Some(field) = field else {
            return Err(SettingsError::UnknownVariable {
                var: name.clone(),
                hint: hint(name, &fields),
            });
        };
        match settings.set_env(field.section, field.key, raw) {
            Some(Ok(())) => {}
            Some(Err(reason)) => {
                return Err(SettingsError::Env {
                    var: name.clone(),
                    reason,
                });
            }
            // Listed by `fields` but unknown to `set_env`: both come from one declaration,
            // so this is a bug, reported rather than ignored.
            None => {
                return Err(SettingsError::Invalid(format!(
                    "internal: setting {}.{} is listed but cannot be set",
                    field.section, field.key
                )));
            }
        }
    }
    Ok(notices)
}

fn both(old: &str, new: &str) -> SettingsError {
    SettingsError::Invalid(format!(
        "both {old} (old name) and {new} are set: remove {old}"
    ))
}

/// The setting a misspelt name most likely meant: same letters once underscores and case
/// are ignored, or the same key in another spelling of the section separator.
fn hint(name: &str, fields: &[Field]) -> String {
    let squash = |s: &str| s.replace('_', "").to_ascii_lowercase();
    let wanted = squash(name);
    let close = fields
        .iter()
        .map(|f| f.env_name())
        .find(|env| squash(env) == wanted);
    match close {
        Some(env) => format!("did you mean {env}?"),
        None => "settings are DUALCHECK_<SECTION>__<KEY> (two underscores), e.g. DUALCHECK_SERVER__BIND; `dualcheck settings reference` lists them".into(),
    }
}

/// The flat keys of a settings file written before sections (`bind = ...` at the top):
/// moved into their sections, with a warning each. Refused when the new key is set too.
pub(super) fn migrate_file_keys(
    table: &mut toml::Table,
    path: &std::path::Path,
) -> Result<Vec<String>, SettingsError> {
    let mut notices = Vec::new();
    for f in Settings::fields() {
        let Some(old) = f.old_file_key() else {
            continue;
        };
        let Some(value) = table.remove(&old) else {
            continue;
        };
        let section = table
            .entry(f.section)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let Some(section) = section.as_table_mut() else {
            return Err(SettingsError::Invalid(format!(
                "{}: `{}` must be a table ([{}])",
                path.display(),
                f.section,
                f.section
            )));
        };
        if section.contains_key(f.key) {
            return Err(SettingsError::Invalid(format!(
                "{}: both `{old}` (old name) and `[{}] {}` are set: remove `{old}`",
                path.display(),
                f.section,
                f.key
            )));
        }
        section.insert(f.key.to_string(), value);
        notices.push(format!(
            "{}: `{old}` is an old key: write it as `{}` in `[{}]` (the old key is read in this release only)",
            path.display(),
            f.key,
            f.section
        ));
    }
    Ok(notices)
}
