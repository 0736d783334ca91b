//! The settings reference: the table the README carries between its `settings:begin` and
//! `settings:end` markers, generated from the declarations (a test keeps the README equal to
//! it, so a new setting cannot go undocumented). `dualcheck settings reference` prints it.

use super::env::NOT_SETTINGS;
use super::sections::Settings;

/// The README's marker lines around the table.
pub const BEGIN: &str = "<!-- settings:begin (generated: dualcheck settings reference) -->";
pub const END: &str = "<!-- settings:end -->";

impl Settings {
    /// The reference table of every setting, then the `DUALCHECK_*` variables that are not
    /// settings, as Markdown between the README's markers.
    pub fn reference() -> String {
        let mut out = format!("{BEGIN}\n");
        out.push_str("| file: `[section]` key | environment | type | default | what it does |\n");
        out.push_str("|---|---|---|---|---|\n");
        for f in Settings::fields() {
            let old = f
                .alias
                .map(|a| format!(" (old name `{a}`, read in this release only)"))
                .unwrap_or_default();
            out.push_str(&format!(
                "| `[{}]` `{}` | `{}`{old} | {} | {} | {} |\n",
                f.section,
                f.key,
                f.env_name(),
                f.kind,
                f.default,
                f.doc.trim().replace('|', "\\|"),
            ));
        }
        out.push_str("\nOther `DUALCHECK_*` variables are refused (a misspelt setting is not ignored), except these switches of the tests and benchmarks, which are not settings:\n\n");
        for (name, what) in NOT_SETTINGS {
            out.push_str(&format!("- `{name}`: {what}\n"));
        }
        out.push_str("- `DUALCHECK_NO_MODEL_FETCH` (old name): `DUALCHECK_MODELS__AUTO_FETCH=false`, read in this release only\n");
        out.push_str(END);
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_documents_every_setting() {
        let readme = include_str!("../../../../README.md");
        let expected = Settings::reference();
        let start = readme
            .find(BEGIN)
            .expect("README has the settings:begin marker");
        let end = readme[start..]
            .find(END)
            .map(|i| start + i + END.len() + 1)
            .expect("README has the settings:end marker");
        assert!(
            readme[start..end] == expected,
            "README.md's settings table is out of date: replace it with the output of \
             `cargo run -q -p dualcheck-api --bin dualcheck -- settings reference`"
        );
    }
}
