//! Statistics over a check's history: the summary `maint trend` shows and
//! the robust line the predictions extrapolate. Pure functions over
//! [`Point`]s; the history store (`storage::history`) reads them and the
//! judges (`judge::trend`) and renderers use them.

/// One observation: when (Unix seconds) and what was seen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub t: i64,
    pub v: f64,
}

impl Point {
    pub fn new(t: i64, v: f64) -> Point {
        Point { t, v }
    }
}

pub const DAY: f64 = 86_400.0;

/// What `maint trend` shows of one series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub last: f64,
    pub min: f64,
    pub mean: f64,
    /// Nearest-rank 95th percentile.
    pub p95: f64,
    pub max: f64,
}

/// The summary of `points` in time order; None when there are none.
pub fn summary(points: &[Point]) -> Option<Summary> {
    let last = points.last()?.v;
    let mut values: Vec<f64> = points.iter().map(|p| p.v).collect();
    values.sort_by(f64::total_cmp);
    let rank = ((0.95 * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(Summary {
        count: values.len(),
        last,
        min: values[0],
        mean: values.iter().sum::<f64>() / values.len() as f64,
        p95: values[rank - 1],
        max: values[values.len() - 1],
    })
}

/// A straight line through a series, with how well it fits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// Change per second.
    pub slope: f64,
    /// The line's value at `t0`.
    pub at_t0: f64,
    pub t0: i64,
    /// 1 − SS_res/SS_tot of the line over the points the fit used (1 when
    /// the series is flat and the line goes through it).
    pub r2: f64,
    pub points: usize,
    /// Seconds from the first point to the last.
    pub span: i64,
}

impl Fit {
    pub fn at(&self, t: i64) -> f64 {
        self.at_t0 + self.slope * (t - self.t0) as f64
    }

    pub fn per_day(&self) -> f64 {
        self.slope * DAY
    }
}

/// Pairs above this many points are thinned evenly before the fit: the
/// Theil–Sen slope looks at every pair, and 400 points (80 000 pairs) keep
/// the fit under a millisecond whatever the history holds.
const MAX_FIT_POINTS: usize = 400;

/// The Theil–Sen line: the median of the slopes of every pair of points,
/// and the median of what is left for the intercept.
///
/// Why Theil–Sen and not least squares (as Prometheus' `predict_linear`)
/// or a Huber fit: a log rotation or a cleanup drops a disk's use for a
/// sample or two, and one such point pulls a least-squares slope far enough
/// to move "full in 9 days" by weeks. The median of pairwise slopes ignores
/// up to 29 % of wild points, needs no tuning constant (Huber needs a scale
/// and iterations), and is exact and deterministic.
/// None with fewer than two distinct times.
pub fn theil_sen(points: &[Point]) -> Option<Fit> {
    let sample = thin(points, MAX_FIT_POINTS);
    let t0 = sample.first()?.t;
    let mut slopes = Vec::with_capacity(sample.len() * sample.len() / 2);
    for (i, a) in sample.iter().enumerate() {
        for b in &sample[i + 1..] {
            if b.t != a.t {
                slopes.push((b.v - a.v) / (b.t - a.t) as f64);
            }
        }
    }
    let slope = median(&mut slopes)?;
    let mut offsets: Vec<f64> = sample
        .iter()
        .map(|p| p.v - slope * (p.t - t0) as f64)
        .collect();
    let at_t0 = median(&mut offsets)?;
    let mean = sample.iter().map(|p| p.v).sum::<f64>() / sample.len() as f64;
    let total: f64 = sample.iter().map(|p| (p.v - mean).powi(2)).sum();
    let residual: f64 = sample
        .iter()
        .map(|p| (p.v - (at_t0 + slope * (p.t - t0) as f64)).powi(2))
        .sum();
    let r2 = if total > 0.0 {
        (1.0 - residual / total).max(0.0)
    } else if residual == 0.0 {
        1.0
    } else {
        0.0
    };
    Some(Fit {
        slope,
        at_t0,
        t0,
        r2,
        points: points.len(),
        span: sample.last()?.t - t0,
    })
}

/// The median by selection, not a sort: the fit takes the median of tens of
/// thousands of slopes for every series `maint trend` shows.
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mid = values.len() / 2;
    let odd = values.len() % 2 == 1;
    let (below, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    Some(if odd {
        upper
    } else {
        let lower = below
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap_or(upper);
        f64::midpoint(lower, upper)
    })
}

/// At most `max` points taken evenly by position, the first and last kept.
fn thin(points: &[Point], max: usize) -> Vec<Point> {
    if points.len() <= max || max < 2 {
        return points.to_vec();
    }
    let step = (points.len() - 1) as f64 / (max - 1) as f64;
    (0..max)
        .map(|i| points[((i as f64 * step).round() as usize).min(points.len() - 1)])
        .collect()
}

/// The series as at most `buckets` points, each the mean of an equal slice
/// of the time range (empty slices left out): what a chart draws.
pub fn reduce(points: &[Point], buckets: usize) -> Vec<Point> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    if points.len() <= buckets || buckets == 0 {
        return points.to_vec();
    }
    let width = ((last.t - first.t) as f64 / buckets as f64).max(1.0);
    let mut out: Vec<(i64, f64, f64, usize)> = Vec::with_capacity(buckets);
    for p in points {
        let index = (((p.t - first.t) as f64 / width) as usize).min(buckets - 1);
        match out.last_mut() {
            Some((bucket, t, sum, n)) if *bucket == index as i64 => {
                *t += p.t as f64;
                *sum += p.v;
                *n += 1;
            }
            _ => out.push((index as i64, p.t as f64, p.v, 1)),
        }
    }
    out.into_iter()
        .map(|(_, t, sum, n)| Point::new((t / n as f64) as i64, sum / n as f64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize, step: i64, start: f64, per_step: f64) -> Vec<Point> {
        (0..n)
            .map(|i| Point::new(1_700_000_000 + i as i64 * step, start + per_step * i as f64))
            .collect()
    }

    #[test]
    fn summary_of_a_series() {
        let points: Vec<Point> = (1..=100)
            .map(|i| Point::new(i, f64::from(i as i32)))
            .collect();
        let s = summary(&points).unwrap();
        assert_eq!((s.count, s.last, s.min, s.max), (100, 100.0, 1.0, 100.0));
        assert_eq!(s.mean, 50.5);
        assert_eq!(s.p95, 95.0);
        assert_eq!(summary(&[]), None);
    }

    #[test]
    fn theil_sen_finds_the_slope_of_a_line() {
        let fit = theil_sen(&line(100, 3600, 50.0, 0.1)).unwrap();
        assert!((fit.per_day() - 2.4).abs() < 1e-9, "{fit:?}");
        assert!((fit.r2 - 1.0).abs() < 1e-9);
        assert_eq!(fit.span, 99 * 3600);
    }

    #[test]
    fn one_wild_point_does_not_move_the_slope() {
        let mut points = line(100, 3600, 50.0, 0.1);
        // A rotation frees a fifth of the disk for one sample.
        points[70].v -= 20.0;
        let fit = theil_sen(&points).unwrap();
        assert!((fit.per_day() - 2.4).abs() < 0.01, "{fit:?}");
        assert!(fit.r2 < 1.0);
    }

    #[test]
    fn a_flat_series_fits_perfectly_and_one_time_does_not_fit() {
        let fit = theil_sen(&line(10, 60, 5.0, 0.0)).unwrap();
        assert_eq!((fit.slope, fit.r2), (0.0, 1.0));
        assert_eq!(theil_sen(&[Point::new(1, 1.0), Point::new(1, 2.0)]), None);
        assert_eq!(theil_sen(&[]), None);
    }

    #[test]
    fn long_series_are_thinned_and_reduced() {
        let points = line(100_000, 300, 0.0, 1.0);
        let fit = theil_sen(&points).unwrap();
        assert!((fit.slope - 1.0 / 300.0).abs() < 1e-9);
        assert_eq!(fit.points, 100_000);
        let reduced = reduce(&points, 50);
        assert_eq!(reduced.len(), 50);
        assert!(reduced.windows(2).all(|w| w[0].t < w[1].t));
    }
}
