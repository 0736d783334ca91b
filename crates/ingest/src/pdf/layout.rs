//! Layout: fragments of one page become lines, top to bottom.
//!
//! Fragments whose baselines are within a third of a font size share a line; on a line,
//! fragments are ordered by x and joined with a space, and a gap wider than
//! [`super::text::CELL_GAP`] font sizes also separates table cells.

use super::text::{CELL_GAP, Fragment, SPACE_GAP};

#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub page: u32,
    pub x0: f32,
    pub x1: f32,
    pub y: f32,
    pub size: f32,
    pub bold: bool,
    pub text: String,
    /// Text of each cell when the line has wide gaps (a table row candidate).
    pub cells: Vec<String>,
}

pub(crate) fn lines(page: u32, mut frags: Vec<Fragment>) -> Vec<Line> {
    frags.retain(|f| !f.text.trim().is_empty());
    // Top to bottom, then left to right; stable so stream order breaks ties.
    frags.sort_by(|a, b| b.y.total_cmp(&a.y));
    let mut groups: Vec<Vec<Fragment>> = Vec::new();
    for f in frags {
        if let Some(g) = groups.last_mut() {
            let y0 = g[0].y;
            let size = g.iter().map(|f| f.size).fold(f.size, f32::max);
            if (f.y - y0).abs() < 0.35 * size {
                g.push(f);
                continue;
            }
        }
        groups.push(vec![f]);
    }
    groups
        .into_iter()
        .map(|mut g| {
            g.sort_by(|a, b| a.x0.total_cmp(&b.x0));
            let mut text = String::new();
            let mut cells: Vec<String> = vec![String::new()];
            let mut prev_x1: Option<f32> = None;
            let (mut size_weight, mut bold_chars, mut chars) = (0.0f32, 0usize, 0usize);
            let (mut x0, mut x1) = (f32::MAX, f32::MIN);
            let mut ys = 0.0f32;
            for f in &g {
                let n = f.text.chars().count();
                if let Some(px) = prev_x1 {
                    let gap = f.x0 - px;
                    if gap > CELL_GAP * f.size {
                        cells.push(String::new());
                    }
                    if gap > SPACE_GAP * f.size {
                        push_sep(&mut text);
                        if let Some(c) = cells.last_mut()
                            && !c.is_empty()
                        {
                            push_sep(c);
                        }
                    }
                }
                text.push_str(f.text.trim_end());
                if let Some(c) = cells.last_mut() {
                    c.push_str(f.text.trim());
                }
                prev_x1 = Some(f.x1);
                x0 = x0.min(f.x0);
                x1 = x1.max(f.x1);
                size_weight += f.size * n as f32;
                chars += n;
                ys += f.y * n as f32;
                if f.bold() {
                    bold_chars += n;
                }
            }
            let chars_f = chars.max(1) as f32;
            cells.retain(|c| !c.trim().is_empty());
            Line {
                page,
                x0,
                x1,
                y: ys / chars_f,
                size: size_weight / chars_f,
                bold: bold_chars * 10 >= chars * 9 && chars > 0,
                text: text.trim().to_string(),
                cells,
            }
        })
        .filter(|l| !l.text.is_empty())
        .collect()
}

fn push_sep(s: &mut String) {
    if !s.is_empty() && !s.ends_with(' ') {
        s.push(' ');
    }
}
