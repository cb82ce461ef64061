//! Criterion benchmarks on synthetic data (see `support/synth.rs`): index build for 100k offers,
//! one need against 100k offers, 10k needs re-matched against 100k offers, taxonomy search; and
//! one need against 100k offers of which about 20,000 teach its competence (the scale run's
//! shape), with offers for needs and pooling over 2,000 open needs of that shape.
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

/// The scale run's shape (`bench/scale.py`): 100k offers teaching 1–3 of 15 competences, so a
/// need's competence is taught by about 20,000 of them. `region`: every on-site offer lies in
/// the needs' region, so all of them are within the default reach (as in the scale run, whose
/// municipalities are one region's); `country`: on-site offers spread over all 290
/// municipalities, most of them beyond reach.
fn skewed_benches(c: &mut Criterion) {
    let words = synth::words();
    let taxonomy = Arc::new(synth::taxonomy(&words));
    let opts = MatchOptions::new(synth::today());
    let region = synth::region_municipalities(3);
    let country: Vec<usize> = (0..synth::MUNICIPALITIES).collect();
    let mut group = c.benchmark_group("engine");
    for (name, places) in [("region", &region), ("country", &country)] {
        let mut engine = Engine::new(Arc::clone(&taxonomy), synth::geography());
        for o in synth::skewed_offers(&words, OFFERS, places) {
            engine.upsert_offer(o);
        }
        for contact in synth::skewed_contacts(&words) {
            engine.upsert_contact(contact);
        }
        let needs = synth::skewed_needs(&words, 64, &region);
        group.sample_size(30);
        group.bench_function(format!("suggest_offers_skewed_{name}_100k"), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % needs.len();
                black_box(engine.suggest_offers(&needs[i], &opts))
            });
        });
        group.bench_function(
            format!("suggest_offers_and_contacts_skewed_{name}_100k"),
            |b| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % needs.len();
                    black_box(engine.suggest_offers_and_contacts(&needs[i], &opts))
                });
            },
        );
        if name == "region" {
            // Open needs of the same shape: an offer is suggested to (and a need pooled with)
            // about a fifth of them.
            for n in synth::skewed_needs(&words, 2_000, &region) {
                engine.upsert_need(n);
            }
            let offers = synth::skewed_offers(&words, 64, &region);
            group.sample_size(10);
            group.bench_function("suggest_needs_for_offer_skewed_2k_needs", |b| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % offers.len();
                    black_box(engine.suggest_needs_for_offer(&offers[i], &opts))
                });
            });
            group.bench_function("suggest_pooling_skewed_2k_needs", |b| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % needs.len();
                    black_box(engine.suggest_pooling(&needs[i], &opts))
                });
            });
        }
    }
    group.finish();
}

criterion_group!(matching, benches, skewed_benches);
criterion_main!(matching);
