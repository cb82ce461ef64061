//! Times the public catalogue at 100,000 offers: a page and its facets for a few filters.
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
        id: Uuid::from_u128(1_000_000 + i),
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
    for (name, f) in &filters {
        let t = Instant::now();
        let page = catalogue.page(f, CatalogueOrder::StartDate, None, 20, 0);
        let paged = t.elapsed();
        let t = Instant::now();
        let facets = catalogue.facets(f);
        let faceted = t.elapsed();
        println!(
            "{name}: total {} page {:.2} ms facets {:.2} ms ({} concepts)",
            page.total,
            paged.as_secs_f64() * 1000.0,
            faceted.as_secs_f64() * 1000.0,
            facets.concepts.len()
        );
    }
}
