//! The allocator hook: a host (a Zig host with its own `std.mem.Allocator`, a C host that
//! counts allocations) makes every allocation muxlink does go through its functions.
//!
//! Rust has one allocator per program, so the hook is global: it is set once, before muxlink
//! allocates anything, and stays for the life of the process. (A per-client allocator would
//! need a header on every allocation to find its way back, and would charge allocations that
//! outlive a client, such as a thread's, to an allocator the host may already have torn
//! down.) Until it is set, or when it never is, muxlink uses the system allocator; whichever
//! serves the first allocation serves all of them, so no block is ever freed by the other.
// Without the feature the hook is never the program's allocator; its tests still run.
#![cfg_attr(not(feature = "allocator-hook"), allow(dead_code))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::boundary::{guard, required};
use crate::result::muxlink_result;
use crate::MUXLINK_ABI_VERSION;

/// The host's `alloc` (see [`muxlink_allocator::alloc`]).
type AllocFn = unsafe extern "C" fn(ctx: *mut c_void, size: usize, align: usize) -> *mut c_void;
/// The host's `realloc` (see [`muxlink_allocator::realloc`]).
type ReallocFn = unsafe extern "C" fn(
    ctx: *mut c_void,
    ptr: *mut c_void,
    old_size: usize,
    align: usize,
    new_size: usize,
) -> *mut c_void;
/// The host's `free` (see [`muxlink_allocator::free`]).
type FreeFn = unsafe extern "C" fn(ctx: *mut c_void, ptr: *mut c_void, size: usize, align: usize);

/// The host's allocator, for `muxlink_set_allocator`. Fill it with `muxlink_allocator_init`,
/// then set `ctx` and the functions. The functions are called from any thread muxlink runs
/// on (the host's, and muxlink's own helper threads), possibly at once: they must be
/// thread-safe, must not unwind, and must not call into muxlink.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct muxlink_allocator {
    /// `sizeof(muxlink_allocator)`, set by `muxlink_allocator_init`.
    pub size: usize,
    /// `MUXLINK_ABI_VERSION`, set by `muxlink_allocator_init`.
    pub abi_version: u32,
    /// Passed to every function; muxlink never reads it. Must stay valid for the life of the
    /// process (or until the library is unloaded).
    pub ctx: *mut c_void,
    /// Required. Returns `size` bytes aligned to `align` (a power of two, possibly above 16),
    /// or NULL. `size` is never 0. NULL ends the process: muxlink, like Rust's standard
    /// collections, does not survive running out of memory.
    pub alloc:
        Option<unsafe extern "C" fn(ctx: *mut c_void, size: usize, align: usize) -> *mut c_void>,
    /// Optional. Grows or shrinks the block `ptr` (`old_size` bytes, aligned to `align`) to
    /// `new_size` bytes with the same alignment, moving it if needed, and returns its address;
    /// or returns NULL to decline, leaving the block as it was (muxlink then allocates,
    /// copies and frees). `new_size` is never 0. C's `realloc` fits only while `align` is at
    /// most what `malloc` guarantees. NULL here: muxlink always allocates, copies and frees.
    pub realloc: Option<
        unsafe extern "C" fn(
            ctx: *mut c_void,
            ptr: *mut c_void,
            old_size: usize,
            align: usize,
            new_size: usize,
        ) -> *mut c_void,
    >,
    /// Required. Frees a block `alloc` or `realloc` returned, given the size and alignment
    /// it was asked for.
    pub free:
        Option<unsafe extern "C" fn(ctx: *mut c_void, ptr: *mut c_void, size: usize, align: usize)>,
}

/// The functions of an installed allocator.
#[derive(Clone, Copy)]
struct Table {
    ctx: *mut c_void,
    alloc: AllocFn,
    realloc: Option<ReallocFn>,
    free: FreeFn,
}

/// Nobody has allocated yet and no allocator is set.
const UNTOUCHED: u8 = 0;
/// The first allocation went to the system allocator; it stays.
const SYSTEM: u8 = 1;
/// `muxlink_set_allocator` is writing the table.
const INSTALLING: u8 = 2;
/// The host's allocator serves every allocation.
const HOST: u8 = 3;

/// Which allocator serves muxlink, decided once.
struct Hook {
    state: AtomicU8,
    table: UnsafeCell<MaybeUninit<Table>>,
}

// SAFETY: `table` is written once, by the thread that moved `state` from UNTOUCHED to
// INSTALLING, before it publishes HOST with Release ordering; it is read only after an Acquire
// load saw HOST. The host promises its functions and `ctx` may be used from any thread.
unsafe impl Sync for Hook {}

impl Hook {
    const fn new() -> Hook {
        Hook {
            state: AtomicU8::new(UNTOUCHED),
            table: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Installs the host's table, if nothing has been allocated and nothing installed yet.
    fn install(&self, table: Table) -> Result<(), muxlink_result> {
        self.state
            .compare_exchange(UNTOUCHED, INSTALLING, Ordering::Acquire, Ordering::Relaxed)
            .map_err(|_| muxlink_result::MUXLINK_ERR_ALLOCATOR_IN_USE)?;
        // SAFETY: only the thread that won the exchange above writes, and nobody reads
        // before HOST is published below.
        unsafe { (*self.table.get()).write(table) };
        self.state.store(HOST, Ordering::Release);
        Ok(())
    }

    /// The host's table, or None for the system allocator. The first call without a host
    /// table settles on the system allocator for good.
    #[inline]
    fn table(&self) -> Option<&Table> {
        let mut state = self.state.load(Ordering::Acquire);
        if state == UNTOUCHED {
            state = match self.state.compare_exchange(
                UNTOUCHED,
                SYSTEM,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => SYSTEM,
                Err(now) => now,
            };
        }
        while state == INSTALLING {
            // Another thread is between its exchange and its store: a few instructions.
            std::hint::spin_loop();
            state = self.state.load(Ordering::Acquire);
        }
        if state == HOST {
            // SAFETY: HOST was published (Release) after the table was written, and this
            // load was Acquire; the table never changes again.
            Some(unsafe { (*self.table.get()).assume_init_ref() })
        } else {
            None
        }
    }

    /// # Safety
    /// As `GlobalAlloc::alloc`.
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.table() {
            // SAFETY: the host's function, called as its contract says (size > 0).
            Some(t) => aligned(
                unsafe { (t.alloc)(t.ctx, layout.size(), layout.align()) },
                layout,
            ),
            // SAFETY: forwarded from our caller.
            None => unsafe { System.alloc(layout) },
        }
    }

    /// # Safety
    /// As `GlobalAlloc::dealloc`.
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match self.table() {
            // SAFETY: a block this table's `alloc`/`realloc` returned (the hook never changes
            // after the first allocation), with its size and alignment.
            Some(t) => unsafe { (t.free)(t.ctx, ptr.cast(), layout.size(), layout.align()) },
            // SAFETY: forwarded from our caller.
            None => unsafe { System.dealloc(ptr, layout) },
        }
    }

    /// # Safety
    /// As `GlobalAlloc::realloc`.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(t) = self.table() else {
            // SAFETY: forwarded from our caller.
            return unsafe { System.realloc(ptr, layout, new_size) };
        };
        if let Some(realloc) = t.realloc {
            // SAFETY: the host's function, called as its contract says.
            let p = unsafe { realloc(t.ctx, ptr.cast(), layout.size(), layout.align(), new_size) };
            if !p.is_null() {
                if (p as usize) & (layout.align() - 1) != 0 {
                    // The host moved the block to a misaligned address: it can neither be
                    // used nor handed back as the old block. A host bug; stop here.
                    std::process::abort();
                }
                return p.cast();
            }
        }
        // SAFETY: `new_size` is non-zero and, rounded to `align`, fits isize (GlobalAlloc's
        // contract for realloc).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as for `alloc`.
        let p = unsafe { self.alloc(new_layout) };
        if !p.is_null() {
            // SAFETY: both blocks are live, distinct and at least this long.
            unsafe { std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size)) };
            // SAFETY: the old block, with its layout; not used again.
            unsafe { self.dealloc(ptr, layout) };
        }
        p
    }
}

/// A host block as Rust may use it: NULL stays NULL, a misaligned one becomes NULL.
fn aligned(p: *mut c_void, layout: Layout) -> *mut u8 {
    let p = p.cast::<u8>();
    // `align` is a power of two (Layout guarantees it).
    if (p as usize) & (layout.align() - 1) == 0 {
        p
    } else {
        std::ptr::null_mut()
    }
}

static HOOK: Hook = Hook::new();

/// The program's allocator when this crate is linked with `allocator-hook` (the default):
/// the host's table once set, the system allocator otherwise. Costs one atomic load per
/// allocation.
#[cfg(feature = "allocator-hook")]
struct MuxlinkAlloc;

#[cfg(feature = "allocator-hook")]
// SAFETY: every method forwards to one allocator chosen before the first allocation and never
// changed, so each block is freed by the allocator that made it, with its layout.
unsafe impl GlobalAlloc for MuxlinkAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { HOOK.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { HOOK.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { HOOK.realloc(ptr, layout, new_size) }
    }
}

#[cfg(feature = "allocator-hook")]
#[global_allocator]
static GLOBAL: MuxlinkAlloc = MuxlinkAlloc;

/// Fills `*allocator` with this library's size, `MUXLINK_ABI_VERSION`, a NULL context and NULL
/// functions. A NULL or misaligned pointer is ignored. Costs nothing.
///
/// # Safety
/// `allocator` is NULL or points to a writable `muxlink_allocator`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_allocator_init(allocator: *mut muxlink_allocator) {
    let _ = guard(|| {
        required(allocator)?;
        // SAFETY: non-NULL, aligned (checked) and writable (the caller's promise).
        unsafe {
            allocator.write_bytes(0, 1);
            allocator.write(muxlink_allocator {
                size: std::mem::size_of::<muxlink_allocator>(),
                abi_version: MUXLINK_ABI_VERSION,
                ctx: std::ptr::null_mut(),
                alloc: None,
                realloc: None,
                free: None,
            });
        }
        Ok(())
    });
}

/// Makes every later allocation of muxlink (in any thread, for the life of the process) go
/// through the host's functions. muxlink copies `*allocator`; the functions and `ctx` must
/// stay valid until the process ends. Call it before anything else that allocates (every
/// call but `muxlink_abi_version`, `muxlink_result_str` and the `_init` functions may).
///
/// Errors: `MUXLINK_ERR_NULL` (allocator, alloc or free is NULL), `MUXLINK_ERR_MISALIGNED`,
/// `MUXLINK_ERR_STRUCT_SIZE`, `MUXLINK_ERR_ABI_VERSION`, `MUXLINK_ERR_ALLOCATOR_IN_USE`
/// (muxlink has allocated already, or an allocator is set), `MUXLINK_ERR_UNSUPPORTED` (the
/// library was built without the hook). Nothing changes on error.
///
/// # Safety
/// `allocator` is NULL or points to `allocator->size` readable bytes; its functions behave as the
/// fields of `muxlink_allocator` say.
#[no_mangle]
pub unsafe extern "C" fn muxlink_set_allocator(
    allocator: *const muxlink_allocator,
) -> muxlink_result {
    guard(|| {
        required(allocator)?;
        // SAFETY: checked non-NULL and aligned; readable as far as `size` says.
        let table = unsafe { read_table(allocator)? };
        if !cfg!(feature = "allocator-hook") {
            return Err(muxlink_result::MUXLINK_ERR_UNSUPPORTED);
        }
        HOOK.install(table)
    })
}

/// Checks a host's `muxlink_allocator` and takes its functions.
///
/// # Safety
/// `p` passed [`required`] and points to `(*p).size` readable bytes.
unsafe fn read_table(p: *const muxlink_allocator) -> Result<Table, muxlink_result> {
    use std::mem::{offset_of, size_of};
    // SAFETY: the first field is readable (the caller's promise).
    let size = unsafe { std::ptr::addr_of!((*p).size).read() };
    if size < offset_of!(muxlink_allocator, abi_version) + size_of::<u32>() {
        return Err(muxlink_result::MUXLINK_ERR_STRUCT_SIZE);
    }
    // SAFETY: `size` covers the field.
    let version = unsafe { std::ptr::addr_of!((*p).abi_version).read() };
    if version != MUXLINK_ABI_VERSION {
        return Err(muxlink_result::MUXLINK_ERR_ABI_VERSION);
    }
    if size != size_of::<muxlink_allocator>() {
        return Err(muxlink_result::MUXLINK_ERR_STRUCT_SIZE);
    }
    // SAFETY: the whole struct is readable; every field is an integer, a raw pointer or an
    // optional function pointer, for which any bit pattern is valid.
    let a = unsafe { p.read() };
    match (a.alloc, a.free) {
        (Some(alloc), Some(free)) => Ok(Table {
            ctx: a.ctx,
            alloc,
            realloc: a.realloc,
            free,
        }),
        _ => Err(muxlink_result::MUXLINK_ERR_NULL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicIsize;

    /// A ledger the test allocator keeps in its context.
    #[derive(Default)]
    struct Ledger {
        live: AtomicIsize,
        calls: AtomicIsize,
    }

    unsafe extern "C" fn test_alloc(ctx: *mut c_void, size: usize, align: usize) -> *mut c_void {
        // SAFETY: ctx is the test's Ledger.
        let l = unsafe { &*(ctx as *const Ledger) };
        l.live.fetch_add(1, Ordering::Relaxed);
        l.calls.fetch_add(1, Ordering::Relaxed);
        // SAFETY: size > 0 and align a power of two (the hook's contract).
        unsafe {
            System
                .alloc(Layout::from_size_align_unchecked(size, align))
                .cast()
        }
    }

    unsafe extern "C" fn test_free(ctx: *mut c_void, ptr: *mut c_void, size: usize, align: usize) {
        // SAFETY: ctx is the test's Ledger.
        let l = unsafe { &*(ctx as *const Ledger) };
        l.live.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: a block test_alloc made with this layout.
        unsafe { System.dealloc(ptr.cast(), Layout::from_size_align_unchecked(size, align)) }
    }

    unsafe extern "C" fn declining_realloc(
        _: *mut c_void,
        _: *mut c_void,
        _: usize,
        _: usize,
        _: usize,
    ) -> *mut c_void {
        std::ptr::null_mut()
    }

    fn table(ledger: &Ledger) -> Table {
        Table {
            ctx: ledger as *const Ledger as *mut c_void,
            alloc: test_alloc,
            realloc: Some(declining_realloc),
            free: test_free,
        }
    }

    #[test]
    fn the_first_allocation_decides() {
        let ledger = Ledger::default();
        let hook = Hook::new();
        assert!(hook.table().is_none(), "nothing set: the system allocator");
        assert_eq!(
            hook.install(table(&ledger)),
            Err(muxlink_result::MUXLINK_ERR_ALLOCATOR_IN_USE)
        );
        let hook = Hook::new();
        assert_eq!(hook.install(table(&ledger)), Ok(()));
        assert!(hook.table().is_some());
        assert_eq!(
            hook.install(table(&ledger)),
            Err(muxlink_result::MUXLINK_ERR_ALLOCATOR_IN_USE)
        );
    }

    #[test]
    fn every_block_goes_through_the_host_and_comes_back() {
        let ledger = Ledger::default();
        let hook = Hook::new();
        hook.install(table(&ledger)).unwrap();
        let layout = Layout::from_size_align(24, 64).unwrap();
        // SAFETY: a non-zero layout; the block is used within its size and freed once.
        unsafe {
            let p = hook.alloc(layout);
            assert!(!p.is_null());
            assert_eq!(p as usize % 64, 0);
            p.write_bytes(0x5A, 24);
            // The host declines to resize: muxlink allocates, copies and frees.
            let q = hook.realloc(p, layout, 1000);
            assert!(!q.is_null());
            assert_eq!(q as usize % 64, 0);
            assert_eq!(std::slice::from_raw_parts(q, 24), &[0x5A; 24]);
            assert_eq!(ledger.live.load(Ordering::Relaxed), 1);
            hook.dealloc(q, Layout::from_size_align(1000, 64).unwrap());
        }
        assert_eq!(ledger.live.load(Ordering::Relaxed), 0);
        assert_eq!(ledger.calls.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn set_allocator_checks_its_struct() {
        use muxlink_result::*;
        let mut a = MaybeUninit::<muxlink_allocator>::uninit();
        // SAFETY: init fills the whole struct.
        let mut a = unsafe {
            muxlink_allocator_init(a.as_mut_ptr());
            a.assume_init()
        };
        // SAFETY: each call passes a whole struct or NULL.
        unsafe {
            assert_eq!(muxlink_set_allocator(std::ptr::null()), MUXLINK_ERR_NULL);
            assert_eq!(muxlink_set_allocator(&a), MUXLINK_ERR_NULL, "no functions");
            a.alloc = Some(test_alloc);
            a.free = Some(test_free);
            a.abi_version = 0;
            assert_eq!(muxlink_set_allocator(&a), MUXLINK_ERR_ABI_VERSION);
            a.abi_version = MUXLINK_ABI_VERSION;
            a.size = 8;
            assert_eq!(muxlink_set_allocator(&a), MUXLINK_ERR_STRUCT_SIZE);
            a.size = std::mem::size_of::<muxlink_allocator>();
            // The test harness has allocated long before: too late, and nothing changes.
            let expected = if cfg!(feature = "allocator-hook") {
                MUXLINK_ERR_ALLOCATOR_IN_USE
            } else {
                MUXLINK_ERR_UNSUPPORTED
            };
            assert_eq!(muxlink_set_allocator(&a), expected);
        }
    }
}
