//! One side of a pair as a canonical word stream: case, punctuation, hyphenation,
//! spelling variants, number words, unit spellings, articles, defined abbreviations,
//! removable fillers and plain-language substitutions are normalised away, each kept
//! difference remembering its span in the source text.

use super::abbrev::Definitions;
use super::tables::EditTables;
use crate::facts::FactKind;
use crate::facts::is_identifier;
use crate::pack::FillerPosition;
use crate::text::{TokKind, tokenize};

/// A canonical token with the byte span of the source it stands for.
#[derive(Debug, Clone, Default)]
pub(crate) struct CTok {
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// The source word as written (first word for a phrase).
    pub raw: String,
    /// A clause break (comma, semicolon, colon, bracket, sentence edge) comes before it.
    pub brk_before: bool,
    /// A clause break comes after it.
    pub brk_after: bool,
    /// A sentence boundary inside the text comes right before it.
    pub sentence_before: bool,
}

/// A phrase that was normalised away or replaced: a filler removed or a substitution.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    /// The edit rule (index into `EditTables::rules`).
    pub rule: usize,
    pub phrase: String,
    pub start: usize,
    pub end: usize,
}

/// One side, canonical.
#[derive(Debug, Default)]
pub(crate) struct Side {
    pub toks: Vec<CTok>,
    pub fillers: Vec<Applied>,
    pub substitutions: Vec<Applied>,
    pub abbreviations: Vec<Applied>,
    /// Sentence boundaries inside the text.
    pub sentences: usize,
    /// Ends as a sentence ends (full stop, question mark, exclamation mark, colon).
    pub ends_as_sentence: bool,
    /// Closing brackets followed by a comma (the bracketed phrase stands apart).
    pub bracket_commas: usize,
}

#[derive(Debug, Clone)]
struct Piece<'a> {
    norm: String,
    raw: &'a str,
    start: usize,
    end: usize,
    sym: bool,
    number: bool,
}

fn is_break(s: &str) -> bool {
    matches!(
        s,
        "," | ";" | ":" | "(" | ")" | "[" | "]" | "." | "!" | "?" | "—" | "–" | "•"
    )
}

/// Symbols that carry meaning and stay in the stream.
fn kept_symbol(s: &str) -> bool {
    matches!(
        s,
        "%" | "<"
            | ">"
            | "="
            | "≥"
            | "≤"
            | "⩾"
            | "⩽"
            | "±"
            | "+"
            | "×"
            | "/"
            | "#"
            | "&"
            | "°"
            | "~"
            | "*"
            | "^"
            | "†"
            | "‡"
            | "§"
    )
}

fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    for t in tokenize(text) {
        match t.kind {
            TokKind::Word if t.raw.contains('-') && !is_identifier(t.raw) => {
                let mut at = t.start;
                for part in t.raw.split('-') {
                    if !part.is_empty() {
                        out.push(Piece {
                            norm: part.to_lowercase().replace('’', "'"),
                            raw: &text[at..at + part.len()],
                            start: at,
                            end: at + part.len(),
                            sym: false,
                            number: false,
                        });
                    }
                    at += part.len() + 1;
                }
            }
            kind => out.push(Piece {
                norm: t.norm,
                raw: t.raw,
                start: t.start,
                end: t.end,
                sym: kind == TokKind::Symbol,
                number: kind == TokKind::Number,
            }),
        }
    }
    out
}

/// Working token between the stages.
#[derive(Debug, Clone)]
struct W {
    text: String,
    raw: String,
    start: usize,
    end: usize,
    sym: bool,
    number: bool,
}

/// Canonical stream of `text`. With `punctuation` false (no `edit.punctuation` rule),
/// every symbol stays in the stream, so a punctuation change is a difference like any other.
pub(crate) fn canon(
    text: &str,
    tables: &EditTables,
    defs: &Definitions,
    punctuation: bool,
) -> Side {
    let facts = &*tables.facts;
    let mut side = Side::default();
    let ps = pieces(text);
    let trimmed = text.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ')' | ']' | '"' | '”' | '’' | '\'' | '*')
    });
    side.ends_as_sentence = trimmed.ends_with(['.', '!', '?', ':', ';']);

    // Stage 1: abbreviations (parentheses are still there), minus signs, symbols kept.
    let mut ws: Vec<W> = Vec::with_capacity(ps.len());
    let norms = ps_norms(&ps);
    let mut i = 0;
    while i < ps.len() {
        if let Some((abbr, len)) = defs.match_at(&norms, i, tables) {
            let (s, e) = (ps[i].start, ps[i + len - 1].end);
            side.abbreviations.push(Applied {
                rule: usize::MAX,
                phrase: text[s..e].to_string(),
                start: s,
                end: e,
            });
            ws.push(W {
                text: format!("⟨{abbr}⟩"),
                raw: ps[i].raw.to_string(),
                start: s,
                end: e,
                sym: false,
                number: false,
            });
            i += len;
            continue;
        }
        let p = &ps[i];
        let minus = p.norm == "-"
            && ps.get(i + 1).is_some_and(|n| n.number && n.start == p.end)
            && (p.start == 0 || text[..p.start].ends_with(char::is_whitespace));
        ws.push(W {
            text: if minus { "−".into() } else { p.norm.clone() },
            raw: p.raw.to_string(),
            start: p.start,
            end: p.end,
            sym: p.sym && !minus,
            number: p.number,
        });
        i += 1;
    }

    // Stage 2: fillers, while clause punctuation is still there.
    let mut keep = vec![true; ws.len()];
    let mut k = 0;
    while k < ws.len() {
        if ws[k].sym {
            k += 1;
            continue;
        }
        // Sentence start: only punctuation before, or a sentence boundary.
        let lead = ws[..k]
            .iter()
            .rev()
            .take_while(|w| !(w.sym && matches!(w.text.as_str(), "." | "!" | "?")))
            .all(|w| w.sym);
        let mut hit = None;
        if let Some(cands) = tables.fillers.get(&ws[k].text) {
            for f in cands {
                let n = f.words.len();
                let words: Vec<usize> = (k..ws.len()).filter(|&j| !ws[j].sym).take(n).collect();
                // A filler's words are contiguous (no punctuation inside).
                if words.len() == n
                    && words.last().is_some_and(|&l| l - k + 1 == n)
                    && words.iter().zip(&f.words).all(|(&j, w)| ws[j].text == *w)
                {
                    let next = ws.get(k + n);
                    let colon_ok = !f.colon || next.is_some_and(|w| w.sym && w.text == ":");
                    let ok = colon_ok
                        && match f.position {
                            FillerPosition::Start => lead,
                            FillerPosition::Anywhere => true,
                            FillerPosition::BeforeNumber => next.is_some_and(|w| w.number),
                            FillerPosition::AfterComma => {
                                k > 0
                                    && ws[k - 1].sym
                                    && ws[k - 1].text == ","
                                    && next.is_some_and(|w| !w.sym)
                            }
                            FillerPosition::Correlative => facts.is_correlative(
                                &ws[k].text,
                                ws[k + n..]
                                    .iter()
                                    .map(|w| (!w.sym && !w.number).then_some(w.text.as_str())),
                            ),
                        };
                    if ok {
                        hit = Some((f.rule, n));
                        break;
                    }
                }
            }
        }
        match hit {
            Some((rule, n)) => {
                let (s, e) = (ws[k].start, ws[k + n - 1].end);
                side.fillers.push(Applied {
                    rule,
                    phrase: ws[k..k + n]
                        .iter()
                        .map(|w| w.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    start: s,
                    end: e,
                });
                keep[k..k + n].iter_mut().for_each(|x| *x = false);
                // A comma right after a removed lead filler goes with it.
                k += n;
            }
            None => k += 1,
        }
    }

    // An opening phrase in brackets (at the start, or after a clause break) followed by a
    // comma stands apart; without the comma it qualifies the next words.
    let mut lead_open = false;
    for (j, w) in ws.iter().enumerate() {
        if w.sym && w.text == "(" {
            lead_open =
                j == 0 || ws[j - 1].sym && matches!(ws[j - 1].text.as_str(), "," | ";" | ":");
        } else if w.sym && w.text == ")" && lead_open {
            if ws.get(j + 1).is_some_and(|n| n.sym && n.text == ",") {
                side.bracket_commas += 1;
            }
            lead_open = false;
        }
    }

    // Stage 3: punctuation out, with the breaks and sentence boundaries it marked.
    let mut toks: Vec<CTok> = Vec::with_capacity(ws.len());
    let mut brk = true;
    let mut sentence = false;
    let n = ws.len();
    for (j, w) in ws.iter().enumerate() {
        if !keep[j] {
            continue;
        }
        if w.sym && punctuation && !kept_symbol(&w.text) {
            if is_break(&w.text) {
                brk = true;
                if let Some(last) = toks.last_mut() {
                    last.brk_after = true;
                }
            }
            if matches!(w.text.as_str(), "." | "!" | "?")
                && ws[j + 1..n]
                    .iter()
                    .find(|x| !x.sym)
                    .is_some_and(|x| x.raw.chars().next().is_some_and(char::is_uppercase))
                && !toks.last().is_some_and(|t| {
                    matches!(
                        t.text.as_str(),
                        "al" | "e" | "i" | "vs" | "approx" | "no" | "dr" | "fig"
                    )
                })
            {
                sentence = true;
            }
            continue;
        }
        if sentence {
            side.sentences += 1;
        }
        toks.push(CTok {
            text: w.text.clone(),
            start: w.start,
            end: w.end,
            raw: w.raw.clone(),
            brk_before: brk,
            brk_after: false,
            sentence_before: sentence,
        });
        brk = false;
        sentence = false;
    }
    if let Some(last) = toks.last_mut() {
        last.brk_after = true;
    }

    // Stage 4: number words to digits, unit spellings next to numbers.
    let mut out: Vec<CTok> = Vec::with_capacity(toks.len());
    let is_num = |t: &CTok| t.text.chars().next().is_some_and(|c| c.is_ascii_digit());
    let mut j = 0;
    while j < toks.len() {
        let t = &toks[j];
        if let Some(v) = facts.number_word(&t.text) {
            // "seventy five", "twenty-five" (split at the hyphen).
            let unit_next = toks
                .get(j + 1)
                .and_then(|u| facts.number_word(&u.text))
                .filter(|u| v >= 20 && v % 10 == 0 && *u < 10);
            let mut c = t.clone();
            match unit_next {
                Some(u) => {
                    c.text = (v + u).to_string();
                    c.end = toks[j + 1].end;
                    c.brk_after = toks[j + 1].brk_after;
                    j += 2;
                }
                None => {
                    c.text = v.to_string();
                    j += 1;
                }
            }
            out.push(c);
            continue;
        }
        out.push(std::mem::take(&mut toks[j]));
        j += 1;
    }
    for j in 0..out.len() {
        let near_number = (j > 0 && is_num(&out[j - 1])) || out.get(j + 1).is_some_and(is_num);
        if near_number && let Some(u) = facts.unit(&out[j].text) {
            out[j].text = u.to_string();
        }
    }

    // Stage 4b: a comparator before a number is its direction and strictness ("more
    // than 35" = "above 35" = "> 35"); the fact check compares them too.
    let mut cmp: Vec<CTok> = Vec::with_capacity(out.len());
    let mut j = 0;
    while j < out.len() {
        let hit = facts.phrases(out[j].text.as_str()).iter().find(|p| {
            let n = p.words.len();
            p.kind == FactKind::Comparator
                && j + n <= out.len()
                && (0..n).all(|x| out[j + x].text == p.words[x])
                && out.get(j + n).is_some_and(is_num)
        });
        match hit {
            Some(p) => {
                let n = p.words.len();
                let mut c = out[j].clone();
                c.text = format!("⟨{}⟩", p.value);
                c.end = out[j + n - 1].end;
                c.brk_after = out[j + n - 1].brk_after;
                cmp.push(c);
                j += n;
            }
            None => {
                cmp.push(std::mem::take(&mut out[j]));
                j += 1;
            }
        }
    }
    let mut out = cmp;

    // Stage 5: plain-language substitutions, longest first.
    let mut subbed: Vec<CTok> = Vec::with_capacity(out.len());
    let mut j = 0;
    while j < out.len() {
        let mut hit = None;
        if let Some(cands) = tables.substitutions.get(&out[j].text) {
            for s in cands {
                let n = s.from.len();
                if j + n <= out.len()
                    && (0..n).all(|x| out[j + x].text == s.from[x])
                    && (s.before.is_empty()
                        || out.get(j + n).is_some_and(|nx| s.before.contains(&nx.text)))
                {
                    hit = Some(s);
                    break;
                }
            }
        }
        match hit {
            Some(s) => {
                let n = s.from.len();
                let (st, en) = (out[j].start, out[j + n - 1].end);
                side.substitutions.push(Applied {
                    rule: s.rule,
                    phrase: s.from.join(" "),
                    start: st,
                    end: en,
                });
                for (x, w) in s.to.iter().enumerate() {
                    subbed.push(CTok {
                        text: w.clone(),
                        start: st,
                        end: en,
                        raw: out[j].raw.clone(),
                        brk_before: x == 0 && out[j].brk_before,
                        brk_after: x + 1 == s.to.len() && out[j + n - 1].brk_after,
                        sentence_before: x == 0 && out[j].sentence_before,
                    });
                }
                if s.to.is_empty()
                    && out[j].brk_before
                    && let Some(nx) = out.get_mut(j + n)
                {
                    nx.brk_before = true;
                }
                j += n;
            }
            None => {
                subbed.push(std::mem::take(&mut out[j]));
                j += 1;
            }
        }
    }

    // Stage 6: spelling variants; articles (not an upper-case label such as "arm A").
    let mut fin: Vec<CTok> = Vec::with_capacity(subbed.len());
    let (mut pend_brk, mut pend_sentence) = (false, false);
    for (x, mut t) in subbed.into_iter().enumerate() {
        if tables.articles.contains(&t.text) {
            let label = t.raw.chars().next().is_some_and(char::is_uppercase)
                && !t.brk_before
                && !t.sentence_before
                && x > 0;
            if !label {
                pend_brk |= t.brk_before;
                pend_sentence |= t.sentence_before;
                if t.brk_after
                    && let Some(n) = fin.last_mut()
                {
                    n.brk_after = true;
                }
                continue;
            }
        }
        t.brk_before |= pend_brk;
        t.sentence_before |= pend_sentence;
        (pend_brk, pend_sentence) = (false, false);
        if !t.text.starts_with('⟨')
            && let Some(c) = tables.respell(&t.text)
        {
            t.text = c;
        }
        fin.push(t);
    }
    side.toks = fin;
    side
}

fn ps_norms<'a>(ps: &'a [Piece<'a>]) -> Vec<(&'a str, &'a str, bool)> {
    ps.iter().map(|p| (p.norm.as_str(), p.raw, p.sym)).collect()
}
