//! Validate + render at 3, 64, 1,024 and 10,000 replicas, in output bytes per second, beside
//! a copy of the same number of bytes (the physical floor for producing that output). Also
//! counts heap allocations per render and writes them, with output sizes, to
//! `target/trident-bench.json` for `cargo xtask bench`.

// criterion_group! generates undocumented items; the counting allocator needs unsafe.
#![allow(missing_docs, unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use trident_core::{generate, Spec};

/// Counts allocations; everything else is the system allocator.
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SIZES: [u32; 4] = [3, 64, 1024, 10_000];

fn spec(replicas: u32) -> Spec {
    Spec {
        replicas,
        base_port: 10_000,
        ..Spec::default()
    }
}

fn bytes(spec: &Spec) -> usize {
    generate(spec)
        .expect("bench spec is valid")
        .files
        .iter()
        .map(|f| f.contents.len())
        .sum()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    for replicas in SIZES {
        let spec = spec(replicas);
        let bytes = bytes(&spec);
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_with_input(
            BenchmarkId::new("validate+render", replicas),
            &spec,
            |b, spec| b.iter(|| generate(black_box(spec)).expect("valid")),
        );
        // The cross-file read-back alone: what the page would save without it.
        let valid = trident_core::validate(&spec).expect("valid");
        let files = trident_core::render(&valid);
        group.bench_with_input(
            BenchmarkId::new("cross-file-check", replicas),
            &(valid, files),
            |b, (valid, files)| {
                b.iter(|| trident_core::consistency::check(black_box(valid), black_box(files)))
            },
        );
        let source = vec![b'x'; bytes];
        group.bench_with_input(
            BenchmarkId::new("memcpy-baseline", replicas),
            &source,
            |b, src| b.iter(|| black_box(src.clone())),
        );
    }
    group.finish();
}

/// Allocations and output bytes of one generate() per size, as JSON.
fn record_allocations() {
    // One call first, so one-time initialisation is not counted against any size.
    black_box(generate(&spec(3)).expect("valid"));
    let mut rows = Vec::new();
    for replicas in SIZES {
        let spec = spec(replicas);
        let before = ALLOCS.load(Ordering::Relaxed);
        let out = black_box(generate(black_box(&spec)).expect("valid"));
        let allocs = ALLOCS.load(Ordering::Relaxed) - before;
        let bytes: usize = out.files.iter().map(|f| f.contents.len()).sum();
        rows.push(format!(
            "{{\"replicas\": {replicas}, \"bytes\": {bytes}, \"allocations\": {allocs}}}"
        ));
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").into());
    let _ = std::fs::write(
        format!("{target}/trident-bench.json"),
        format!("[{}]\n", rows.join(",\n")),
    );
}

criterion_group!(benches, bench);

fn main() {
    record_allocations();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
