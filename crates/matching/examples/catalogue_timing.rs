//! Times the public catalogue at 100,000 offers: a page and its facets for a few filters, the
//! median of 21 runs each (one pass, as the listing asks for them).
//! Run: `cargo run --release -p broker-matching --example catalogue_timing`.

use std::time::Instant;

use broker_matching::{
    Catalogue, CatalogueFilter, CatalogueOrder, Delivery, ListedInstance, ListedOffer,
};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

fn main() {
    let codes: Vec<String> = (0..290).map(|i| format!("{:04}", 1000 + i * 7)).collect();
    let concepts: Vec<Uuid> = (0..3000u128).map(Uuid::from_u128).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let day = |n: u64| {
        NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default()
            + chrono::Duration::days((n % 900) as i64)
    };
    let offers = (0..100_000u128).map(|i| ListedOffer {
        // Time-ordered ids with random tails, like the store's UUIDv7s.
        id: Uuid::from_u128(((1_000_000 + i) << 80) | u128::from(next())),
        version: 1,
        provider_id: Uuid::from_u128(i % 50),
        delivery: [Delivery::OnSite, Delivery::Distance, Delivery::Blended][(next() % 3) as usize],
        level: Some((next() % 8 + 1) as u8),
        language: ["sv", "nb", "en"][(next() % 3) as usize].to_owned(),
        concepts: (0..3).map(|_| concepts[(next() % 3000) as usize]).collect(),
        instances: (0..2)
            .map(|_| ListedInstance {
                start: day(next()),
                municipality: Some(codes[(next() % 290) as usize].clone()),
                distance: false,
            })
            .collect(),
        updated_at: DateTime::<Utc>::UNIX_EPOCH
            + chrono::Duration::seconds((next() % 1_000_000) as i64),
        published_at: None,
    });
    let offers: Vec<ListedOffer> = offers.collect();
    // A common word's hits: nine in ten offers, with a relevance each.
    let text_hits: Vec<(Uuid, f64)> = offers
        .iter()
        .filter(|o| (o.id.as_u128() >> 80) % 10 != 0)
        .map(|o| (o.id, ((o.id.as_u128() >> 80) % 7) as f64 / 7.0))
        .collect();
    let catalogue = Catalogue::new(offers);
    let today = NaiveDate::from_ymd_opt(2026, 11, 29);
    let filters = [
        (
            "all",
            CatalogueFilter {
                starts_from: today,
                ..Default::default()
            },
        ),
        (
            "one municipality",
            CatalogueFilter {
                starts_from: today,
                municipalities: vec![codes[3].clone()],
                ..Default::default()
            },
        ),
        (
            "a third of them",
            CatalogueFilter {
                starts_from: today,
                municipalities: codes[..100].to_vec(),
                ..Default::default()
            },
        ),
    ];
    let common_word = CatalogueFilter {
        starts_from: today,
        only: Some(text_hits.iter().map(|(id, _)| *id).collect()),
        ..Default::default()
    };
    let runs = filters.iter().map(|(name, f)| (*name, f, None)).chain([(
        "a common word",
        &common_word,
        Some(text_hits.as_slice()),
    )]);
    for (name, f, scores) in runs {
        let mut times: Vec<f64> = (0..21)
            .map(|_| {
                let t = Instant::now();
                let (page, facets) =
                    catalogue.page_and_facets(f, CatalogueOrder::StartDate, scores, 20, 0);
                std::hint::black_box((page, facets));
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let total = catalogue
            .page(f, CatalogueOrder::StartDate, scores, 20, 0)
            .total;
        println!("{name}: total {total}, page and facets {:.2} ms", times[10]);
    }
}
