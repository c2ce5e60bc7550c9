//! Everything `tracing` emits at TRACE on this thread, kept as text.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing::subscriber::DefaultGuard;

/// A TRACE subscriber for the current thread that writes into a buffer, until dropped.
///
/// `tracing`'s per-callsite interest cache is shared by the whole process, so a scoped
/// subscriber is only reliable in a test binary where no other test runs beside it.
pub struct TraceCapture {
    buffer: Buffer,
    _guard: DefaultGuard,
}

impl TraceCapture {
    pub fn start() -> TraceCapture {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(buffer.clone())
            .with_ansi(false)
            .finish();
        TraceCapture {
            _guard: tracing::subscriber::set_default(subscriber),
            buffer,
        }
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.0.lock().unwrap()).into_owned()
    }
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
