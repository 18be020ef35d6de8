//! Rows of the benchmark report (`scripts/bench` → `docs/benchmarks.md`).
//!
//! Every bench binary prints its own detailed figures for people; in
//! addition it states each headline figure as a [`Row`]: what was measured,
//! our figure, the comparison measured in the same run, the goal and whether
//! it was met. [`Row::emit`] prints the row and, when `ECABINET_BENCH_ROWS`
//! names a file, appends it there as one JSON line, which the report script
//! turns into the table. A bench never hard-codes a verdict: it passes the
//! measured value and the goal, and the row decides.

use std::io::Write;

use serde::Serialize;

/// Where the rows go, if anywhere besides stdout.
pub const ROWS_ENV: &str = "ECABINET_BENCH_ROWS";

/// Median, minimum and maximum of a set of repetitions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Spread {
    /// `None` for an empty set or one holding a NaN.
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        let median = if v.len() % 2 == 0 {
            (v[mid - 1] + v[mid]) / 2.0
        } else {
            v[mid]
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[v.len() - 1],
            n: v.len(),
        })
    }
}

/// Which way a goal points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// The figure must be at least the bound (throughput, ratios vs a tool).
    AtLeast,
    /// The figure must be at most the bound (latency, memory, time).
    AtMost,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Report section: "PDF", "Sync", "Store", "Votes", "App".
    pub area: String,
    /// What was measured, in words.
    pub name: String,
    /// The figure the goal is about (median of the repetitions).
    pub value: f64,
    /// Its unit, e.g. "ms", "× mutool", "MB/s".
    pub unit: String,
    /// Spread of the repetitions behind `value`, if repeated.
    pub spread: Option<Spread>,
    /// What it was compared with in the same run, in words with figures
    /// (e.g. "ours 41 pages/s · mutool 36 pages/s · pdftoppm 20 pages/s").
    pub detail: String,
    pub goal: Goal,
    pub bound: f64,
    /// Whether `value` meets the goal.
    pub met: bool,
}

impl Row {
    /// A row for `value` against `goal bound`; `met` is computed here.
    pub fn new(area: &str, name: &str, value: f64, unit: &str, goal: Goal, bound: f64) -> Row {
        let met = match goal {
            Goal::AtLeast => value >= bound,
            Goal::AtMost => value <= bound,
        } && value.is_finite();
        Row {
            area: area.to_owned(),
            name: name.to_owned(),
            value,
            unit: unit.to_owned(),
            spread: None,
            detail: String::new(),
            goal,
            bound,
            met,
        }
    }

    /// A row whose value is the median of `values`, with their spread.
    pub fn repeated(
        area: &str,
        name: &str,
        values: &[f64],
        unit: &str,
        goal: Goal,
        bound: f64,
    ) -> Row {
        let spread = Spread::of(values);
        let mut row = Row::new(
            area,
            name,
            spread.map_or(f64::NAN, |s| s.median),
            unit,
            goal,
            bound,
        );
        row.spread = spread;
        row
    }

    /// Adds the side-by-side comparison text.
    pub fn detail(mut self, detail: impl Into<String>) -> Row {
        self.detail = detail.into();
        self
    }

    /// The goal in words, e.g. "≤ 50 ms".
    pub fn goal_text(&self) -> String {
        let sign = match self.goal {
            Goal::AtLeast => "≥",
            Goal::AtMost => "≤",
        };
        format!("{sign} {} {}", trim(self.bound), self.unit)
    }

    /// Prints the row and appends it to `$ECABINET_BENCH_ROWS` if set.
    pub fn emit(&self) {
        println!(
            "ROW {} | {}: {} {} (goal {}) {}{}",
            self.area,
            self.name,
            trim(self.value),
            self.unit,
            self.goal_text(),
            if self.met { "met" } else { "MISSED" },
            if self.detail.is_empty() {
                String::new()
            } else {
                format!(" — {}", self.detail)
            }
        );
        let Some(path) = std::env::var_os(ROWS_ENV) else {
            return;
        };
        let written = serde_json::to_string(self)
            .map_err(std::io::Error::other)
            .and_then(|line| {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)?;
                writeln!(f, "{line}")
            });
        if let Err(e) = written {
            eprintln!("cannot append the row to {}: {e}", path.to_string_lossy());
        }
    }
}

/// Writes dirty pages to disk with `sync`: the whole machine's, or with
/// `within` only the file system holding that path (`sync -f`). Benches call
/// it between runs, so no run starts with the one before still being written
/// out, and to time a run until its bytes are on disk.
pub fn flush_disk(within: Option<&std::path::Path>) -> std::io::Result<()> {
    let mut cmd = std::process::Command::new("sync");
    if let Some(path) = within {
        cmd.arg("-f").arg(path);
    }
    let status = cmd.status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("sync failed: {status}")))
    }
}

/// A figure with as many decimals as it needs (3 significant digits, at
/// most 2 decimals).
pub fn trim(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let a = v.abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_follows_the_goal_direction() {
        assert!(Row::new("Votes", "p99", 49.0, "ms", Goal::AtMost, 50.0).met);
        assert!(!Row::new("Votes", "p99", 51.0, "ms", Goal::AtMost, 50.0).met);
        assert!(Row::new("PDF", "vs mutool", 1.0, "×", Goal::AtLeast, 1.0).met);
        assert!(!Row::new("PDF", "vs mutool", 0.97, "×", Goal::AtLeast, 1.0).met);
    }

    #[test]
    fn a_missing_figure_never_meets_its_goal() {
        let row = Row::repeated("Sync", "ratio", &[], "×", Goal::AtLeast, 0.8);
        assert!(!row.met);
        assert_eq!(row.spread, None);
        assert!(!Row::new("App", "RSS", f64::NAN, "MB", Goal::AtMost, 650.0).met);
    }

    #[test]
    fn spread_takes_the_median_of_even_and_odd_sets() {
        let odd = Spread::of(&[3.0, 1.0, 2.0]).expect("values");
        assert_eq!((odd.median, odd.min, odd.max, odd.n), (2.0, 1.0, 3.0, 3));
        let even = Spread::of(&[4.0, 1.0, 3.0, 2.0]).expect("values");
        assert_eq!(even.median, 2.5);
    }

    #[test]
    fn figures_are_printed_with_sensible_precision() {
        assert_eq!(trim(1234.5), "1234");
        assert_eq!(trim(41.26), "41.3");
        assert_eq!(trim(0.5712), "0.57");
        assert_eq!(
            Row::new("A", "b", 1.0, "ms", Goal::AtMost, 150.0).goal_text(),
            "≤ 150 ms"
        );
    }
}
