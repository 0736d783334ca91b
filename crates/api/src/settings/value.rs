//! What a setting's value can be: how it is read from an environment variable, and how it
//! is shown in the reference table. One implementation per type, so a new setting of a known
//! type needs no new parsing code.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// A type a setting can have.
pub trait SettingValue: Sized {
    /// What the reference table says the value is ("integer", "path", ...).
    const KIND: &'static str;
    /// Read the value of an environment variable; the error says what was expected.
    fn parse_env(raw: &str) -> Result<Self, String>;
    /// The value as the reference table shows it (a default).
    fn show(&self) -> String;
}

impl SettingValue for String {
    const KIND: &'static str = "string";
    fn parse_env(raw: &str) -> Result<Self, String> {
        Ok(raw.to_string())
    }
    fn show(&self) -> String {
        format!("`{self}`")
    }
}

impl SettingValue for PathBuf {
    const KIND: &'static str = "path";
    fn parse_env(raw: &str) -> Result<Self, String> {
        if raw.trim().is_empty() {
            return Err("an empty path".into());
        }
        Ok(PathBuf::from(raw))
    }
    fn show(&self) -> String {
        format!("`{}`", self.display())
    }
}

impl SettingValue for bool {
    const KIND: &'static str = "true/false";
    fn parse_env(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(format!("{raw:?} is not true or false")),
        }
    }
    fn show(&self) -> String {
        format!("`{self}`")
    }
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl SettingValue for $t {
            const KIND: &'static str = "integer";
            fn parse_env(raw: &str) -> Result<Self, String> {
                raw.trim().parse().map_err(|_| {
                    format!("{raw:?} is not a whole number from {} to {}", <$t>::MIN, <$t>::MAX)
                })
            }
            fn show(&self) -> String {
                format!("`{self}`")
            }
        }
    )*};
}
integer!(u32, u64, usize);

/// Optional settings: an empty variable unsets them.
impl<T: SettingValue> SettingValue for Option<T> {
    const KIND: &'static str = T::KIND;
    fn parse_env(raw: &str) -> Result<Self, String> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            T::parse_env(raw).map(Some)
        }
    }
    fn show(&self) -> String {
        match self {
            Some(v) => v.show(),
            None => "unset".into(),
        }
    }
}

/// A database URL. It may carry a password (in the user part or as `?password=`), so it is
/// never shown: `Debug`, `Display` and serialisation (the fingerprint recorded at start-up,
/// `dualcheck settings show`) all give the URL with the password replaced by `***`.
/// [`DatabaseUrl::expose`] is for the one caller that connects.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its password, to connect with.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl SettingValue for DatabaseUrl {
    const KIND: &'static str = "URL (secret)";
    fn parse_env(raw: &str) -> Result<Self, String> {
        if !raw.contains("://") {
            return Err("not a URL (expected postgres://user@host/database)".into());
        }
        Ok(Self(raw.to_string()))
    }
    fn show(&self) -> String {
        format!("`{}`", self.redacted())
    }
}

/// A secret text (a token): never shown. `Debug`, `Display`, serialisation (the start-up
/// fingerprint, `dualcheck settings show`) all give `***`; [`Secret::expose`] is for the one
/// caller that compares it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

impl SettingValue for Secret {
    const KIND: &'static str = "text (secret, 32+ characters)";
    fn parse_env(raw: &str) -> Result<Self, String> {
        if raw.trim().chars().count() < 32 {
            return Err("too short: use at least 32 random characters".into());
        }
        Ok(Self(raw.trim().to_string()))
    }
    fn show(&self) -> String {
        "`***`".into()
    }
}

/// `scheme://user:password@host/...?password=...` with both passwords as `***`.
fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        let authority_end = out[rest..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| rest + i);
        if let Some(at) = out[rest..authority_end].rfind('@')
            && let Some(colon) = out[rest..rest + at].find(':')
        {
            out.replace_range(rest + colon + 1..rest + at, "***");
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out = format!("{head}{}", query.join("&"));
    }
    out
}

/// How log lines are written (on stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Plain text, with colours only when stderr is a terminal.
    #[default]
    Auto,
    /// Plain text, never coloured.
    Plain,
    /// One JSON object per line (timestamp, level, target, fields).
    Json,
}

impl SettingValue for LogFormat {
    const KIND: &'static str = "auto, plain or json";
    fn parse_env(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "plain" => Ok(Self::Plain),
            "json" => Ok(Self::Json),
            _ => Err(format!("{raw:?} is not auto, plain or json")),
        }
    }
    fn show(&self) -> String {
        match self {
            Self::Auto => "`auto`",
            Self::Plain => "`plain`",
            Self::Json => "`json`",
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        for (url, shown) in [
            (
                "postgres://app:s3cret@db.example:5432/dualcheck",
                "postgres://app:***@db.example:5432/dualcheck",
            ),
            (
                "postgres://app@db/dc?sslmode=require&password=s3cret",
                "postgres://app@db/dc?sslmode=require&password=***",
            ),
            ("postgres://db/dc", "postgres://db/dc"),
            ("postgres://a:b:c@h/d", "postgres://a:***@h/d"),
        ] {
            let u = DatabaseUrl::new(url);
            assert_eq!(u.redacted(), shown);
            assert!(!format!("{u:?}").contains("s3cret"));
            assert!(!u.to_string().contains("s3cret"));
            assert!(!serde_json::to_string(&u).expect("json").contains("s3cret"));
            assert_eq!(u.expose(), url);
        }
    }

    #[test]
    fn env_values_are_typed() {
        assert_eq!(u64::parse_env(" 12 "), Ok(12));
        assert!(u64::parse_env("-1").is_err());
        assert!(u32::parse_env("lots").is_err());
        assert_eq!(bool::parse_env("Off"), Ok(false));
        assert!(bool::parse_env("maybe").is_err());
        assert_eq!(Option::<PathBuf>::parse_env(""), Ok(None));
        assert!(PathBuf::parse_env(" ").is_err());
        assert_eq!(LogFormat::parse_env("JSON"), Ok(LogFormat::Json));
        assert!(DatabaseUrl::parse_env("localhost").is_err());
    }
}
