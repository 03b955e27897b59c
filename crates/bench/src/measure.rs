//! Measurement: warm-up, then samples taken in turn across every implementation of a workload
//! (so that load from other processes on a shared machine falls on all of them alike), median
//! and best per implementation.
//!
//! A sample is timed on one of two clocks ([`Clock`]): the benchmark thread's CPU time
//! (default; equal to wall time on an idle machine, and on a shared one it leaves out the time
//! the thread waited for a core) or wall time.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Which clock times a sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`); wall time where the OS has
    /// no such clock.
    ThreadCpu,
    /// Wall time (`Instant`).
    Wall,
}

impl Clock {
    /// Its name in the JSON config.
    pub fn name(self) -> &'static str {
        match self {
            Clock::ThreadCpu => "thread_cpu",
            Clock::Wall => "wall",
        }
    }
}

/// A point on a [`Clock`].
#[derive(Clone, Copy, Debug)]
pub enum Stamp {
    /// From [`Clock::ThreadCpu`].
    Cpu(Duration),
    /// From [`Clock::Wall`].
    Wall(Instant),
}

impl Clock {
    /// Now, on this clock.
    pub fn now(self) -> Stamp {
        match self {
            Clock::ThreadCpu => match clock::thread_cpu() {
                Some(d) => Stamp::Cpu(d),
                None => Stamp::Wall(Instant::now()),
            },
            Clock::Wall => Stamp::Wall(Instant::now()),
        }
    }
}

impl Stamp {
    /// Time since this stamp, on the same clock.
    pub fn elapsed(self) -> Duration {
        match self {
            Stamp::Cpu(start) => clock::thread_cpu()
                .map(|now| now.saturating_sub(start))
                .unwrap_or_default(),
            Stamp::Wall(start) => start.elapsed(),
        }
    }
}

#[allow(unsafe_code)]
mod clock {
    use std::time::Duration;

    /// CPU time this thread has used.
    #[cfg(any(target_os = "linux", target_os = "macos", target_os = "freebsd"))]
    pub fn thread_cpu() -> Option<Duration> {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec owned by this frame; clock_gettime writes
        // only into it and reports failure through its return value.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }

    /// No thread CPU clock here: callers fall back to wall time.
    #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "freebsd")))]
    pub fn thread_cpu() -> Option<Duration> {
        None
    }
}

/// Something fed the workload bytes: muxlink or a peer.
pub trait Subject {
    /// Name reported as `impl`.
    fn name(&self) -> &'static str;
    /// Brings the subject to a fresh state (untimed): a new parser or terminal.
    fn reset(&mut self);
    /// Feeds all of `bytes` (timed). Returns a value derived from the results so that the work
    /// cannot be optimised away (event count, output bytes, cursor position).
    fn feed(&mut self, bytes: &[u8]) -> u64;
}

/// How long and how often to measure.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Untimed rounds before measuring.
    pub warmup_rounds: usize,
    /// Rounds measured at least.
    pub min_rounds: usize,
    /// Rounds measured at most.
    pub max_rounds: usize,
    /// After `min_rounds`, stop once this much time went into one workload.
    pub time: Duration,
    /// The clock samples are timed on.
    pub clock: Clock,
    /// Start every sample from a fresh subject (default). Off (`--keep-state`), samples go on
    /// from the previous one's state: a diagnostic that takes first-use costs (allocating
    /// history rows, page faults) out of the picture.
    pub reset_each_sample: bool,
}

impl Budget {
    /// The default run: a few seconds per workload.
    pub fn full() -> Self {
        Budget {
            warmup_rounds: 2,
            min_rounds: 7,
            max_rounds: 400,
            time: Duration::from_millis(2500),
            clock: Clock::ThreadCpu,
            reset_each_sample: true,
        }
    }

    /// `--quick`: the same workloads with fewer rounds (every group well under a minute).
    pub fn quick() -> Self {
        Budget {
            warmup_rounds: 1,
            min_rounds: 3,
            max_rounds: 60,
            time: Duration::from_millis(350),
            clock: Clock::ThreadCpu,
            reset_each_sample: true,
        }
    }
}

/// The samples of one implementation on one workload.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// `impl` name.
    pub name: &'static str,
    /// Bytes fed per sample.
    pub bytes: usize,
    /// Sorted sample durations.
    pub samples: Vec<Duration>,
    /// The value the last `feed` returned (same for every sample of a deterministic subject).
    pub check: u64,
}

impl Measurement {
    /// Median sample duration.
    pub fn median(&self) -> Duration {
        let n = self.samples.len();
        if n % 2 == 1 {
            self.samples[n / 2]
        } else {
            (self.samples[n / 2 - 1] + self.samples[n / 2]) / 2
        }
    }

    /// Fastest sample.
    pub fn best(&self) -> Duration {
        self.samples[0]
    }

    /// Throughput at the median, in MB/s (10^6 bytes).
    pub fn mb_per_s(&self) -> f64 {
        mb_per_s(self.bytes, self.median())
    }

    /// Throughput of the fastest sample, in MB/s.
    pub fn best_mb_per_s(&self) -> f64 {
        mb_per_s(self.bytes, self.best())
    }
}

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64().max(1e-12) / 1e6
}

/// Measures every subject on `bytes`, one sample of each per round.
pub fn measure(
    bytes: &[u8],
    subjects: &mut [Box<dyn Subject>],
    budget: Budget,
) -> Vec<Measurement> {
    let mut out: Vec<Measurement> = subjects
        .iter()
        .map(|s| Measurement {
            name: s.name(),
            bytes: bytes.len(),
            samples: Vec::new(),
            check: 0,
        })
        .collect();
    for _ in 0..budget.warmup_rounds {
        for s in subjects.iter_mut() {
            s.reset();
            black_box(s.feed(black_box(bytes)));
        }
    }
    let start = Instant::now();
    let mut round = 0;
    while round < budget.max_rounds && (round < budget.min_rounds || start.elapsed() < budget.time)
    {
        for (s, m) in subjects.iter_mut().zip(out.iter_mut()) {
            if budget.reset_each_sample {
                s.reset();
            }
            let t = budget.clock.now();
            let check = s.feed(black_box(bytes));
            let d = t.elapsed();
            m.check = black_box(check);
            m.samples.push(d);
        }
        round += 1;
    }
    for m in &mut out {
        m.samples.sort_unstable();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sum(u64);
    impl Subject for Sum {
        fn name(&self) -> &'static str {
            "sum"
        }
        fn reset(&mut self) {
            self.0 = 0;
        }
        fn feed(&mut self, bytes: &[u8]) -> u64 {
            for &b in bytes {
                self.0 += u64::from(b);
            }
            self.0
        }
    }

    #[test]
    fn measures_every_subject_at_least_min_rounds() {
        let mut subjects: Vec<Box<dyn Subject>> = vec![Box::new(Sum(0)), Box::new(Sum(0))];
        let budget = Budget {
            warmup_rounds: 1,
            min_rounds: 3,
            max_rounds: 5,
            time: Duration::ZERO,
            clock: Clock::ThreadCpu,
            reset_each_sample: true,
        };
        let m = measure(&[1, 2, 3], &mut subjects, budget);
        assert_eq!(m.len(), 2);
        for m in &m {
            assert_eq!(m.samples.len(), 3);
            assert_eq!(m.check, 6);
            assert!(m.samples.windows(2).all(|w| w[0] <= w[1]));
            assert!(m.mb_per_s() > 0.0 && m.best_mb_per_s() >= m.mb_per_s());
        }
    }
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    #[test]
    fn thread_cpu_clock_advances_with_work_not_with_sleep() {
        let t = Clock::ThreadCpu.now();
        std::thread::sleep(Duration::from_millis(50));
        let slept = t.elapsed();
        let t = Clock::ThreadCpu.now();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        black_box(x);
        let worked = t.elapsed();
        assert!(
            slept < Duration::from_millis(25),
            "sleep counted: {slept:?}"
        );
        assert!(worked > Duration::ZERO);
    }
}
