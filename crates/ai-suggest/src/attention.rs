//! Rotary embeddings and attention of every sequence of a batch over its own key/value
//! cache, in plain Rust on the packed projection rows.
//!
//! Generating one token runs, per layer and per sequence, a few hundred multiply-adds of
//! attention: done with general tensor operations (narrow, transpose, concatenate the cache,
//! repeat the shared key heads, two matrix products, a mask, a softmax) each step cost more
//! in allocation and dispatch than in arithmetic, and that cost grew with every sequence in
//! a batch. Here the cache grows in place (rows appended), grouped-query heads read their
//! shared key/value head directly, and the (sequence, head) pairs are shared out between
//! candle's worker threads. Each pair is computed by the same sequential code whatever the
//! batch, so outputs stay byte-identical alone or batched.

use crate::decoder::Span;
use std::sync::Mutex;

/// One layer's keys and values of one sequence: one row (`n_kv × head_dim`) per position.
#[derive(Debug, Clone, Default)]
pub(crate) struct LayerKv {
    k: Vec<f32>,
    v: Vec<f32>,
}

impl LayerKv {
    /// Values per position, when the cache holds `of` positions.
    fn width(&self, of: usize) -> usize {
        self.k.len().checked_div(of).unwrap_or(0)
    }

    /// Keep the first `keep` of `of` positions (a draft's rejected tokens leave the cache).
    pub(crate) fn truncate(&mut self, keep: usize, of: usize) {
        let kw = self.width(of);
        self.k.truncate(keep * kw);
        self.v.truncate(keep * kw);
    }

    /// A copy of the first `keep` of `of` positions (a stored prompt's shared beginning).
    pub(crate) fn head(&self, keep: usize, of: usize) -> Self {
        let n = keep.min(of) * self.width(of);
        Self {
            k: self.k[..n].to_vec(),
            v: self.v[..n].to_vec(),
        }
    }
}

/// Rotary position tables for one frequency base.
#[derive(Debug, Clone)]
pub(crate) struct Rotary {
    half: usize,
    cos: Vec<f32>,
    sin: Vec<f32>,
    /// Pairs `(2i, 2i+1)` (llama) rather than `(i, i + d/2)` (NeoX: qwen2, Gemma).
    interleaved: bool,
}

impl Rotary {
    pub(crate) fn new(head_dim: usize, base: f32, positions: usize, interleaved: bool) -> Self {
        let half = head_dim / 2;
        let inv: Vec<f32> = (0..head_dim)
            .step_by(2)
            .map(|i| 1.0 / base.powf(i as f32 / head_dim as f32))
            .collect();
        let mut cos = Vec::with_capacity(positions * half);
        let mut sin = Vec::with_capacity(positions * half);
        for p in 0..positions {
            for f in &inv {
                let a = p as f32 * f;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        Self {
            half,
            cos,
            sin,
            interleaved,
        }
    }

    /// Rotate one head's vector for position `pos`.
    fn apply(&self, x: &mut [f32], pos: usize) {
        let c = &self.cos[pos * self.half..(pos + 1) * self.half];
        let s = &self.sin[pos * self.half..(pos + 1) * self.half];
        for i in 0..self.half {
            let (a, b) = if self.interleaved {
                (2 * i, 2 * i + 1)
            } else {
                (i, i + self.half)
            };
            let (x0, x1) = (x[a], x[b]);
            x[a] = x0 * c[i] - x1 * s[i];
            x[b] = x0 * s[i] + x1 * c[i];
        }
    }
}

/// Shapes of one attention layer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Heads {
    pub n_head: usize,
    pub n_kv: usize,
    pub head_dim: usize,
    pub scale: f32,
    /// How far back a query may look (sliding-window layers).
    pub window: Option<usize>,
}

/// A dot product with eight independent sums (vectorised), added in a fixed order.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let n = a.len() / 8 * 8;
    for (ca, cb) in a[..n].chunks_exact(8).zip(b[..n].chunks_exact(8)) {
        for ((acc, x), y) in acc.iter_mut().zip(ca).zip(cb) {
            *acc = x.mul_add(*y, *acc);
        }
    }
    let s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    a[n..]
        .iter()
        .zip(&b[n..])
        .fold(s, |s, (x, y)| x.mul_add(*y, s))
}

/// Attention of every sequence of a packed batch. `q` holds `n × n_head × head_dim` values,
/// `k` and `v` `n × n_kv × head_dim` (rows in the order of `spans`), before rotation; each
/// sequence's new keys and values are rotated and appended to its cache `kv[i]`. Returns
/// `n × n_head × head_dim` values.
pub(crate) fn attend(
    mut q: Vec<f32>,
    mut k: Vec<f32>,
    v: &[f32],
    spans: &[Span],
    kv: &mut [&mut LayerKv],
    rot: &Rotary,
    h: Heads,
) -> Vec<f32> {
    let d = h.head_dim;
    let (qw, kw) = (h.n_head * d, h.n_kv * d);
    for s in spans {
        for i in 0..s.t {
            let row = s.off + i;
            let pos = s.pos + i;
            for head in q[row * qw..(row + 1) * qw].chunks_exact_mut(d) {
                rot.apply(head, pos);
            }
            for head in k[row * kw..(row + 1) * kw].chunks_exact_mut(d) {
                rot.apply(head, pos);
            }
        }
    }
    for (s, cache) in spans.iter().zip(kv.iter_mut()) {
        cache
            .k
            .extend_from_slice(&k[s.off * kw..(s.off + s.t) * kw]);
        cache
            .v
            .extend_from_slice(&v[s.off * kw..(s.off + s.t) * kw]);
    }
    let rep = (h.n_head / h.n_kv.max(1)).max(1);
    let n_items = spans.len() * h.n_head;
    let results: Vec<Mutex<Vec<f32>>> = (0..n_items).map(|_| Mutex::new(Vec::new())).collect();
    let caches: Vec<&LayerKv> = kv.iter().map(|c| &**c).collect();
    let q = &q;
    candle_core::utils::barrier_pool().execute_chunked(n_items, |range| {
        let mut scores = Vec::new();
        for item in range {
            let (si, head) = (item / h.n_head, item % h.n_head);
            let (s, cache) = (spans[si], caches[si]);
            let kvh = head / rep;
            let mut out = vec![0f32; s.t * d];
            for i in 0..s.t {
                let p = s.pos + i;
                let first = h.window.map_or(0, |w| (p + 1).saturating_sub(w));
                let qv = &q[(s.off + i) * qw + head * d..(s.off + i) * qw + (head + 1) * d];
                scores.clear();
                for j in first..=p {
                    let kj = &cache.k[j * kw + kvh * d..j * kw + (kvh + 1) * d];
                    scores.push(dot(qv, kj) * h.scale);
                }
                let max = scores.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
                let mut sum = 0f32;
                for x in scores.iter_mut() {
                    *x = (*x - max).exp();
                    sum += *x;
                }
                let o = &mut out[i * d..(i + 1) * d];
                for (j, w) in (first..=p).zip(&scores) {
                    let w = w / sum;
                    let vj = &cache.v[j * kw + kvh * d..j * kw + (kvh + 1) * d];
                    for (oo, vv) in o.iter_mut().zip(vj) {
                        *oo = w.mul_add(*vv, *oo);
                    }
                }
            }
            if let Ok(mut slot) = results[item].lock() {
                *slot = out;
            }
        }
    });
    let n: usize = spans.iter().map(|s| s.t).sum();
    let mut y = vec![0f32; n * qw];
    for (item, res) in results.into_iter().enumerate() {
        let out = res.into_inner().unwrap_or_default();
        let (si, head) = (item / h.n_head, item % h.n_head);
        let s = spans[si];
        for (i, o) in out.chunks_exact(d).enumerate() {
            let at = (s.off + i) * qw + head * d;
            y[at..at + d].copy_from_slice(o);
        }
    }
    y
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| (((i as u32).wrapping_mul(2654435761) ^ seed) % 1000) as f32 / 500.0 - 1.0)
            .collect()
    }

    /// The same sequence alone, within a batch, and fed in two passes gives the same bits.
    #[test]
    fn attention_is_batch_and_split_independent() {
        let h = Heads {
            n_head: 4,
            n_kv: 2,
            head_dim: 8,
            scale: 0.3,
            window: Some(3),
        };
        let rot = Rotary::new(8, 10_000.0, 64, false);
        let (qw, kw, t) = (32, 16, 5);
        let (q, k, v) = (values(t * qw, 1), values(t * kw, 2), values(t * kw, 3));
        let alone = {
            let mut c = LayerKv::default();
            let s = [Span { off: 0, t, pos: 0 }];
            attend(q.clone(), k.clone(), &v, &s, &mut [&mut c], &rot, h)
        };
        // In a batch after another sequence of 2 tokens.
        let batched = {
            let (mut c0, mut c1) = (LayerKv::default(), LayerKv::default());
            let s = [
                Span {
                    off: 0,
                    t: 2,
                    pos: 0,
                },
                Span { off: 2, t, pos: 0 },
            ];
            let cat = |a: &[f32], b: &[f32]| [a, b].concat();
            let y = attend(
                cat(&values(2 * qw, 9), &q),
                cat(&values(2 * kw, 8), &k),
                &cat(&values(2 * kw, 7), &v),
                &s,
                &mut [&mut c0, &mut c1],
                &rot,
                h,
            );
            y[2 * qw..].to_vec()
        };
        assert_eq!(alone, batched);
        // Two passes: 2 tokens, then 3 more at position 2.
        let split = {
            let mut c = LayerKv::default();
            let a = attend(
                q[..2 * qw].to_vec(),
                k[..2 * kw].to_vec(),
                &v[..2 * kw],
                &[Span {
                    off: 0,
                    t: 2,
                    pos: 0,
                }],
                &mut [&mut c],
                &rot,
                h,
            );
            let b = attend(
                q[2 * qw..].to_vec(),
                k[2 * kw..].to_vec(),
                &v[2 * kw..],
                &[Span {
                    off: 0,
                    t: 3,
                    pos: 2,
                }],
                &mut [&mut c],
                &rot,
                h,
            );
            [a, b].concat()
        };
        assert_eq!(alone, split);
        // The first token attends only to itself: its output is its own value row (head 0
        // reads kv head 0).
        assert_eq!(&alone[..8], &v[..8]);
    }
}
