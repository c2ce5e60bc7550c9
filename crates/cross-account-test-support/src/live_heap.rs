//! A global allocator that counts live heap bytes, for the memory-per-tenant figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};

static LIVE: AtomicI64 = AtomicI64::new(0);

/// The system allocator plus a counter of live bytes. A binary that wants the count installs
/// it: `#[global_allocator] static ALLOCATOR: LiveHeap = LiveHeap;`.
pub struct LiveHeap;

impl LiveHeap {
    /// Bytes allocated and not yet freed, by every thread; 0 unless it is the global allocator.
    pub fn live() -> i64 {
        LIVE.load(Ordering::Relaxed)
    }
}

// SAFETY: every call forwards to the system allocator with the caller's arguments unchanged;
// the counter is only arithmetic on the sizes, and counts a block only once it was given.
unsafe impl GlobalAlloc for LiveHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
}
