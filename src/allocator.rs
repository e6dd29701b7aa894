//! The native programs' memory allocator: mimalloc, told to keep what it frees.
//!
//! Every tensor op allocates its output, often megabytes. glibc returns large buffers to the
//! kernel after each op and faults them back in on the next (an evaluation spent 60% of its CPU
//! time in the kernel); mimalloc keeps them (~1.6x on training). But mimalloc still hands freed
//! memory back after a delay ("purging"), and a profile of `bench --ops` showed ~20% of the time
//! in the kernel zeroing re-faulted pages (`clear_page_erms`); with purging off, `bench` trained
//! ~1.3x faster than with `MIMALLOC_PURGE_DELAY=10` (BENCHMARKS.md). A process keeps its peak
//! memory until it exits, which for these training and evaluation programs is what one wants.
//!
//! Set here rather than in main.rs so every native program that links the crate, the
//! integration tests included, gets it.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, Ordering};

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_e`, the same in v2 and v3).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

struct KeepFreed;

static CONFIGURED: AtomicBool = AtomicBool::new(false);

fn configure() {
    if !CONFIGURED.load(Ordering::Relaxed) {
        // SAFETY: sets one integer option; a second thread racing here sets the same value.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
        CONFIGURED.store(true, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to mimalloc's allocator with the same arguments.
unsafe impl GlobalAlloc for KeepFreed {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        configure();
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        configure();
        unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: KeepFreed = KeepFreed;
