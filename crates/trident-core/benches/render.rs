//! Validate + render at 3, 64, 1,024 and 10,000 replicas, in output bytes per second, beside
//! a copy of the same number of bytes (the physical floor for producing that output).

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use trident_core::{generate, Spec};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    for replicas in [3u32, 64, 1024, 10_000] {
        let spec = Spec {
            replicas,
            base_port: 10_000,
            ..Spec::default()
        };
        let bytes: usize = generate(&spec)
            .expect("bench spec is valid")
            .files
            .iter()
            .map(|f| f.contents.len())
            .sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_with_input(
            BenchmarkId::new("validate+render", replicas),
            &spec,
            |b, spec| b.iter(|| generate(black_box(spec)).expect("valid")),
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

criterion_group!(benches, bench);
criterion_main!(benches);
