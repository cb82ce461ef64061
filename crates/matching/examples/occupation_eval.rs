//! Scores occupation search on the Swedish development set (`fixtures/occupations-sv/`): real
//! titles from the Swedish occupation taxonomy, each linked by people to an ESCO occupation or
//! ISCO group. Prints MRR, success@1/5/10, the share with no answer, per-shape figures and the
//! resolution latency. The queries are also scored in two halves: even data lines (for tuning)
//! and odd ones (to check that a change generalises).
//!
//! ```sh
//! cargo run --release -p broker-matching --example occupation_eval [-- --misses 30] [--dump]
//! ```

use std::time::Instant;

use broker_matching::esco::{occupations_from, read_occupations, uri_to_uuid};
use broker_matching::{Lang, SearchMode, Taxonomy};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/occupations-sv");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let misses: usize = std::env::args()
        .skip_while(|a| a != "--misses")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    // `--dump`: one tab-separated line per query (rank, gold URI, query, top label, confidence,
    // then every hit as id=confidence=method=label).
    let dump = std::env::args().any(|a| a == "--dump");
    let file = std::fs::File::open(format!("{FIXTURES}/occupations_sv.csv"))?;
    let occupations = occupations_from(&[(Lang::Sv, read_occupations(file)?)], &[]);
    let started = Instant::now();
    let taxonomy = Taxonomy::build(Vec::new(), occupations);
    let built = started.elapsed();
    let queries = std::fs::read_to_string(format!("{FIXTURES}/queries_dev.tsv"))?;
    let mut shapes: Vec<(&str, Vec<f64>)> = vec![
        ("all", vec![]),
        ("slash", vec![]),
        ("comma", vec![]),
        ("one word", vec![]),
    ];
    let mut latencies = Vec::new();
    let mut empty = 0usize;
    let mut success = [0usize; 3];
    let mut shown = 0;
    // Per half (even, odd data line): reciprocal ranks, success@1, success@5.
    let mut halves: [(Vec<f64>, usize, usize); 2] = Default::default();
    for (line_no, line) in queries.lines().skip(1).enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(query), Some(gold_uri), Some(gold_label)) =
            (cols.get(1), cols.get(2), cols.get(3))
        else {
            continue;
        };
        let gold = uri_to_uuid(gold_uri);
        let t = Instant::now();
        let hits = taxonomy.search_occupations_in(query, Some(Lang::Sv), SearchMode::Retrieval, 10);
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        if hits.is_empty() {
            empty += 1;
        }
        let rank = hits.iter().position(|h| h.concept_id == gold);
        if dump {
            let top = hits.first().map_or("", |h| h.label.as_str());
            let conf = hits.first().map_or(0.0, |h| h.confidence);
            let all: Vec<String> = hits
                .iter()
                .map(|h| {
                    format!(
                        "{}={:.3}={:?}={}",
                        h.concept_id, h.confidence, h.method, h.label
                    )
                })
                .collect();
            println!(
                "R\t{rank:?}\t{gold_uri}\t{query}\t{top}\t{conf:.2}\t{}",
                all.join("|")
            );
        }
        let rr = rank.map_or(0.0, |r| 1.0 / (r + 1) as f64);
        for (i, k) in [1, 5, 10].into_iter().enumerate() {
            if rank.is_some_and(|r| r < k) {
                success[i] += 1;
            }
        }
        shapes[0].1.push(rr);
        let half = &mut halves[line_no % 2];
        half.0.push(rr);
        half.1 += usize::from(rank == Some(0));
        half.2 += usize::from(rank.is_some_and(|r| r < 5));
        if query.contains('/') {
            shapes[1].1.push(rr);
        }
        if query.contains(',') {
            shapes[2].1.push(rr);
        }
        if !query.contains([' ', ',', '/', '-']) {
            shapes[3].1.push(rr);
        }
        if shown < misses && rank.is_none_or(|r| r > 0) {
            shown += 1;
            let top: Vec<String> = hits
                .iter()
                .take(3)
                .map(|h| format!("{} ({:.2} {:?})", h.label, h.confidence, h.method))
                .collect();
            println!(
                "{query} => gold {gold_label} @{rank:?}; got {}",
                top.join(" | ")
            );
        }
    }
    let n = shapes[0].1.len().max(1) as f64;
    println!(
        "queries {}  MRR {:.3}  success@1 {:.3}  @5 {:.3}  @10 {:.3}  no answer {:.3}",
        shapes[0].1.len(),
        shapes[0].1.iter().sum::<f64>() / n,
        success[0] as f64 / n,
        success[1] as f64 / n,
        success[2] as f64 / n,
        empty as f64 / n
    );
    for (name, (rrs, at1, at5)) in ["even (tune)", "odd (check)"].iter().zip(&halves) {
        let k = rrs.len().max(1) as f64;
        println!(
            "  {name:<11} n={:<4} MRR {:.3}  success@1 {:.3}  @5 {:.3}",
            rrs.len(),
            rrs.iter().sum::<f64>() / k,
            *at1 as f64 / k,
            *at5 as f64 / k
        );
    }
    for (name, rrs) in &shapes[1..] {
        let k = rrs.len().max(1) as f64;
        println!(
            "  {name:<9} n={:<4} MRR {:.3}",
            rrs.len(),
            rrs.iter().sum::<f64>() / k
        );
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    println!(
        "index build {:.0} ms over {} occupations; search p50 {:.3} ms  p95 {:.3} ms  max {:.3} ms",
        built.as_secs_f64() * 1000.0,
        taxonomy.occupation_count(),
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
    Ok(())
}
