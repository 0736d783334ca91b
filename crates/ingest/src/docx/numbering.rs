//! List numbering from `numbering.xml`: `w:num` -> `w:abstractNum` levels, counters, and
//! the marker as Word prints it.
//!
//! Choices where Word's behaviour is richer than needed here:
//! - counters are kept per `numId` and level (as the issue asks); a paragraph at level `n`
//!   restarts every deeper level, and a shallower level not yet used shows its start value;
//! - `w:lvlOverride/w:startOverride` sets a level's start for that `numId`, and a
//!   `w:lvlOverride/w:lvl` replaces the level definition;
//! - `%1`..`%9` in `w:lvlText` are replaced by the counters of levels 1..9, each in its own
//!   level's format (decimal for all when the level is `w:isLgl`);
//! - formats: `decimal`, `decimalZero` (`01`), `lowerLetter`/`upperLetter` (`a`..`z`, `aa`..),
//!   `lowerRoman`/`upperRoman`, `bullet`, `none`; any other format prints as decimal;
//! - bullets print their `w:lvlText` character; the Symbol/Wingdings private-use code points
//!   Word uses are mapped to the character they show (`U+F0B7` -> `•`, `U+F0A7` -> `▪`,
//!   `U+F0D8` -> `➢`, `U+F0FC` -> `✓`, other private-use -> `•`);
//! - a level with format `none` or an empty marker makes no list item (plain paragraph);
//! - not honoured: `w:lvlRestart` (deeper levels always restart), counters shared between
//!   `numId`s of one `abstractNum` (Word continues them; here each `numId` counts alone),
//!   `w:numStyleLink` indirection, and picture bullets (printed as their `w:lvlText`).

use docx_rs::{Level, Numberings};
use std::collections::HashMap;

const LEVELS: usize = 9;

/// A resolved marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marker {
    pub text: String,
    /// False for bullets.
    pub numbered: bool,
}

#[derive(Debug, Clone)]
struct LevelDef {
    start: i64,
    format: String,
    text: String,
    is_lgl: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Numbering {
    /// numId -> level definitions (after overrides).
    defs: HashMap<usize, Vec<Option<LevelDef>>>,
    counters: HashMap<usize, [Option<i64>; LEVELS]>,
}

impl Numbering {
    pub(crate) fn new(n: &Numberings) -> Self {
        let abstracts: HashMap<usize, &docx_rs::AbstractNumbering> =
            n.abstract_nums.iter().map(|a| (a.id, a)).collect();
        let mut defs = HashMap::new();
        for num in &n.numberings {
            let mut levels: Vec<Option<LevelDef>> = vec![None; LEVELS];
            if let Some(a) = abstracts.get(&num.abstract_num_id) {
                for l in &a.levels {
                    if l.level < LEVELS {
                        levels[l.level] = Some(level_def(l));
                    }
                }
            }
            for o in &num.level_overrides {
                if o.level >= LEVELS {
                    continue;
                }
                if let Some(l) = &o.override_level {
                    levels[o.level] = Some(level_def(l));
                }
                if let (Some(start), Some(def)) = (o.override_start, levels[o.level].as_mut()) {
                    def.start = start as i64;
                }
            }
            defs.insert(num.id, levels);
        }
        Self {
            defs,
            counters: HashMap::new(),
        }
    }

    /// Advance the counter of (`num_id`, `ilvl`) and return the marker as printed.
    /// `None` when the paragraph is not numbered (numId 0, unknown list, format `none`).
    pub(crate) fn next(&mut self, num_id: usize, ilvl: usize) -> Option<Marker> {
        let levels = self.defs.get(&num_id)?;
        let ilvl = ilvl.min(LEVELS - 1);
        let def = levels[ilvl].as_ref()?;
        let counters = self.counters.entry(num_id).or_insert([None; LEVELS]);
        counters[ilvl] = Some(match counters[ilvl] {
            Some(c) => c.saturating_add(1),
            None => def.start,
        });
        for (i, slot) in counters.iter_mut().enumerate() {
            if i > ilvl {
                *slot = None;
            } else if slot.is_none() {
                *slot = Some(levels[i].as_ref().map_or(1, |d| d.start));
            }
        }
        if def.format == "none" {
            return None;
        }
        if def.format == "bullet" {
            let text: String = def.text.chars().map(bullet_char).collect();
            let text = text.trim().to_string();
            return (!text.is_empty()).then_some(Marker {
                text,
                numbered: false,
            });
        }
        let mut text = String::new();
        let mut chars = def.text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '%'
                && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
                && (1..=LEVELS as u32).contains(&d)
            {
                chars.next();
                let k = d as usize - 1;
                let value = counters[k].unwrap_or(1);
                let format = if def.is_lgl {
                    "decimal"
                } else {
                    levels[k].as_ref().map_or("decimal", |l| l.format.as_str())
                };
                text.push_str(&format_number(value, format));
            } else {
                text.push(c);
            }
        }
        let text = text.trim().to_string();
        (!text.is_empty()).then_some(Marker {
            text,
            numbered: true,
        })
    }
}

fn level_def(l: &Level) -> LevelDef {
    let start = serde_json::to_value(&l.start)
        .ok()
        .and_then(|v| v.as_i64())
        .unwrap_or(1);
    let text = serde_json::to_value(&l.text)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    LevelDef {
        start,
        format: l.format.val.clone(),
        text,
        is_lgl: l.is_lgl.is_some(),
    }
}

fn bullet_char(c: char) -> char {
    match c as u32 {
        0xF0B7 => '•',
        0xF0A7 => '▪',
        0xF0D8 => '➢',
        0xF0FC => '✓',
        0xF06F => 'o',
        0xF000..=0xF0FF => '•',
        _ => c,
    }
}

/// `value` in a Word number format.
pub(crate) fn format_number(value: i64, format: &str) -> String {
    match format {
        "lowerLetter" => letters(value, false),
        "upperLetter" => letters(value, true),
        "lowerRoman" => roman(value).to_lowercase(),
        "upperRoman" => roman(value),
        "decimalZero" => format!("{value:02}"),
        _ => value.to_string(),
    }
}

/// Word's letter numbering: a..z, then aa..zz, aaa.. (the letter repeated).
fn letters(value: i64, upper: bool) -> String {
    if value <= 0 {
        return value.to_string();
    }
    let n = (value - 1) as u64;
    let letter = (b'a' + (n % 26) as u8) as char;
    let repeat = (n / 26 + 1).min(64) as usize;
    let s: String = std::iter::repeat_n(letter, repeat).collect();
    if upper { s.to_uppercase() } else { s }
}

fn roman(value: i64) -> String {
    if !(1..4000).contains(&value) {
        return value.to_string();
    }
    let table = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut v = value;
    let mut out = String::new();
    for (n, s) in table {
        while v >= n {
            out.push_str(s);
            v -= n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use docx_rs::{AbstractNumbering, LevelJc, LevelText, NumberFormat, Numbering as Num, Start};

    fn level(i: usize, start: usize, fmt: &str, text: &str) -> Level {
        Level::new(
            i,
            Start::new(start),
            NumberFormat::new(fmt),
            LevelText::new(text),
            LevelJc::new("left"),
        )
    }

    #[test]
    fn formats() {
        assert_eq!(format_number(4, "lowerRoman"), "iv");
        assert_eq!(format_number(27, "upperLetter"), "AA");
        assert_eq!(format_number(3, "decimalZero"), "03");
        assert_eq!(format_number(14, "upperRoman"), "XIV");
    }

    #[test]
    fn multi_level_counters_restart_deeper_levels() {
        let n = Numberings::new()
            .add_abstract_numbering(
                AbstractNumbering::new(1)
                    .add_level(level(0, 1, "decimal", "%1."))
                    .add_level(level(1, 1, "lowerLetter", "%1.%2)"))
                    .add_level(level(2, 1, "bullet", "\u{F0B7}")),
            )
            .add_numbering(Num::new(5, 1));
        let mut num = Numbering::new(&n);
        let m = |x: Option<Marker>| x.map(|m| m.text);
        assert_eq!(m(num.next(5, 0)), Some("1.".into()));
        assert_eq!(m(num.next(5, 1)), Some("1.a)".into()));
        assert_eq!(m(num.next(5, 1)), Some("1.b)".into()));
        assert_eq!(m(num.next(5, 2)), Some("•".into()));
        assert_eq!(m(num.next(5, 0)), Some("2.".into()));
        assert_eq!(m(num.next(5, 1)), Some("2.a)".into()));
        assert_eq!(num.next(0, 0), None);
        assert_eq!(num.next(99, 0), None);
    }
}
