//! Latency distribution of resolution over the synthetic 15,000-concept taxonomy (≈ 90k labels in
//! sv/nb/en, `benches/support/synth.rs`): labels as written, inflected, with a typo, truncated
//! (type-ahead) and two labels' words mixed, and the same labels inside longer phrases (the
//! competence a requirement mentions). Prints p50/p95/p99 per mode.
//!
//! ```sh
//! cargo run --release -p broker-matching --example resolution_latency
//! ```

#[path = "../benches/support/synth.rs"]
mod synth;

use std::time::Instant;

use broker_matching::{Lang, SearchMode};

fn percentiles(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() - 1) as f64 * p) as usize];
    format!(
        "p50 {:.3} ms  p95 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
        at(0.5),
        at(0.95),
        at(0.99),
        at(1.0)
    )
}

fn main() {
    let words = synth::words();
    let t = Instant::now();
    let taxonomy = synth::taxonomy(&words);
    println!(
        "taxonomy: {} concepts, index built in {:.2} s",
        taxonomy.concept_count(),
        t.elapsed().as_secs_f64()
    );
    let mut queries: Vec<(String, SearchMode)> = Vec::new();
    for i in (0..synth::CONCEPTS).step_by(7).take(2_000) {
        let Some(label) = taxonomy.concept_label(synth::concept_id(i), Lang::Sv) else {
            continue;
        };
        let label = label.to_owned();
        let chars: Vec<char> = label.chars().collect();
        queries.push((label.clone(), SearchMode::Retrieval));
        queries.push((format!("{label}en"), SearchMode::Retrieval));
        if chars.len() > 6 {
            let mut typo = chars.clone();
            typo.swap(chars.len() / 2, chars.len() / 2 + 1);
            queries.push((typo.into_iter().collect(), SearchMode::Retrieval));
            queries.push((
                chars[..chars.len() * 2 / 3].iter().collect(),
                SearchMode::TypeAhead,
            ));
        }
        if let Some(other) = taxonomy.concept_label(synth::concept_id(i + 3), Lang::En) {
            queries.push((format!("{label} {other}"), SearchMode::Retrieval));
        }
    }
    for mode in [SearchMode::Retrieval, SearchMode::TypeAhead] {
        let mut ms = Vec::new();
        for (q, m) in &queries {
            if *m != mode {
                continue;
            }
            let t = Instant::now();
            std::hint::black_box(taxonomy.search_in(q, Some(Lang::Sv), mode, 10));
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "search {mode:?} ({} queries): {}",
            ms.len(),
            percentiles(ms)
        );
    }
    let mut ms = Vec::new();
    for (q, _) in &queries {
        let t = Instant::now();
        std::hint::black_box(taxonomy.resolve(q));
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("resolve ({} queries): {}", ms.len(), percentiles(ms));
    // A requirement written as a longer phrase: the labels' words among others, each text new
    // (the answer is memoised per text).
    let mut ms = Vec::new();
    for (i, (q, m)) in queries.iter().enumerate() {
        if *m != SearchMode::Retrieval {
            continue;
        }
        let text = format!("erfarenhet av {q} till verkstaden nummer {i}");
        let t = Instant::now();
        std::hint::black_box(taxonomy.mentioned_concept(&text));
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "mentioned_concept, longer phrases ({} texts): {}",
        ms.len(),
        percentiles(ms)
    );
}
