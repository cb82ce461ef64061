//! Memory estimate for the engine with 100k synthetic offers (and 10k indexed needs), read from
//! `/proc/self/status` (Linux). Run: `cargo run --release -p broker-matching --example memory`.

#[path = "../benches/support/synth.rs"]
mod synth;

use std::sync::Arc;
use std::time::Instant;

use broker_matching::Engine;

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "n/a".to_owned(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}

fn main() {
    let base = rss_kib();
    let words = synth::words();
    let t = Instant::now();
    let taxonomy = Arc::new(synth::taxonomy(&words));
    println!(
        "taxonomy: {} concepts built in {:?}",
        taxonomy.concept_count(),
        t.elapsed()
    );
    let after_taxonomy = rss_kib();
    for q in [
        "sve",
        "svetsning",
        "kraftmon",
        "bearbetlä",
        "hydraullik",
        "tekniklag er",
        "m",
        "programmering",
    ] {
        let t = Instant::now();
        let reps = 200;
        let mut hits = 0;
        for _ in 0..reps {
            hits += taxonomy.search(q, 10).len();
        }
        println!(
            "search {q:>14}: {:>8.1} µs/query ({} hits)",
            t.elapsed().as_secs_f64() * 1e6 / f64::from(reps),
            hits / 200
        );
    }
    let offers = synth::offers(&words, 100_000);
    let needs = synth::needs(&words, 10_000);
    let before_engine = rss_kib();
    let t = Instant::now();
    let mut engine = Engine::new(Arc::clone(&taxonomy), synth::geography());
    for o in offers {
        engine.upsert_offer(o);
    }
    println!(
        "index: {} offers in {:?}",
        engine.offer_count(),
        t.elapsed()
    );
    let after_offers = rss_kib();
    let opts = broker_matching::MatchOptions::new(synth::today());
    let t = Instant::now();
    let mut found = 0;
    for n in needs.iter().take(2_000) {
        found += engine.suggest_offers(n, &opts).len();
    }
    println!(
        "suggest_offers: 2,000 needs in {:?} ({found} suggestions)",
        t.elapsed()
    );
    for n in needs {
        engine.upsert_need(n);
    }
    let after_needs = rss_kib();
    println!("RSS at start:                 {}", mib(base));
    println!("RSS after taxonomy (15k):     {}", mib(after_taxonomy));
    println!("RSS before engine (docs gen): {}", mib(before_engine));
    println!("RSS after 100k offers:        {}", mib(after_offers));
    println!("RSS after 10k needs:          {}", mib(after_needs));
    println!(
        "engine with 100k offers (RSS delta incl. moved docs): {}",
        mib(after_offers
            .zip(after_taxonomy)
            .map(|(a, b)| a.saturating_sub(b)))
    );
}
