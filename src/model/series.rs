//! A time series at several resolutions: 1 s buckets for 10 minutes, 10 s
//! for 6 hours, 1 min for 7 days. Each bucket keeps the min, max and last
//! sample, so a spike is never averaged away when a long window is drawn.
//! Buckets are contiguous per tier (a gap is a bucket marked empty), so a
//! bucket costs three values and no timestamp.

use std::collections::VecDeque;

/// A sample type with a value meaning "no sample".
pub trait Sample: Copy + Ord + Default {
    const NONE: Self;
    fn from_u64(v: u64) -> Self;
    fn to_u64(self) -> u64;
}

impl Sample for u64 {
    const NONE: Self = u64::MAX;
    fn from_u64(v: u64) -> Self {
        v.min(u64::MAX - 1)
    }
    fn to_u64(self) -> u64 {
        self
    }
}

impl Sample for u32 {
    const NONE: Self = u32::MAX;
    fn from_u64(v: u64) -> Self {
        v.min(u64::from(u32::MAX - 1)) as u32
    }
    fn to_u64(self) -> u64 {
        u64::from(self)
    }
}

/// (bucket length in ms, buckets kept).
pub const TIERS: [(u64, usize); 3] = [(1_000, 600), (10_000, 2_160), (60_000, 10_080)];

/// The chart windows `w` cycles through.
pub const WINDOWS: [(&str, u64); 5] = [
    ("10m", 600_000),
    ("1h", 3_600_000),
    ("6h", 21_600_000),
    ("24h", 86_400_000),
    ("7d", 604_800_000),
];

#[derive(Debug, Clone, Copy)]
struct Bucket<T> {
    min: T,
    max: T,
    last: T,
}

#[derive(Debug, Clone)]
struct Tier<T> {
    step_ms: u64,
    cap: usize,
    /// Index (time / step) of the newest bucket.
    newest: u64,
    buckets: VecDeque<Bucket<T>>,
}

impl<T: Sample> Tier<T> {
    fn new(step_ms: u64, cap: usize) -> Self {
        Tier {
            step_ms,
            cap,
            newest: 0,
            // The fine tiers fill within hours: their whole size at once;
            // the week-long one grows as it fills.
            buckets: if cap <= 2_160 {
                VecDeque::with_capacity(cap)
            } else {
                VecDeque::new()
            },
        }
    }

    fn empty() -> Bucket<T> {
        Bucket {
            min: T::NONE,
            max: T::NONE,
            last: T::NONE,
        }
    }

    fn push(&mut self, at_ms: u64, v: T) {
        let idx = at_ms / self.step_ms;
        if let Some(b) = self.buckets.back_mut().filter(|_| idx == self.newest) {
            if b.last == T::NONE {
                *b = Bucket {
                    min: v,
                    max: v,
                    last: v,
                };
            } else {
                b.min = b.min.min(v);
                b.max = b.max.max(v);
                b.last = v;
            }
            return;
        }
        if idx < self.newest && !self.buckets.is_empty() {
            return; // the clock went back: keep what is there
        }
        // Empty buckets for a gap (paused, disconnected), at most a tier's worth.
        let gap = if self.buckets.is_empty() {
            0
        } else {
            (idx - self.newest - 1).min(self.cap as u64) as usize
        };
        for _ in 0..gap {
            self.add(Self::empty());
        }
        self.add(Bucket {
            min: v,
            max: v,
            last: v,
        });
        self.newest = idx;
    }

    fn add(&mut self, b: Bucket<T>) {
        if self.buckets.len() == self.cap {
            self.buckets.pop_front();
        }
        self.buckets.push_back(b);
    }

    /// Buckets covering `[from_ms, to_ms]`, oldest first, with their start time.
    fn range(&self, from_ms: u64, to_ms: u64) -> impl Iterator<Item = (u64, Bucket<T>)> + '_ {
        let n = self.buckets.len() as u64;
        let first = (self.newest + 1).saturating_sub(n);
        self.buckets.iter().enumerate().filter_map(move |(i, b)| {
            let start = (first + i as u64) * self.step_ms;
            (start + self.step_ms > from_ms && start <= to_ms).then_some((start, *b))
        })
    }

    fn covers(&self, span_ms: u64) -> bool {
        self.step_ms * self.cap as u64 >= span_ms
    }
}

#[derive(Debug, Clone)]
pub struct Series<T: Sample = u64> {
    tiers: [Tier<T>; 3],
}

impl<T: Sample> Default for Series<T> {
    fn default() -> Self {
        Series {
            tiers: TIERS.map(|(step, cap)| Tier::new(step, cap)),
        }
    }
}

/// One column of a chart: the time it starts and the samples it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub start_ms: u64,
    pub min: u64,
    pub max: u64,
    pub last: u64,
}

impl<T: Sample> Series<T> {
    pub fn push(&mut self, at_ms: u64, v: u64) {
        let v = T::from_u64(v);
        for t in &mut self.tiers {
            t.push(at_ms, v);
        }
    }

    /// The newest sample.
    pub fn last(&self) -> Option<u64> {
        self.tiers[0]
            .buckets
            .back()
            .filter(|b| b.last != T::NONE)
            .map(|b| b.last.to_u64())
    }

    /// The newest `n` samples of the finest tier (gaps left out), oldest first.
    pub fn tail(&self, n: usize) -> Vec<u64> {
        let b = &self.tiers[0].buckets;
        b.iter()
            .skip(b.len().saturating_sub(n))
            .filter(|b| b.last != T::NONE)
            .map(|b| b.last.to_u64())
            .collect()
    }

    /// `columns` columns over the `span_ms` ending at `end_ms`, from the
    /// finest tier that covers the span; each column keeps the min, the max
    /// and the last of its buckets (`None`: no sample in it).
    pub fn window(&self, end_ms: u64, span_ms: u64, columns: usize) -> Vec<Option<Column>> {
        let columns = columns.max(1);
        let tier = self
            .tiers
            .iter()
            .find(|t| t.covers(span_ms))
            .unwrap_or(&self.tiers[2]);
        let from = end_ms.saturating_sub(span_ms);
        let width = (span_ms / columns as u64).max(1);
        let mut out: Vec<Option<Column>> = vec![None; columns];
        for (start, b) in tier.range(from, end_ms) {
            if b.last == T::NONE {
                continue;
            }
            let col = (((start.max(from) - from) / width) as usize).min(columns - 1);
            let c = out[col].get_or_insert(Column {
                start_ms: from + col as u64 * width,
                min: u64::MAX,
                max: 0,
                last: 0,
            });
            c.min = c.min.min(b.min.to_u64());
            c.max = c.max.max(b.max.to_u64());
            c.last = b.last.to_u64();
        }
        out
    }

    /// The maxima of [`Series::window`]'s columns (0 where empty), for a sparkline.
    pub fn peaks(&self, end_ms: u64, span_ms: u64, columns: usize) -> Vec<u64> {
        self.window(end_ms, span_ms, columns)
            .into_iter()
            .map(|c| c.map(|c| c.max).unwrap_or(0))
            .collect()
    }

    /// Buckets held, all tiers (for the memory budget).
    pub fn buckets(&self) -> usize {
        self.tiers.iter().map(|t| t.buckets.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_keep_min_max_last_and_a_spike_survives_a_long_window() {
        let mut s: Series = Series::default();
        let t0 = 1_700_000_000_000u64;
        for i in 0..7_200u64 {
            // Two hours at one sample a second, one spike.
            let v = if i == 4_000 { 9_999 } else { 10 + i % 3 };
            s.push(t0 + i * 1000, v);
        }
        let end = t0 + 7_199_000;
        assert_eq!(s.tail(3).len(), 3);
        assert_eq!(s.last(), Some(10 + 7_199 % 3));
        // Ten minutes: the 1 s tier; six hours: the 10 s tier; the spike shows.
        assert!(s.window(end, 600_000, 600).iter().flatten().count() >= 599);
        let peaks = s.peaks(end, 21_600_000, 80);
        assert!(peaks.contains(&9_999), "the spike is kept");
        let cols = s.window(end, 21_600_000, 80);
        let c = cols.iter().flatten().find(|c| c.max == 9_999).unwrap();
        assert!(c.min <= 12);
        // The 1 s tier holds ten minutes only.
        assert_eq!(s.tiers[0].buckets.len(), 600);
    }

    #[test]
    fn a_gap_is_empty_not_interpolated() {
        let mut s: Series<u32> = Series::default();
        s.push(0, 5);
        s.push(10_000, 7);
        let w = s.window(10_000, 11_000, 11);
        assert_eq!(w.iter().flatten().count(), 2);
        assert_eq!(s.tail(20), vec![5, 7]);
    }
}
