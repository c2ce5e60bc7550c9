//! Zeroize-on-drop, shown rather than assumed: the buffers that hold the secret access key and
//! the session token inside `TemporaryCredentials` (a `secrecy::SecretString` each, plus the
//! SDK `Credentials` built from them, which keeps its copies in `zeroize::Zeroizing`) are
//! overwritten with zeros before their memory goes back to the allocator.
//!
//! How: this test binary's global allocator forwards to the system allocator and, for a few
//! buffers a test registers by address, looks at their bytes when they are freed (before
//! forwarding, while the block is still allocated). Only the `len` bytes the secret was written
//! to are read, so no uninitialised memory is ever read. A control test shows the instrument
//! does see secrets in a plain `String` that is freed without wiping.
//!
//! What this does not show (and SECURITY.md does not claim): other copies of a secret that pass
//! through memory, such as the HTTP response buffer and the SDK's parsed AssumeRole output, are
//! freed without wiping.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use cross_account::secrecy::{ExposeSecret, SecretString};
use cross_account::TemporaryCredentials;
use cross_account_test_support::{
    paused_issuing, session_builder, SENTINEL_SECRET, SENTINEL_TOKEN,
};

const SLOTS: usize = 4;
const NOT_FREED: u8 = 0;
const FREED_WIPED: u8 = 1;
const FREED_WITH_DATA: u8 = 2;
const MOVED_BY_REALLOC: u8 = 3;

static WATCH_ADDR: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static WATCH_LEN: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static SEEN: [AtomicU8; SLOTS] = [const { AtomicU8::new(NOT_FREED) }; SLOTS];

/// Tests share the slots; one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

struct Watching;

impl Watching {
    /// The slot watching `ptr`, if any; the watch ends here (the address may be reused).
    fn take_slot(ptr: *mut u8) -> Option<(usize, usize)> {
        let addr = ptr as usize;
        (0..SLOTS).find_map(|i| {
            WATCH_ADDR[i]
                .compare_exchange(addr, 0, Ordering::AcqRel, Ordering::Acquire)
                .ok()
                .map(|_| (i, WATCH_LEN[i].load(Ordering::Acquire)))
        })
    }
}

// SAFETY: every call forwards to the system allocator with the caller's arguments unchanged.
// For a watched block, `dealloc` first reads `len.min(layout.size())` bytes of it: the block is
// still allocated (it is freed only afterwards) and those bytes were initialised when the test
// wrote the secret into them (and stay initialised whether or not they are later zeroed).
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some((slot, len)) = Watching::take_slot(ptr) {
            let bytes = unsafe { std::slice::from_raw_parts(ptr, len.min(layout.size())) };
            let wiped = bytes.iter().all(|b| *b == 0);
            SEEN[slot].store(
                if wiped { FREED_WIPED } else { FREED_WITH_DATA },
                Ordering::Release,
            );
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if let Some((slot, _)) = Watching::take_slot(ptr) {
            SEEN[slot].store(MOVED_BY_REALLOC, Ordering::Release);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

fn watch(slot: usize, secret: &str) {
    assert!(!secret.is_empty());
    SEEN[slot].store(NOT_FREED, Ordering::Release);
    WATCH_LEN[slot].store(secret.len(), Ordering::Release);
    WATCH_ADDR[slot].store(secret.as_ptr() as usize, Ordering::Release);
}

fn seen(slot: usize) -> &'static str {
    match SEEN[slot].load(Ordering::Acquire) {
        NOT_FREED => "not freed",
        FREED_WIPED => "freed after being zeroed",
        FREED_WITH_DATA => "freed with the secret still in it",
        _ => "moved by realloc (the old copy freed unwiped)",
    }
}

/// A `String` whose capacity equals its length, as `str::to_string` makes, so turning it into a
/// `SecretString` (`into_boxed_str`) keeps the same buffer.
fn exact(text: &str) -> String {
    let s = text.to_string();
    assert_eq!(s.capacity(), s.len());
    s
}

#[test]
fn control_a_plain_string_is_freed_with_the_secret_in_it() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let plain = exact(SENTINEL_SECRET);
    watch(0, &plain);
    drop(plain);
    assert_eq!(seen(0), "freed with the secret still in it");
}

#[test]
fn a_secret_string_is_zeroed_before_it_is_freed() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let raw = exact(SENTINEL_SECRET);
    let at = raw.as_ptr();
    let secret = SecretString::from(raw);
    assert_eq!(secret.expose_secret().as_ptr(), at, "same buffer");
    watch(0, secret.expose_secret());
    drop(secret);
    assert_eq!(seen(0), "freed after being zeroed");
}

#[test]
fn temporary_credentials_zero_their_secrets_and_the_sdk_copies() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let creds = TemporaryCredentials::new(
        "ASIAZEROIZE",
        exact(SENTINEL_SECRET),
        exact(SENTINEL_TOKEN),
        SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000),
        "arn:aws:sts::123456789012:assumed-role/DemoRole/s",
    );
    let sdk: aws_credential_types::Credentials = (&creds).into();
    watch(0, creds.secret_access_key().expose_secret());
    watch(1, creds.session_token().expose_secret());
    watch(2, sdk.secret_access_key());
    watch(3, sdk.session_token().unwrap());
    let clone = creds.clone();
    drop(creds);
    drop(sdk);
    for slot in 0..SLOTS {
        assert_eq!(
            seen(slot),
            "not freed",
            "slot {slot}: a clone still holds it"
        );
    }
    drop(clone);
    for slot in 0..SLOTS {
        assert_eq!(seen(slot), "freed after being zeroed", "slot {slot}");
    }
}

#[test]
fn credentials_from_sts_are_zeroed_when_the_session_and_readers_let_go() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let (time, double) = paused_issuing(3600);
        let session = session_builder(&double, &time).build().unwrap();
        let creds = session.credentials().await.unwrap();
        assert!(creds
            .secret_access_key()
            .expose_secret()
            .starts_with(SENTINEL_SECRET));
        let sdk: aws_credential_types::Credentials = (&creds).into();
        watch(0, creds.secret_access_key().expose_secret());
        watch(1, creds.session_token().expose_secret());
        watch(2, sdk.secret_access_key());
        watch(3, sdk.session_token().unwrap());
        drop((creds, sdk));
        assert_eq!(seen(0), "not freed", "the session still holds them");
        drop(session);
        // The background task holds only a weak reference and ends on the drop.
        tokio::time::sleep(Duration::from_millis(10)).await;
    });
    for slot in 0..SLOTS {
        assert_eq!(seen(slot), "freed after being zeroed", "slot {slot}");
    }
}
