//! CPU profiles in pprof's protobuf format, each sample labelled with the work source it was
//! taken in (`source` = `http` or `job`, `name` = the GraphQL operation, route or job), so a
//! pprof viewer can split the samples by who caused them (`-tagfocus source=job`).

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use pprof::protos::{Label, Message, Profile};

use super::work_label::{self, ProfilingLabels};

/// Longest profile one request may ask for (well inside the default request timeout).
pub const MAX_SECONDS: u64 = 30;
/// Sampling frequency when none is asked for (Go's default).
pub const DEFAULT_FREQUENCY: i32 = 100;
/// Highest sampling frequency allowed: above it the signal handler itself becomes the load.
pub const MAX_FREQUENCY: i32 = 1000;

/// Whether a profile is being taken: the profiler is process-wide, so one at a time.
static BUSY: AtomicBool = AtomicBool::new(false);

/// Why no profile was taken.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Another profile is being taken.
    #[error("a CPU profile is already being taken; try again when it ends")]
    Busy,
    /// The profiler could not start or report.
    #[error("the profiler failed: {0}")]
    Profiler(#[from] pprof::Error),
}

struct Running;

impl Running {
    fn claim() -> Result<Self, ProfileError> {
        BUSY.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| Self)
            .map_err(|_| ProfileError::Busy)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        BUSY.store(false, Ordering::Release);
    }
}

/// Samples the whole process for `duration` at `frequency` Hz and returns the encoded
/// profile. Blocks the calling thread for the duration: run it on a blocking thread.
pub fn take(duration: Duration, frequency: i32) -> Result<Vec<u8>, ProfileError> {
    let _running = Running::claim()?;
    let _labels = ProfilingLabels::start();
    let guard = pprof::ProfilerGuardBuilder::default()
        .frequency(frequency)
        // Unwinding through these from a signal handler can deadlock.
        .blocklist(&["libc", "libgcc", "pthread", "vdso"])
        .build()?;
    std::thread::sleep(duration);
    let report = guard.report().build()?;
    drop(guard);
    let mut profile = report.pprof()?;
    label_samples(&mut profile);
    Ok(profile.encode_to_vec())
}

/// Adds `source` and `name` labels to every sample whose thread was doing labelled work.
fn label_samples(profile: &mut Profile) {
    let mut strings = StringTable::new(&mut profile.string_table);
    let thread = strings.find("thread");
    let source_key = strings.intern("source");
    let name_key = strings.intern("name");
    for sample in &mut profile.sample {
        let Some(thread_name) = sample
            .label
            .iter()
            .find(|label| Some(label.key) == thread)
            .and_then(|label| strings.get(label.str))
        else {
            continue;
        };
        let Some((source, name)) = work_label::lookup(thread_name) else {
            continue;
        };
        let source = strings.intern(source.as_str());
        let name = strings.intern(&name);
        sample.label.push(Label {
            key: source_key,
            str: source,
            ..Label::default()
        });
        sample.label.push(Label {
            key: name_key,
            str: name,
            ..Label::default()
        });
    }
}

/// A profile's string table, with lookups by text for the strings added here.
struct StringTable<'a> {
    table: &'a mut Vec<String>,
}

impl<'a> StringTable<'a> {
    fn new(table: &'a mut Vec<String>) -> Self {
        if table.is_empty() {
            // pprof requires the empty string first.
            table.push(String::new());
        }
        Self { table }
    }

    fn find(&self, text: &str) -> Option<i64> {
        let index = self.table.iter().position(|s| s == text)?;
        i64::try_from(index).ok()
    }

    fn get(&self, index: i64) -> Option<&str> {
        let index = usize::try_from(index).ok()?;
        self.table.get(index).map(String::as_str)
    }

    fn intern(&mut self, text: &str) -> i64 {
        if let Some(index) = self.find(text) {
            return index;
        }
        self.table.push(text.to_owned());
        i64::try_from(self.table.len() - 1).unwrap_or(0)
    }
}

/// One sample of a decoded profile: its labels as `(key, value)` text, and its count.
pub type LabelledSample = (Vec<(String, String)>, i64);

/// Reads back an encoded profile's samples with their labels: what a pprof viewer would
/// show, for tests and tools.
pub fn decode_labels(encoded: &[u8]) -> Result<Vec<LabelledSample>, String> {
    let profile = Profile::decode(encoded).map_err(|err| err.to_string())?;
    let text = |index: i64| {
        usize::try_from(index)
            .ok()
            .and_then(|i| profile.string_table.get(i))
            .cloned()
            .unwrap_or_default()
    };
    Ok(profile
        .sample
        .iter()
        .map(|sample| {
            let labels = sample
                .label
                .iter()
                .map(|label| (text(label.key), text(label.str)))
                .collect();
            (labels, sample.value.first().copied().unwrap_or(0))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use pprof::protos::Sample;

    use super::*;
    use crate::telemetry::{WorkSource, work_label::WorkLabel};

    #[test]
    fn samples_of_labelled_threads_get_source_and_name() {
        // The label's id is what a labelled thread's name carries.
        let label = WorkLabel::new(WorkSource::Job, "purge-test");
        let thread_name = std::thread::spawn(move || {
            let _labels = ProfilingLabels::start();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            runtime.block_on(label.wrap(std::future::poll_fn(|_| {
                std::task::Poll::Ready(
                    nix::sys::prctl::get_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                )
            })))
        })
        .join()
        .expect("thread");

        let mut profile = Profile {
            string_table: vec![
                String::new(),
                "thread".into(),
                thread_name,
                "tokio-runtime-w".into(),
            ],
            sample: vec![
                Sample {
                    value: vec![3],
                    label: vec![Label {
                        key: 1,
                        str: 2,
                        ..Label::default()
                    }],
                    ..Sample::default()
                },
                Sample {
                    value: vec![5],
                    label: vec![Label {
                        key: 1,
                        str: 3,
                        ..Label::default()
                    }],
                    ..Sample::default()
                },
            ],
            ..Profile::default()
        };
        label_samples(&mut profile);
        let samples = decode_labels(&profile.encode_to_vec()).expect("decodes");
        let labels_of = |i: usize| {
            samples[i]
                .0
                .iter()
                .filter(|(key, _)| key != "thread")
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            labels_of(0),
            vec![
                ("source".to_owned(), "job".to_owned()),
                ("name".to_owned(), "purge-test".to_owned())
            ]
        );
        assert_eq!(samples[0].1, 3);
        assert!(labels_of(1).is_empty());
    }

    #[test]
    fn one_profile_at_a_time() {
        let first = Running::claim().expect("free");
        assert!(matches!(Running::claim(), Err(ProfileError::Busy)));
        drop(first);
        let _again = Running::claim().expect("free again");
    }
}
