//! The core's `tracing` events as Python `logging` records, under the `cross_account` logger.
//!
//! A `tracing-subscriber` layer, installed as the process's subscriber when the module loads,
//! takes only the core's events (targets `cross_account::*`; the SDK's, hyper's and
//! aws-sigv4's events, which can show signing material at TRACE, are never enabled). Each
//! event becomes a record for the logger named after its target (`cross_account::refresh`
//! -> `cross_account.refresh`) at the matching level (TRACE is 5), with the fields of the
//! event and of its spans (role ARN, session name, attempt) in the message and, as a dict, in
//! the record's `cross_account_fields` attribute. The core never puts a secret in an event.
//!
//! Records are handed to one logging thread through a queue rather than emitted where the
//! event fires: events fire on runtime threads that may hold a session's locks, and waiting
//! there for the GIL (held by a Python thread that may want the same lock) could deadlock.
//! The thread is started on first use, again in a forked child, and attaches to Python only
//! through `runtime::gated`, so never during interpreter exit.

use std::fmt::Write as _;
use std::sync::mpsc::{channel, sync_channel, Sender, SyncSender};
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record as SpanRecord};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use crate::runtime;

const CORE_TARGET: &str = "cross_account";

/// One log record on its way to Python.
struct Record {
    logger: String,
    level: u8,
    message: String,
    fields: Vec<(&'static str, String)>,
}

enum Message {
    Record(Record),
    Flush(SyncSender<()>),
}

struct Queue {
    pid: u32,
    tx: Sender<Message>,
}

/// The queue of this process. Swapped atomically rather than guarded by a lock: events fire on
/// any thread, and a lock held by one of them at `fork()` would stay held in the child forever.
static QUEUE: ArcSwapOption<Queue> = ArcSwapOption::const_empty();

fn send(message: Message) {
    let pid = std::process::id();
    let current = QUEUE.load_full();
    if let Some(q) = current.as_ref().filter(|q| q.pid == pid) {
        // An error means the thread could not be started: nothing to log to.
        let _ = q.tx.send(message);
        return;
    }
    let Some(fresh) = start(pid) else {
        return;
    };
    let _ = fresh.tx.send(message);
    let previous = QUEUE.compare_and_swap(&current, Some(fresh));
    let won = match (&*previous, &current) {
        (Some(p), Some(c)) => Arc::ptr_eq(p, c),
        (None, None) => true,
        _ => false,
    };
    if won {
        // The parent's queue, in a forked child: its thread does not exist here.
        if let Some(stale) = current {
            std::mem::forget(stale);
        }
    }
    // Otherwise another thread started this process's queue first; ours ends with its
    // sender, after delivering the one message sent above.
}

fn start(pid: u32) -> Option<Arc<Queue>> {
    let (tx, rx) = channel::<Message>();
    std::thread::Builder::new()
        .name("cross-account-log".into())
        .spawn(move || {
            while let Ok(message) = rx.recv() {
                match message {
                    Message::Record(record) => {
                        runtime::gated(|| Python::attach(|py| emit(py, record)));
                    }
                    Message::Flush(done) => {
                        let _ = done.send(());
                    }
                }
            }
        })
        .ok()?;
    Some(Arc::new(Queue { pid, tx }))
}

static LOGGING: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn emit(py: Python<'_>, record: Record) {
    let result = (|| -> PyResult<()> {
        let logging =
            LOGGING.get_or_try_init(py, || Ok::<_, PyErr>(py.import("logging")?.unbind()))?;
        let logger = logging
            .bind(py)
            .call_method1("getLogger", (record.logger.as_str(),))?;
        if !logger
            .call_method1("isEnabledFor", (record.level,))?
            .is_truthy()?
        {
            return Ok(());
        }
        let fields = PyDict::new(py);
        for (k, v) in &record.fields {
            fields.set_item(*k, v)?;
        }
        let extra = PyDict::new(py);
        extra.set_item("cross_account_fields", fields)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("extra", extra)?;
        // `%s` with the text as an argument: a `%` in a field is not a format directive.
        logger.call_method("log", (record.level, "%s", record.message), Some(&kwargs))?;
        Ok(())
    })();
    if let Err(e) = result {
        // A failing handler must not end the logging thread; Python shows it like logging does.
        e.print(py);
    }
}

/// At interpreter exit: delivers what is queued, if this process ever logged anything.
/// Registered with `atexit` to run before the runtime's exit hook (handlers run last
/// registered first): the last records (a refresh just before exit) still reach Python's
/// handlers.
#[pyfunction]
pub(crate) fn _flush_at_exit(py: Python<'_>) {
    py.detach(flush_at_exit);
}

fn flush_at_exit() {
    let started = QUEUE
        .load()
        .as_ref()
        .is_some_and(|q| q.pid == std::process::id());
    if started {
        flush(Duration::from_millis(500));
    }
}

/// Waits until every record queued so far has been handed to Python (for tests and exit).
pub(crate) fn flush(timeout: Duration) -> bool {
    let (done_tx, done_rx) = sync_channel(1);
    send(Message::Flush(done_tx));
    done_rx.recv_timeout(timeout).is_ok()
}

/// Hands the records queued so far to Python `logging`, waiting at most `timeout` seconds.
/// Returns whether they all were. Records are delivered by a background thread; tests call
/// this before looking at what was logged.
#[pyfunction]
#[pyo3(signature = (timeout = 5.0))]
pub(crate) fn _flush_logs(py: Python<'_>, timeout: f64) -> bool {
    let timeout = Duration::try_from_secs_f64(timeout).unwrap_or(Duration::from_secs(5));
    py.detach(|| flush(timeout))
}

/// Installs the bridge as the process's `tracing` subscriber (once; a no-op if one is set).
pub(crate) fn install() {
    let subscriber = tracing_subscriber::registry().with(PythonLogging);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

struct PythonLogging;

fn is_core(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    target == CORE_TARGET
        || target
            .strip_prefix(CORE_TARGET)
            .is_some_and(|rest| rest.starts_with("::") || rest.starts_with('.'))
}

fn python_level(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        _ => 5,
    }
}

/// The fields of a span, kept in its extensions for the events inside it.
struct SpanFields(Vec<(&'static str, String)>);

#[derive(Default)]
struct Fields {
    message: Option<String>,
    fields: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_string());
        } else {
            self.fields.push((field.name(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.fields.push((field.name(), text));
        }
    }
}

impl<S> Layer<S> for PythonLogging
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if is_core(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        is_core(metadata)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.fields));
        }
    }

    fn on_record(&self, id: &Id, values: &SpanRecord<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            if let Some(kept) = span.extensions_mut().get_mut::<SpanFields>() {
                kept.0.extend(fields.fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let mut own = Fields::default();
        event.record(&mut own);
        let mut fields = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(kept) = span.extensions().get::<SpanFields>() {
                    fields.extend(kept.0.iter().cloned());
                }
            }
        }
        fields.extend(own.fields);
        let mut message = own.message.unwrap_or_default();
        if !fields.is_empty() {
            message.push_str(" (");
            for (i, (k, v)) in fields.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                let _ = write!(message, "{sep}{k}={v}");
            }
            message.push(')');
        }
        send(Message::Record(Record {
            logger: metadata.target().replace("::", "."),
            level: python_level(metadata.level()),
            message,
            fields,
        }));
    }
}
