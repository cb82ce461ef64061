//! The local platform model's storage on a fresh database (SQLite, or PostgreSQL when
//! `BROKER_TEST_DATABASE_URL` is set): escalations, course requests with answers, meetings.

#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

use broker_domain::course_request::{
    Answer, AnswerDraft, AnswerStatus, CourseRequestAction, CourseRequestDraft, CourseRequestSpec,
    CourseRequestStatus, PooledNeed,
};
use broker_domain::matching::{DecisionInput, MatchKind, MatchStatus};
use broker_domain::meeting::{
    AgendaItemDraft, AgendaLinkKind, MeetingDraft, MeetingSpec, ParticipantDraft,
};
use broker_domain::need::{NeedDraft, NeedSpec, NeedStatus, RequirementDraft};
use broker_domain::platform::MatchingSettings;
use broker_store::repo::{course_requests, escalation, matches, meetings, needs, reference};
use broker_store::{Store, StoreError, testing};
use chrono::NaiveDate;
use uuid::Uuid;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
}

struct Fixture {
    store: Store,
    dals_ed: Uuid,
    dalsland: Uuid,
    providers: [Uuid; 2],
    _db: testing::TestDatabase,
}

async fn fixture() -> Fixture {
    let db = testing::fresh_database().await.expect("database");
    let store = Store::connect(&db.url).await.expect("connect and migrate");
    let conn = store.conn();
    let region = Uuid::now_v7();
    reference::insert_region(conn, region, "fyrbodal", "Fyrbodal", "SE")
        .await
        .expect("region");
    for (code, name) in [("1438", "Dals-Ed"), ("1460", "Bengtsfors")] {
        reference::insert_municipality(conn, code, name, "SE", region)
            .await
            .expect("municipality");
    }
    let (dalsland, dals_ed) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, key, parent, members) in [
        (dalsland, "dalsland", None, vec!["1438", "1460"]),
        (dals_ed, "dals-ed", Some(dalsland), vec!["1438"]),
    ] {
        reference::insert_platform(
            conn,
            &reference::PlatformRecord {
                id,
                key: key.into(),
                name: key.into(),
                model: broker_domain::platform::PlatformModel::LocalPlatform,
                region_id: region,
                cluster_id: None,
                broker_arrangement: Some("cluster".into()),
                parent_id: parent,
                settings: MatchingSettings::default(),
                contact_person_ids: vec![],
                municipalities: members.into_iter().map(str::to_owned).collect(),
                active_from: None,
                active_to: None,
            },
        )
        .await
        .expect("platform");
    }
    let mut providers = [Uuid::nil(); 2];
    for (i, name) in ["Vux Dalsland", "Lernia"].into_iter().enumerate() {
        providers[i] = Uuid::now_v7();
        reference::insert_organisation(
            conn,
            reference::NewOrganisation {
                id: providers[i],
                name: name.into(),
                kind: broker_domain::organisation::OrganisationKind::EducationProvider,
                country: broker_domain::geo::Country::Se,
                org_number: None,
                municipality: None,
                website: None,
            },
        )
        .await
        .expect("organisation");
    }
    Fixture {
        store,
        dals_ed,
        dalsland,
        providers,
        _db: db,
    }
}

async fn need(f: &Fixture, code: &str, platform: Uuid, headcount: i64) -> Uuid {
    let id = Uuid::now_v7();
    let spec = NeedSpec::parse(
        NeedDraft {
            municipality: code.into(),
            title: "CNC-operatörer".into(),
            purpose: "recruitment".into(),
            headcount,
            competences: vec![RequirementDraft {
                label: Some("CNC-fräsning".into()),
                ..Default::default()
            }],
            ..Default::default()
        },
        today(),
    )
    .expect("need");
    let txn = f.store.begin().await.expect("txn");
    needs::insert(
        &txn,
        &needs::NewNeed {
            id,
            spec,
            platform_id: platform,
            entered_by: "tester".into(),
            status: NeedStatus::Open,
            expires_on: today(),
        },
    )
    .await
    .expect("insert");
    txn.commit().await.expect("commit");
    id
}

fn suggestion(kind: MatchKind, target: Uuid) -> matches::ComputedSuggestion {
    matches::ComputedSuggestion {
        kind,
        target_id: target,
        score: 0.8,
        factors: serde_json::json!([]),
        evidence: serde_json::json!({}),
        explanation: "fits".into(),
    }
}

#[tokio::test]
async fn an_escalation_moves_the_need_and_its_pending_suggestions_but_not_decisions() {
    let f = fixture().await;
    let mine = need(&f, "1438", f.dals_ed, 3).await;
    let theirs = need(&f, "1460", f.dalsland, 4).await;
    let (offer_a, offer_b) = (Uuid::now_v7(), Uuid::now_v7());
    let txn = f.store.begin().await.expect("txn");
    matches::sync_for_need(
        &txn,
        mine,
        f.dals_ed,
        MatchKind::Offer,
        &[
            suggestion(MatchKind::Offer, offer_a),
            suggestion(MatchKind::Offer, offer_b),
        ],
    )
    .await
    .expect("offers");
    matches::sync_for_need(
        &txn,
        mine,
        f.dals_ed,
        MatchKind::Need,
        &[suggestion(MatchKind::Need, theirs)],
    )
    .await
    .expect("pooling");
    txn.commit().await.expect("commit");
    let rejected = matches::list(
        f.store.conn(),
        &matches::MatchFilter {
            target_id: Some(offer_b),
            ..Default::default()
        },
        matches::MatchSort::Oldest,
        10,
        0,
    )
    .await
    .expect("list")
    .items
    .remove(0);
    matches::decide(
        f.store.conn(),
        rejected.id,
        &DecisionInput::parse("reject", Some("too far"), 1).expect("decision"),
        "broker",
    )
    .await
    .expect("reject");

    let partners = escalation::pooling_partners(f.store.conn(), &[mine])
        .await
        .expect("partners");
    assert_eq!(partners.get(&mine), Some(&vec![theirs]));
    assert!(
        escalation::with_accepted_match(f.store.conn(), &[mine])
            .await
            .expect("accepted")
            .is_empty()
    );

    let write = |version| escalation::EscalationWrite {
        need_id: mine,
        expected_version: version,
        to_platform: f.dalsland,
        to_level: "cluster".into(),
        detail: serde_json::json!({"reason_key": format!("pooled:{theirs}"), "on": "2026-12-01"}),
        actor: "system".into(),
    };
    let txn = f.store.begin().await.expect("txn");
    let stale = escalation::apply(&txn, &write(7)).await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    drop(txn);
    let txn = f.store.begin().await.expect("txn");
    let (after, moved) = escalation::apply(&txn, &write(1)).await.expect("escalate");
    txn.commit().await.expect("commit");
    assert_eq!(moved, 2, "the pending offer and pooling suggestions");
    assert_eq!(after.need.platform_id, f.dalsland);
    assert_eq!(after.escalation_level, "cluster");
    assert_eq!(after.need.version, 2);
    let all = matches::list(
        f.store.conn(),
        &matches::MatchFilter {
            need_id: Some(mine),
            ..Default::default()
        },
        matches::MatchSort::Oldest,
        10,
        0,
    )
    .await
    .expect("list");
    for m in &all.items {
        let expected = if m.status == MatchStatus::Rejected {
            f.dals_ed
        } else {
            f.dalsland
        };
        assert_eq!(m.platform_id, expected, "{} {}", m.kind, m.status);
    }
    let history = escalation::history(f.store.conn(), &[mine, theirs])
        .await
        .expect("history");
    assert_eq!(
        history.get(&mine),
        Some(&vec![escalation::PastEscalation {
            reason_key: Some(format!("pooled:{theirs}")),
            on: NaiveDate::from_ymd_opt(2026, 12, 1),
        }])
    );
    assert!(!history.contains_key(&theirs));
}

async fn pooled_request(f: &Fixture, provider_ids: Vec<Uuid>) -> (Uuid, CourseRequestSpec) {
    let ids = [
        need(f, "1438", f.dalsland, 3).await,
        need(f, "1460", f.dalsland, 4).await,
    ];
    let mut pooled = Vec::new();
    for n in needs::get_many(f.store.conn(), &ids).await.expect("needs") {
        pooled.push(PooledNeed {
            id: n.need.id,
            municipality: n.need.spec.municipality.clone(),
            headcount: n.need.spec.headcount,
            competences: n.need.spec.competences.clone(),
            needed_by: n.need.spec.needed_by,
            delivery: n.need.spec.delivery,
        });
    }
    let spec = CourseRequestSpec::pool(
        CourseRequestDraft {
            title: "CNC i Dalsland".into(),
            need_ids: ids.to_vec(),
            provider_ids,
            ..Default::default()
        },
        &pooled,
        today(),
    )
    .expect("spec");
    let id = Uuid::now_v7();
    let txn = f.store.begin().await.expect("txn");
    let stored = course_requests::insert(&txn, id, f.dalsland, &spec, "broker")
        .await
        .expect("insert");
    txn.commit().await.expect("commit");
    assert_eq!(stored.spec, spec, "round trip");
    assert_eq!(stored.status, CourseRequestStatus::Draft);
    (id, spec)
}

#[tokio::test]
async fn a_course_request_round_trips_holds_its_needs_and_takes_one_answer_per_provider() {
    let f = fixture().await;
    let (open, spec) = pooled_request(&f, vec![]).await;
    let (addressed, _) = pooled_request(&f, vec![f.providers[0]]).await;
    assert_eq!(spec.total_headcount, 7);
    let held = course_requests::holding(f.store.conn(), &spec.need_ids)
        .await
        .expect("holding");
    assert_eq!(held.len(), 2);
    assert!(held.iter().all(|(_, r)| *r == open));

    let conn = f.store.conn();
    let stale = course_requests::transition(
        conn,
        open,
        Some(5),
        CourseRequestAction::Send,
        Default::default(),
        "broker",
    )
    .await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })));
    let refused = course_requests::transition(
        conn,
        open,
        None,
        CourseRequestAction::Commission,
        Default::default(),
        "broker",
    )
    .await;
    assert!(matches!(refused, Err(StoreError::Transition(_))));
    for id in [open, addressed] {
        let (from, after) = course_requests::transition(
            conn,
            id,
            Some(1),
            CourseRequestAction::Send,
            Default::default(),
            "broker",
        )
        .await
        .expect("send");
        assert_eq!(
            (from, after.status),
            (CourseRequestStatus::Draft, CourseRequestStatus::Sent)
        );
        assert!(after.sent_at.is_some());
    }

    // Provider 1 sees only the request open to all; provider 0 both.
    let visible = |p: Uuid| course_requests::CourseRequestFilter {
        visible_to_provider: Some(p),
        ..Default::default()
    };
    let seen = course_requests::list(conn, &visible(f.providers[1]), 10, 0)
        .await
        .expect("list");
    assert_eq!(
        seen.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![open]
    );
    assert_eq!(
        course_requests::list(conn, &visible(f.providers[0]), 10, 0)
            .await
            .expect("list")
            .total,
        2
    );

    let answer = Answer::parse(
        AnswerDraft {
            response: "offer".into(),
            proposal: Some("CNC, 16 veckor".into()),
            seats: Some(8),
            ..Default::default()
        },
        today(),
    )
    .expect("answer");
    let first = course_requests::insert_answer(conn, open, f.providers[0], &answer, "vux")
        .await
        .expect("answer");
    let twice = course_requests::insert_answer(conn, open, f.providers[0], &answer, "vux").await;
    assert!(
        matches!(twice, Err(StoreError::Conflict { .. })),
        "{twice:?}"
    );
    course_requests::insert_answer(conn, open, f.providers[1], &answer, "lernia")
        .await
        .expect("second provider");
    course_requests::settle_answers(conn, open, Some(first.id))
        .await
        .expect("settle");
    let statuses: Vec<(Uuid, AnswerStatus)> = course_requests::answers(conn, open, None)
        .await
        .expect("answers")
        .into_iter()
        .map(|a| (a.provider_id, a.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (f.providers[0], AnswerStatus::Chosen),
            (f.providers[1], AnswerStatus::NotChosen)
        ]
    );
    assert_eq!(
        course_requests::answers(conn, open, Some(f.providers[1]))
            .await
            .expect("own")
            .len(),
        1
    );
}

#[tokio::test]
async fn a_meeting_round_trips_is_found_by_what_it_discussed_and_changes_only_at_its_version() {
    let f = fixture().await;
    let discussed = need(&f, "1438", f.dals_ed, 2).await;
    let spec = MeetingSpec::parse(MeetingDraft {
        kind: "network_meeting".into(),
        title: "Nätverksträff".into(),
        held_on: NaiveDate::from_ymd_opt(2027, 2, 3),
        participants: vec![
            ParticipantDraft {
                organisation_id: Some(f.providers[0]),
                name: Some("Vux Dalsland".into()),
                ..Default::default()
            },
            ParticipantDraft {
                name: Some("SYV Dals-Ed".into()),
                role: Some("SYV".into()),
                ..Default::default()
            },
        ],
        agenda: vec![
            AgendaItemDraft {
                title: "CNC".into(),
                need_ids: vec![discussed],
                outcome: Some("Poolas med Bengtsfors".into()),
                ..Default::default()
            },
            AgendaItemDraft {
                title: "Övrigt".into(),
                ..Default::default()
            },
        ],
        ..Default::default()
    })
    .expect("meeting");
    let id = Uuid::now_v7();
    let txn = f.store.begin().await.expect("txn");
    let stored = meetings::insert(&txn, id, f.dals_ed, &spec, "broker")
        .await
        .expect("insert");
    txn.commit().await.expect("commit");
    assert_eq!(stored.spec, spec);
    assert_eq!(stored.version, 1);
    let found = meetings::list(
        f.store.conn(),
        &meetings::MeetingFilter {
            discussed: Some((AgendaLinkKind::Need, discussed)),
            ..Default::default()
        },
        10,
        0,
    )
    .await
    .expect("list");
    assert_eq!(found.total, 1);
    let none = meetings::list(
        f.store.conn(),
        &meetings::MeetingFilter {
            discussed: Some((AgendaLinkKind::CourseRequest, discussed)),
            ..Default::default()
        },
        10,
        0,
    )
    .await
    .expect("list");
    assert_eq!(none.total, 0, "the link's kind counts");

    let mut changed = spec.clone();
    changed.agenda.truncate(1);
    changed.minutes = Some(broker_domain::values::LongText::parse("Protokoll").expect("text"));
    let stale = meetings::replace(f.store.conn(), id, 2, &changed, "broker").await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })));
    let after = meetings::replace(f.store.conn(), id, 1, &changed, "broker")
        .await
        .expect("replace");
    assert_eq!(after.spec, changed);
    assert_eq!(after.version, 2);
    assert_eq!(after.updated_by.as_deref(), Some("broker"));
}
