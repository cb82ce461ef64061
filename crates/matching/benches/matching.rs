//! Criterion benchmarks on synthetic data (see `support/synth.rs`): index build for 100k offers,
//! one need against 100k offers, 10k needs re-matched against 100k offers, taxonomy search.
//!
//! Quick run: `cargo bench -p broker-matching --bench matching -- --warm-up-time 1 --measurement-time 3`

#[path = "support/synth.rs"]
mod synth;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use broker_matching::{Engine, MatchOptions};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const OFFERS: usize = 100_000;
const NEEDS: usize = 10_000;

fn benches(c: &mut Criterion) {
    let words = synth::words();
    let taxonomy = Arc::new(synth::taxonomy(&words));
    let offers = synth::offers(&words, OFFERS);
    let needs = synth::needs(&words, NEEDS);
    let opts = MatchOptions::new(synth::today());

    let mut group = c.benchmark_group("taxonomy");
    let queries = [
        "sve",
        "svetsning",
        "kraftmon",
        "bearbetlä",
        "hydraullik",
        "tekniklag er",
        "m",
        "programmering",
    ];
    group.bench_function("search_15k_concepts", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % queries.len();
            black_box(taxonomy.search(queries[i], 10))
        });
    });
    group.bench_function("resolve_15k_concepts", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % queries.len();
            black_box(taxonomy.resolve(queries[i]))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    group.bench_function("build_index_100k_offers", |b| {
        b.iter_batched(
            || offers.clone(),
            |docs| {
                let mut e = Engine::new(Arc::clone(&taxonomy), synth::geography());
                for o in docs {
                    e.upsert_offer(o);
                }
                e
            },
            BatchSize::PerIteration,
        );
    });

    let mut engine = Engine::new(Arc::clone(&taxonomy), synth::geography());
    for o in offers.iter().cloned() {
        engine.upsert_offer(o);
    }
    group.sample_size(50);
    group.bench_function("suggest_offers_one_need_100k", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % 1_000;
            black_box(engine.suggest_offers(&needs[i], &opts))
        });
    });
    group.sample_size(10);
    group.bench_function("rematch_10k_needs_100k_offers", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                for n in &needs {
                    black_box(engine.suggest_offers(n, &opts));
                }
                total += start.elapsed();
            }
            total
        });
    });
    group.finish();
}

criterion_group!(matching, benches);
criterion_main!(matching);
