//! The offer access policy checked against a real database: for every kind of actor and every
//! way of asking, the rows a listing returns are exactly the offers its scope admits among those
//! asked for, all of them offers `may_see` admits; and the actor's default and own-provider
//! listings together reach every offer it may see. SQLite by default, PostgreSQL when
//! `BROKER_TEST_DATABASE_URL` is set.

#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

use broker_domain::organisation::OrganisationKind;
use std::collections::BTreeSet;

use broker_application::access::OfferAccess;
use broker_application::{Actor, Role};
use broker_domain::offer::{InstanceDraft, Offer, OfferDraft, OfferSpec, OfferStatus};
use broker_store::Store;
use broker_store::repo::offers::{self, OfferFilter, OfferSort};
use chrono::NaiveDate;
use uuid::Uuid;

mod support;
use support::{BENGTSFORS, actor, organisation, store_with, today};

async fn offer(store: &Store, provider: Uuid, status: OfferStatus) {
    let spec = OfferSpec::parse(OfferDraft {
        provider_id: Some(provider),
        title: "MIG/MAG-svetsning grundkurs".into(),
        delivery: "on_site".into(),
        competence_labels: vec!["MIG/MAG-svetsning".into()],
        instances: vec![InstanceDraft {
            start: NaiveDate::from_ymd_opt(2027, 2, 1),
            municipality: Some(BENGTSFORS.into()),
            ..Default::default()
        }],
        ..Default::default()
    })
    .expect("valid offer");
    offers::insert(store.conn(), Uuid::now_v7(), &spec, status, today())
        .await
        .expect("offer");
}

async fn listed(store: &Store, filter: &OfferFilter) -> BTreeSet<Uuid> {
    offers::list(store.conn(), filter, OfferSort::StartDate, 200, 0)
        .await
        .expect("list")
        .items
        .iter()
        .map(|o| o.id)
        .collect()
}

fn ids<'a>(offers: impl Iterator<Item = &'a Offer>) -> BTreeSet<Uuid> {
    offers.map(|o| o.id).collect()
}

#[tokio::test]
async fn every_listing_returns_exactly_what_its_scope_admits_and_reaches_all_an_actor_may_see() {
    let (_db, store, _) = store_with(&[(BENGTSFORS, "Bengtsfors")]).await;
    let yrkeshogskolan = organisation(
        &store,
        "Yrkeshögskolan",
        OrganisationKind::EducationProvider,
        BENGTSFORS,
    )
    .await;
    let folkhogskolan = organisation(
        &store,
        "Folkhögskolan",
        OrganisationKind::EducationProvider,
        BENGTSFORS,
    )
    .await;
    for provider in [yrkeshogskolan, folkhogskolan] {
        for status in [
            OfferStatus::Draft,
            OfferStatus::Published,
            OfferStatus::Archived,
        ] {
            offer(&store, provider, status).await;
        }
    }
    let everything = offers::list(
        store.conn(),
        &OfferFilter::default(),
        OfferSort::StartDate,
        200,
        0,
    )
    .await
    .expect("all offers");
    assert_eq!(everything.items.len(), 6);

    // Each actor with how many of the six offers it may see, so no agreement is an empty one by
    // accident.
    let actors = [
        (actor(Role::Admin), 6),
        (
            Actor {
                organisation: Some(yrkeshogskolan),
                ..actor(Role::Provider)
            },
            4,
        ),
        (actor(Role::Provider), 2),
        (actor(Role::Broker), 2),
        (
            Actor {
                organisation: Some(yrkeshogskolan),
                ..actor(Role::Employer)
            },
            2,
        ),
        (
            Actor {
                municipalities: vec![BENGTSFORS.into()],
                ..actor(Role::MunicipalContact)
            },
            2,
        ),
    ];
    let asked_statuses = [
        vec![],
        vec!["published".to_owned()],
        vec!["draft".to_owned(), "archived".to_owned()],
    ];
    for (actor, expected) in &actors {
        let seen = ids(everything
            .items
            .iter()
            .filter(|o| OfferAccess::may_see(actor, o)));
        assert_eq!(seen.len(), *expected, "{actor:?}");
        let mut reached = BTreeSet::new();
        for provider in [None, Some(yrkeshogskolan), Some(folkhogskolan)] {
            for statuses in &asked_statuses {
                let Ok(scope) = OfferAccess::list_scope(actor, provider, statuses) else {
                    continue;
                };
                let mut filter = OfferFilter {
                    provider,
                    statuses: statuses.clone(),
                    ..OfferFilter::default()
                };
                scope.clone().restrict(&mut filter);
                let rows = listed(&store, &filter).await;
                let admitted = ids(everything.items.iter().filter(|o| {
                    scope.admits(o)
                        && provider.is_none_or(|p| o.spec.provider_id == p)
                        && (statuses.is_empty() || statuses.iter().any(|s| s == o.status.as_str()))
                }));
                assert_eq!(rows, admitted, "{actor:?} {provider:?} {statuses:?}");
                assert!(rows.is_subset(&seen), "{actor:?} {provider:?} {statuses:?}");
                reached.extend(rows);
            }
        }
        assert_eq!(reached, seen, "{actor:?}");
    }
}
