//! Which unit of work each thread is doing, so CPU profiles can be split by work source.
//!
//! A sampling profiler sees threads, while our work is async tasks that move between the
//! runtime's worker threads at every await. So each unit of work's future is wrapped in
//! [`Labelled`], which marks the thread that polls it. While a profile is being taken the
//! mark is also written into the kernel's thread name (`dpw-<id>`), which the profiler
//! records with every sample; [`lookup`] turns the id back into the label. Outside a profile
//! the wrapper costs a thread-local swap per poll and no system call.

use std::{
    cell::Cell,
    collections::HashMap,
    ffi::CStr,
    future::Future,
    io::Write,
    pin::Pin,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU32, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
};

use super::WorkSource;

/// Distinct labels kept; more (which the metric's own caps make unlikely) share one.
const MAX_LABELS: usize = 1024;
/// The thread-name prefix of a labelled thread; the kernel allows 15 bytes in all.
pub const THREAD_PREFIX: &str = "dpw-";

/// Profiles being taken now; labels reach thread names only while it is above zero.
static PROFILING: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// The label of the work this thread is polling (0: none).
    static CURRENT: Cell<u32> = const { Cell::new(0) };
    /// The label this thread's kernel name says (0: its own name).
    static NAMED: Cell<u32> = const { Cell::new(0) };
}

#[derive(Default)]
struct Registry {
    /// Ids by name, one map per source (looked up by `&str`, so a known label allocates
    /// nothing: this runs on every request).
    ids: [HashMap<String, u32>; 2],
    labels: Vec<(WorkSource, String)>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

fn source_index(source: WorkSource) -> usize {
    match source {
        WorkSource::Http => 0,
        WorkSource::Job => 1,
    }
}

/// The id of `(source, name)`, assigned on first use (ids start at 1).
fn intern(source: WorkSource, name: &str) -> u32 {
    let mut registry = registry().lock().unwrap_or_else(|p| p.into_inner());
    let index = source_index(source);
    if let Some(id) = registry.ids[index].get(name) {
        return *id;
    }
    let name = if registry.labels.len() >= MAX_LABELS {
        "other"
    } else {
        name
    };
    if let Some(id) = registry.ids[index].get(name) {
        return *id;
    }
    registry.labels.push((source, name.to_owned()));
    let id = u32::try_from(registry.labels.len()).unwrap_or(u32::MAX);
    registry.ids[index].insert(name.to_owned(), id);
    id
}

/// The label a `dpw-<id>` thread name stands for.
pub fn lookup(thread_name: &str) -> Option<(WorkSource, String)> {
    let id: usize = thread_name.strip_prefix(THREAD_PREFIX)?.parse().ok()?;
    let registry = registry().lock().unwrap_or_else(|p| p.into_inner());
    registry.labels.get(id.checked_sub(1)?).cloned()
}

/// A unit of work's label. It can be renamed while the work runs (a request learns its
/// GraphQL operation only after reading its body); clones share the name.
#[derive(Debug, Clone)]
pub struct WorkLabel(Arc<AtomicU32>);

impl WorkLabel {
    /// A label for work from `source` named `name`.
    pub fn new(source: WorkSource, name: &str) -> Self {
        Self(Arc::new(AtomicU32::new(intern(source, name))))
    }

    /// Renames the work from here on.
    pub fn rename(&self, source: WorkSource, name: &str) {
        self.0.store(intern(source, name), Ordering::Relaxed);
    }

    /// Runs `future` under this label.
    pub fn wrap<F: Future>(&self, future: F) -> Labelled<F> {
        Labelled {
            inner: future,
            label: Some(self.0.clone()),
            fixed: 0,
        }
    }
}

/// Runs `future` under the label of the work that calls this, so that work spawned onto
/// another task (a DataLoader batch) is still attributed to whoever asked for it.
pub fn inherit<F: Future>(future: F) -> Labelled<F> {
    Labelled {
        inner: future,
        label: None,
        fixed: CURRENT.with(Cell::get),
    }
}

/// Runs the blocking `work` under the label of the caller's work (the same as [`inherit`],
/// for `spawn_blocking`): returns a closure to move onto the blocking thread.
pub fn inherit_blocking<T>(work: impl FnOnce() -> T) -> impl FnOnce() -> T {
    let id = CURRENT.with(Cell::get);
    move || {
        let previous = enter(id);
        let result = work();
        leave(previous);
        result
    }
}

pin_project_lite::pin_project! {
    /// A future that marks the thread polling it with its work's label.
    pub struct Labelled<F> {
        #[pin]
        inner: F,
        label: Option<Arc<AtomicU32>>,
        fixed: u32,
    }
}

impl<F: Future> Future for Labelled<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let id = this
            .label
            .as_ref()
            .map_or(*this.fixed, |label| label.load(Ordering::Relaxed));
        let previous = enter(id);
        let result = this.inner.poll(cx);
        leave(previous);
        result
    }
}

fn enter(id: u32) -> u32 {
    let previous = CURRENT.with(|current| current.replace(id));
    if PROFILING.load(Ordering::Relaxed) > 0 {
        name_thread(id);
    }
    previous
}

fn leave(previous: u32) {
    CURRENT.with(|current| current.set(previous));
    // Also after a profile ended mid-poll, so no thread keeps a stale name.
    if NAMED.with(Cell::get) != previous {
        name_thread(previous);
    }
}

/// Writes label `id` (or, for 0, the thread's own name) into the kernel's thread name.
fn name_thread(id: u32) {
    if NAMED.with(Cell::get) == id {
        return;
    }
    let mut buffer = [0u8; 16];
    let written = if id == 0 {
        let own = std::thread::current();
        let own = own.name().unwrap_or("devplane");
        let end = own.len().min(15);
        let end = (0..=end)
            .rev()
            .find(|&i| own.is_char_boundary(i))
            .unwrap_or(0);
        buffer[..end].copy_from_slice(&own.as_bytes()[..end]);
        true
    } else {
        write!(&mut buffer[..15], "{THREAD_PREFIX}{id}").is_ok()
    };
    if !written {
        return;
    }
    if let Ok(name) = CStr::from_bytes_until_nul(&buffer) {
        // A failure only costs this sample its label.
        if nix::sys::prctl::set_name(name).is_ok() {
            NAMED.with(|named| named.set(id));
        }
    }
}

/// While this guard lives, labels are written into thread names for the profiler to see.
pub struct ProfilingLabels(());

impl ProfilingLabels {
    /// Starts writing labels into thread names.
    pub fn start() -> Self {
        PROFILING.fetch_add(1, Ordering::Relaxed);
        Self(())
    }
}

impl Drop for ProfilingLabels {
    fn drop(&mut self) {
        PROFILING.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel_thread_name() -> String {
        nix::sys::prctl::get_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    #[test]
    fn labels_round_trip_through_thread_names() {
        let label = WorkLabel::new(WorkSource::Job, "purge");
        let id = label.0.load(Ordering::Relaxed);
        assert_eq!(
            lookup(&format!("{THREAD_PREFIX}{id}")),
            Some((WorkSource::Job, "purge".to_owned()))
        );
        assert_eq!(
            WorkLabel::new(WorkSource::Job, "purge")
                .0
                .load(Ordering::Relaxed),
            id
        );
        assert_eq!(lookup("tokio-runtime-w"), None);
        assert_eq!(lookup("dpw-999999"), None);
    }

    #[test]
    fn polling_names_the_thread_only_while_profiling() {
        std::thread::Builder::new()
            .name("label-test".into())
            .spawn(|| {
                let label = WorkLabel::new(WorkSource::Http, "ListThings");
                let seen = || std::future::poll_fn(|_| Poll::Ready(kernel_thread_name()));
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("runtime");
                // Not profiling: the name stays.
                assert_eq!(runtime.block_on(label.wrap(seen())), "label-test");
                let profiling = ProfilingLabels::start();
                let inside = runtime.block_on(label.wrap(seen()));
                assert_eq!(
                    lookup(&inside),
                    Some((WorkSource::Http, "ListThings".to_owned()))
                );
                // Renamed mid-work, and inherited by work it spawns.
                label.rename(WorkSource::Http, "Renamed");
                let inherited = runtime.block_on(label.wrap(async { inherit(seen()).await }));
                assert_eq!(
                    lookup(&inherited),
                    Some((WorkSource::Http, "Renamed".to_owned()))
                );
                let blocking =
                    runtime.block_on(label.wrap(async { inherit_blocking(kernel_thread_name)() }));
                assert_eq!(
                    lookup(&blocking),
                    Some((WorkSource::Http, "Renamed".to_owned()))
                );
                // Back to its own name after each poll.
                assert_eq!(kernel_thread_name(), "label-test");
                drop(profiling);
            })
            .expect("thread")
            .join()
            .expect("test thread");
    }
}
