//! The need access policy checked against a real database: for every kind of actor, the rows the
//! list scope lets through are exactly the needs `may_see` admits. SQLite by default, PostgreSQL
//! when `BROKER_TEST_DATABASE_URL` is set.

#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

use broker_domain::organisation::OrganisationKind;
use std::collections::BTreeSet;

use broker_application::access::NeedAccess;
use broker_application::{Actor, Role};
use broker_domain::need::NeedStatus;
use broker_store::repo::needs::{self, NeedFilter};
use uuid::Uuid;

mod support;
use support::{BENGTSFORS, DALS_ED, TestNeed, actor, need, organisation, platform, store_with};

#[tokio::test]
async fn the_list_scope_lets_through_exactly_the_needs_each_actor_may_see() {
    let (_db, store, region) =
        store_with(&[(DALS_ED, "Dals-Ed"), (BENGTSFORS, "Bengtsfors")]).await;
    let dals_ed = platform(&store, region, "dals-ed", DALS_ED).await;
    let bengtsfors = platform(&store, region, "bengtsfors", BENGTSFORS).await;
    let verkstad = organisation(&store, "Verkstad AB", OrganisationKind::Employer, DALS_ED).await;
    let sagverk = organisation(&store, "Sågverk AB", OrganisationKind::Employer, DALS_ED).await;
    for (code, on) in [(DALS_ED, dals_ed), (BENGTSFORS, bengtsfors)] {
        for by in [None, Some(verkstad), Some(sagverk)] {
            let placed = TestNeed {
                municipality: code,
                platform: on,
                employer: by,
                headcount: 1,
                status: NeedStatus::Open,
            };
            need(&store, placed).await;
        }
    }
    let everything = needs::list(store.conn(), &NeedFilter::default(), 200, 0)
        .await
        .expect("all needs");
    assert_eq!(everything.items.len(), 6);

    // Each actor with how many of the six needs it sees, so no agreement is an empty one by accident.
    let actors = [
        (actor(Role::Admin), 6),
        (
            Actor {
                municipalities: vec![DALS_ED.into()],
                ..actor(Role::MunicipalContact)
            },
            3,
        ),
        (
            Actor {
                organisation: Some(verkstad),
                ..actor(Role::Employer)
            },
            2,
        ),
        (actor(Role::Employer), 0),
        (
            Actor {
                platforms: vec![bengtsfors],
                ..actor(Role::Broker)
            },
            3,
        ),
    ];
    for (actor, expected) in &actors {
        let mut filter = NeedFilter::default();
        NeedAccess::list_scope(actor)
            .expect("these actors list needs")
            .restrict(&mut filter);
        let listed: BTreeSet<Uuid> = needs::list(store.conn(), &filter, 200, 0)
            .await
            .expect("scoped list")
            .items
            .iter()
            .map(|r| r.need.id)
            .collect();
        let seen: BTreeSet<Uuid> = everything
            .items
            .iter()
            .filter(|r| NeedAccess::may_see(actor, &r.need))
            .map(|r| r.need.id)
            .collect();
        assert_eq!(listed, seen, "{actor:?}");
        assert_eq!(seen.len(), *expected, "{actor:?}");
    }
    let provider = actor(Role::Provider);
    assert!(NeedAccess::list_scope(&provider).is_err());
    assert!(
        !everything
            .items
            .iter()
            .any(|r| NeedAccess::may_see(&provider, &r.need))
    );
}
