//! Dosing frequencies: "twice daily", "3 times a day", "every 2 weeks", "BID".

use super::tables::FactWords;
use crate::text::Token;

/// A frequency starting at `i`; returns (normalised value, tokens used).
pub(crate) fn frequency_at(fw: &FactWords, toks: &[Token], i: usize) -> Option<(String, usize)> {
    let w = |k: usize| toks.get(k).map(|t| t.norm.as_str()).unwrap_or("");
    let per = |k: usize| -> Option<(&'static str, usize)> {
        match (w(k), w(k + 1)) {
            ("daily", _) | ("nightly", _) => Some(("day", 1)),
            ("a" | "per" | "each" | "every" | "/", "day") => Some(("day", 2)),
            ("a" | "per" | "each" | "every" | "/", "week") | ("weekly", _) => {
                Some(if w(k) == "weekly" {
                    ("week", 1)
                } else {
                    ("week", 2)
                })
            }
            ("a" | "per" | "each" | "every" | "/", "month") | ("monthly", _) => {
                Some(if w(k) == "monthly" {
                    ("month", 1)
                } else {
                    ("month", 2)
                })
            }
            ("an" | "per" | "each" | "every" | "/", "hour") | ("hourly", _) => {
                Some(if w(k) == "hourly" {
                    ("hour", 1)
                } else {
                    ("hour", 2)
                })
            }
            ("a" | "per" | "each" | "every" | "/", "year") | ("yearly" | "annually", _) => {
                Some(if matches!(w(k), "yearly" | "annually") {
                    ("year", 1)
                } else {
                    ("year", 2)
                })
            }
            _ => None,
        }
    };
    // count: once/twice/thrice/N times/N-times
    let (count, used) = match w(i) {
        "once" => (Some(1u32), 1),
        "twice" => (Some(2), 1),
        "thrice" => (Some(3), 1),
        x => match (
            x.parse::<u32>().ok().or_else(|| fw.compound_number(x)),
            w(i + 1),
        ) {
            (Some(c), "times" | "time") => (Some(c), 2),
            _ => (None, 0),
        },
    };
    if let Some(c) = count
        && let Some((unit, len)) = per(i + used)
    {
        return Some((format!("{c}/{unit}"), used + len));
    }
    // Standalone daily/weekly/...
    if used == 0 {
        match w(i) {
            "daily" | "nightly" => return Some(("1/day".into(), 1)),
            "weekly" => return Some(("1/week".into(), 1)),
            "monthly" => return Some(("1/month".into(), 1)),
            "hourly" => return Some(("1/hour".into(), 1)),
            "yearly" | "annually" => return Some(("1/year".into(), 1)),
            "every" | "each" => {
                // every N units / every unit
                let (nv, k) = match w(i + 1)
                    .parse::<u32>()
                    .ok()
                    .or_else(|| fw.compound_number(w(i + 1)))
                {
                    Some(v) => (v, i + 2),
                    None => (1, i + 1),
                };
                let u = match w(k) {
                    "day" | "days" => "day",
                    "week" | "weeks" => "week",
                    "month" | "months" => "month",
                    "hour" | "hours" | "h" => "hour",
                    "year" | "years" => "year",
                    _ => return None,
                };
                // "each day" as a frequency only when it follows a verb; "at each visit" is not.
                let v = if nv == 1 {
                    format!("1/{u}")
                } else {
                    format!("1/{nv}{u}")
                };
                return Some((v, k + 1 - i));
            }
            _ => {}
        }
    }
    None
}
