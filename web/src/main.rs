//! Entry point of the wasm binary that Trunk builds.

/// The page is single-threaded; lol_alloc's free-list allocator behind its lock is small.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

fn main() {
    trident_web::start();
}
