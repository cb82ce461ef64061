//! Course requests (Fyrbodal): demand pooled from several needs, turned by a broker into one
//! request to education providers ("we need a course for 9 people in Dals-Ed and Bengtsfors"),
//! the providers' answers, and the broker's decision.
//!
//! Lifecycle:
//!
//! ```text
//! draft --send--> sent --receive_answer--> answered --commission--> commissioned
//!                                           |  ^ receive_answer
//!                                           +--decline--> declined
//! draft | sent | answered --cancel--> cancelled
//! ```
//!
//! `declined` means the broker found no answer fit (providers were asked, none is taken);
//! `cancelled` means the request itself was withdrawn. Both, and `commissioned`, are final.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::error::Validator;
use crate::geo::MunicipalityCode;
use crate::lifecycle::Lifecycle;
use crate::need::{CompetenceRequirement, DeliveryPreference, Importance};
use crate::values::{Headcount, LongText, Money, Name};
use crate::{DomainError, TransitionError, string_enum};

string_enum! {
    /// Where a course request is in its life.
    pub enum CourseRequestStatus {
        /// Being put together; only brokers see it.
        Draft = "draft",
        /// Sent to providers, waiting for answers.
        Sent = "sent",
        /// At least one provider answered; more answers may come.
        Answered = "answered",
        /// The broker chose an answer: the course is commissioned.
        Commissioned = "commissioned",
        /// The broker found no answer fit.
        Declined = "declined",
        /// Withdrawn before a decision.
        Cancelled = "cancelled",
    }
}

string_enum! {
    /// What can happen to a course request.
    pub enum CourseRequestAction {
        Send = "send",
        /// A provider's answer arrived (the service applies it).
        ReceiveAnswer = "receive_answer",
        Commission = "commission",
        Decline = "decline",
        Cancel = "cancel",
    }
}

impl Lifecycle for CourseRequestStatus {
    type Action = CourseRequestAction;
    const ACTIONS: &'static [CourseRequestAction] = CourseRequestAction::ALL;

    fn transition(self, action: CourseRequestAction) -> Result<Self, TransitionError> {
        use CourseRequestAction as A;
        use CourseRequestStatus as S;
        match (self, action) {
            (S::Draft, A::Send) => Ok(S::Sent),
            (S::Sent | S::Answered, A::ReceiveAnswer) => Ok(S::Answered),
            (S::Answered, A::Commission) => Ok(S::Commissioned),
            (S::Answered, A::Decline) => Ok(S::Declined),
            (S::Draft | S::Sent | S::Answered, A::Cancel) => Ok(S::Cancelled),
            (from, action) => Err(TransitionError {
                entity: "course_request",
                from: from.as_str(),
                action: action.as_str(),
            }),
        }
    }
}

impl CourseRequestStatus {
    pub fn is_final(self) -> bool {
        matches!(self, Self::Commissioned | Self::Declined | Self::Cancelled)
    }

    /// Providers see a request once it has been sent.
    pub fn visible_to_providers(self) -> bool {
        self != Self::Draft
    }

    /// A need in a request in one of these states is spoken for and cannot join another.
    pub fn holds_its_needs(self) -> bool {
        matches!(
            self,
            Self::Draft | Self::Sent | Self::Answered | Self::Commissioned
        )
    }
}

string_enum! {
    /// A provider's reply.
    pub enum AnswerResponse {
        /// "We can give it": an existing offer or a proposal.
        Offer = "offer",
        /// "We cannot."
        Decline = "decline",
    }
}

string_enum! {
    /// What became of an answer.
    pub enum AnswerStatus {
        Submitted = "submitted",
        /// The broker commissioned this answer.
        Chosen = "chosen",
        /// Another answer was chosen, or the request was declined or cancelled.
        NotChosen = "not_chosen",
    }
}

/// One pooled need as the request sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PooledNeed {
    pub id: Uuid,
    pub municipality: MunicipalityCode,
    pub headcount: Headcount,
    pub competences: Vec<CompetenceRequirement>,
    pub needed_by: Option<NaiveDate>,
    pub delivery: DeliveryPreference,
}

/// Raw input for a course request, as the broker sends it.
#[derive(Debug, Clone, Default)]
pub struct CourseRequestDraft {
    pub title: String,
    pub description: Option<String>,
    pub need_ids: Vec<Uuid>,
    /// Defaults to the earliest `needed_by` of the needs.
    pub wanted_start: Option<NaiveDate>,
    /// Defaults to what every need accepts.
    pub delivery: Option<(bool, bool, bool)>,
    /// Answers wanted by this day.
    pub respond_by: Option<NaiveDate>,
    /// Named providers; empty addresses every education provider.
    pub provider_ids: Vec<Uuid>,
}

/// At most this many needs in one request.
pub const MAX_NEEDS_PER_REQUEST: usize = 50;
/// At most this many named providers.
pub const MAX_ADDRESSEES: usize = 50;

/// The validated content of a course request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CourseRequestSpec {
    pub title: Name,
    pub description: Option<LongText>,
    pub need_ids: Vec<Uuid>,
    /// The union of the needs' competences: must-have when any need must have it, the highest
    /// level any need asks for.
    pub competences: Vec<CompetenceRequirement>,
    /// The sum of the needs' head counts.
    pub total_headcount: u32,
    /// Distinct municipality codes, sorted.
    pub municipalities: Vec<MunicipalityCode>,
    pub wanted_start: Option<NaiveDate>,
    pub delivery: DeliveryPreference,
    pub respond_by: Option<NaiveDate>,
    /// Sorted, distinct; empty means "every education provider".
    pub provider_ids: Vec<Uuid>,
}

impl CourseRequestSpec {
    /// Pools `needs` (the needs the draft names, already looked up) into one request. Every
    /// field is checked and every failure reported at once.
    pub fn pool(
        draft: CourseRequestDraft,
        needs: &[PooledNeed],
        today: NaiveDate,
    ) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let title = v.check("title", Name::parse(&draft.title));
        let description = v.check(
            "description",
            crate::values::optional_long_text(draft.description.as_deref()),
        );
        let mut seen = BTreeSet::new();
        for (i, id) in draft.need_ids.iter().enumerate() {
            if !seen.insert(*id) {
                v.fail(format!("need_ids[{i}]"), "named twice");
            }
        }
        if draft.need_ids.is_empty() {
            v.fail("need_ids", "name at least one need to pool");
        }
        if draft.need_ids.len() > MAX_NEEDS_PER_REQUEST {
            v.fail(
                "need_ids",
                format!("at most {MAX_NEEDS_PER_REQUEST} needs per request"),
            );
        }
        for (i, id) in draft.need_ids.iter().enumerate() {
            if !needs.iter().any(|n| n.id == *id) {
                v.fail(format!("need_ids[{i}]"), "no such need");
            }
        }
        if let Some(start) = draft.wanted_start
            && start < today
        {
            v.fail(
                "wanted_start",
                format!("must not be in the past (today is {today})"),
            );
        }
        if let Some(by) = draft.respond_by {
            if by < today {
                v.fail(
                    "respond_by",
                    format!("must not be in the past (today is {today})"),
                );
            }
            if draft.wanted_start.is_some_and(|start| by > start) {
                v.fail("respond_by", "must not be after wanted_start");
            }
        }
        let delivery = match draft.delivery {
            Some((on_site, distance, part_time)) => v.check(
                "delivery",
                DeliveryPreference::parse(on_site, distance, part_time),
            ),
            None => Some(common_delivery(needs)),
        };
        let mut provider_ids = draft.provider_ids;
        provider_ids.sort();
        provider_ids.dedup();
        if provider_ids.len() > MAX_ADDRESSEES {
            v.fail(
                "provider_ids",
                format!("at most {MAX_ADDRESSEES} named providers"),
            );
        }
        v.finish()?;
        let pooled: Vec<&PooledNeed> = draft
            .need_ids
            .iter()
            .filter_map(|id| needs.iter().find(|n| n.id == *id))
            .collect();
        let mut municipalities: Vec<MunicipalityCode> =
            pooled.iter().map(|n| n.municipality.clone()).collect();
        municipalities.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        municipalities.dedup();
        let wanted_start = draft
            .wanted_start
            .or_else(|| pooled.iter().filter_map(|n| n.needed_by).min());
        match (title, description, delivery) {
            (Some(title), Some(description), Some(delivery)) => Ok(Self {
                title,
                description,
                competences: union_of_competences(&pooled),
                total_headcount: pooled.iter().map(|n| n.headcount.get()).sum(),
                need_ids: draft.need_ids,
                municipalities,
                wanted_start,
                delivery,
                respond_by: draft.respond_by,
                provider_ids,
            }),
            _ => Err(DomainError::invalid("", "invalid course request")),
        }
    }

    /// Whether `provider` is among the addressees (an empty list addresses everyone).
    pub fn addresses(&self, provider: Uuid) -> bool {
        self.provider_ids.is_empty() || self.provider_ids.contains(&provider)
    }
}

/// Same concept (or, without one, the same label ignoring case) counts once.
fn union_of_competences(needs: &[&PooledNeed]) -> Vec<CompetenceRequirement> {
    let key = |c: &CompetenceRequirement| match c.concept_id {
        Some(id) => id.to_string(),
        None => c.label.as_str().to_lowercase(),
    };
    let mut out: Vec<CompetenceRequirement> = Vec::new();
    for c in needs.iter().flat_map(|n| n.competences.iter()) {
        match out.iter_mut().find(|o| key(o) == key(c)) {
            Some(existing) => {
                if c.importance == Importance::MustHave {
                    existing.importance = Importance::MustHave;
                }
                existing.level = existing.level.max(c.level);
            }
            None => out.push(c.clone()),
        }
    }
    out
}

/// What every need accepts; when they share no way of studying, what any of them accepts.
fn common_delivery(needs: &[PooledNeed]) -> DeliveryPreference {
    let all = |f: fn(&DeliveryPreference) -> bool| needs.iter().all(|n| f(&n.delivery));
    let any = |f: fn(&DeliveryPreference) -> bool| needs.iter().any(|n| f(&n.delivery));
    let part_time = any(|d| d.part_time);
    DeliveryPreference::parse(all(|d| d.on_site), all(|d| d.distance), part_time)
        .or_else(|_| DeliveryPreference::parse(any(|d| d.on_site), any(|d| d.distance), part_time))
        .unwrap_or_default()
}

/// Raw input for a provider's answer.
#[derive(Debug, Clone, Default)]
pub struct AnswerDraft {
    pub response: String,
    pub offer_id: Option<Uuid>,
    pub proposal: Option<String>,
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    pub seats: Option<i64>,
    pub start: Option<NaiveDate>,
    pub note: Option<String>,
}

/// A validated answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub response: AnswerResponse,
    /// An existing offer of the provider's that would serve the request.
    pub offer_id: Option<Uuid>,
    /// Or a course the provider proposes to set up.
    pub proposal: Option<LongText>,
    pub price: Option<Money>,
    pub seats: Option<u32>,
    pub start: Option<NaiveDate>,
    pub note: Option<LongText>,
}

impl Answer {
    /// An offer answer names an offer or a proposal; a decline carries only a note.
    pub fn parse(raw: AnswerDraft, today: NaiveDate) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let response = v.check("response", AnswerResponse::parse(&raw.response));
        let proposal = v.check(
            "proposal",
            crate::values::optional_long_text(raw.proposal.as_deref()),
        );
        let note = v.check(
            "note",
            crate::values::optional_long_text(raw.note.as_deref()),
        );
        let price = match (raw.price_minor, raw.currency.as_deref()) {
            (None, None) => Some(None),
            (Some(minor), Some(currency)) => {
                v.check("price_minor", Money::parse(minor, currency).map(Some))
            }
            (Some(_), None) => {
                v.fail("currency", "required when price_minor is given");
                None
            }
            (None, Some(_)) => {
                v.fail("price_minor", "required when currency is given");
                None
            }
        };
        let seats = match raw.seats {
            None => Some(None),
            Some(n) => match u32::try_from(n) {
                Ok(s @ 1..=10_000) => Some(Some(s)),
                _ => {
                    v.fail("seats", format!("must be between 1 and 10000 (got {n})"));
                    None
                }
            },
        };
        if let Some(start) = raw.start
            && start < today
        {
            v.fail(
                "start",
                format!("must not be in the past (today is {today})"),
            );
        }
        match response {
            Some(AnswerResponse::Offer)
                if raw.offer_id.is_none() && proposal.as_ref().is_some_and(Option::is_none) =>
            {
                v.fail("offer_id", "name an existing offer or write a proposal");
            }
            Some(AnswerResponse::Decline) => {
                let carries = [
                    ("offer_id", raw.offer_id.is_some()),
                    ("proposal", raw.proposal.is_some()),
                    ("price_minor", raw.price_minor.is_some()),
                    ("seats", raw.seats.is_some()),
                    ("start", raw.start.is_some()),
                ];
                for (field, present) in carries {
                    if present {
                        v.fail(field, "a decline carries only a note");
                    }
                }
            }
            _ => {}
        }
        v.finish()?;
        match (response, proposal, note, price, seats) {
            (Some(response), Some(proposal), Some(note), Some(price), Some(seats)) => Ok(Self {
                response,
                offer_id: raw.offer_id,
                proposal,
                price,
                seats,
                start: raw.start,
                note,
            }),
            _ => Err(DomainError::invalid("", "invalid answer")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{EqfLevel, Label};
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()
    }

    fn date(s: &str) -> Option<NaiveDate> {
        s.parse().ok()
    }

    fn competence(label: &str, importance: Importance, level: Option<u8>) -> CompetenceRequirement {
        CompetenceRequirement {
            concept_id: None,
            label: Label::parse(label).unwrap_or_else(|_| unreachable!()),
            importance,
            level: level.and_then(|l| EqfLevel::try_from(l).ok()),
        }
    }

    fn need(n: u128, code: &str, headcount: u32, comps: Vec<CompetenceRequirement>) -> PooledNeed {
        PooledNeed {
            id: Uuid::from_u128(n),
            municipality: MunicipalityCode::parse(code).unwrap_or_else(|_| unreachable!()),
            headcount: Headcount::try_from(headcount).unwrap_or_else(|_| unreachable!()),
            competences: comps,
            needed_by: None,
            delivery: DeliveryPreference::default(),
        }
    }

    fn draft(ids: &[u128]) -> CourseRequestDraft {
        CourseRequestDraft {
            title: "CNC-operatörer i Dalsland".into(),
            need_ids: ids.iter().map(|n| Uuid::from_u128(*n)).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn pooled_needs_sum_their_heads_and_unite_their_competences() {
        let mut dals_ed = need(
            1,
            "1438",
            3,
            vec![
                competence("CNC-fräsning", Importance::MustHave, Some(4)),
                competence("mätteknik", Importance::NiceToHave, None),
            ],
        );
        dals_ed.needed_by = date("2027-08-01");
        let mut bengtsfors = need(
            2,
            "1460",
            4,
            vec![
                competence("cnc-fräsning", Importance::NiceToHave, Some(5)),
                competence("Mätteknik", Importance::MustHave, None),
            ],
        );
        bengtsfors.needed_by = date("2027-06-01");
        bengtsfors.delivery = DeliveryPreference {
            on_site: true,
            distance: false,
            part_time: true,
        };
        let spec = CourseRequestSpec::pool(draft(&[1, 2]), &[dals_ed, bengtsfors], today());
        let spec = spec.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.total_headcount, 7);
        let codes: Vec<&str> = spec.municipalities.iter().map(|m| m.as_str()).collect();
        assert_eq!(codes, vec!["1438", "1460"]);
        assert_eq!(spec.competences.len(), 2, "{:?}", spec.competences);
        assert!(
            spec.competences
                .iter()
                .all(|c| c.importance == Importance::MustHave)
        );
        assert_eq!(spec.competences[0].level.map(|l| l.get()), Some(5));
        assert_eq!(spec.wanted_start, date("2027-06-01"), "earliest need");
        assert_eq!(
            spec.delivery,
            DeliveryPreference {
                on_site: true,
                distance: false,
                part_time: true
            }
        );
        assert!(spec.addresses(Uuid::from_u128(77)), "no names: everyone");
    }

    #[test]
    fn a_request_refuses_unknown_repeated_or_missing_needs_and_bad_dates() {
        let needs = [need(1, "1438", 3, vec![])];
        let mut d = draft(&[1, 1, 9]);
        d.title = " ".into();
        d.wanted_start = date("2020-01-01");
        d.respond_by = date("2027-05-01");
        let err = CourseRequestSpec::pool(d, &needs, today())
            .err()
            .unwrap_or_else(|| DomainError::Invalid(vec![]));
        let fields: Vec<&str> = err
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        for expected in [
            "title",
            "need_ids[1]",
            "need_ids[2]",
            "wanted_start",
            "respond_by",
        ] {
            assert!(fields.contains(&expected), "{expected} in {fields:?}");
        }
        assert!(CourseRequestSpec::pool(draft(&[]), &needs, today()).is_err());
    }

    #[test]
    fn named_providers_are_the_only_addressees() {
        let mut d = draft(&[1]);
        d.provider_ids = vec![Uuid::from_u128(5), Uuid::from_u128(5)];
        let spec = CourseRequestSpec::pool(d, &[need(1, "1438", 2, vec![])], today())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.provider_ids.len(), 1);
        assert!(spec.addresses(Uuid::from_u128(5)));
        assert!(!spec.addresses(Uuid::from_u128(6)));
    }

    #[test]
    fn the_lifecycle_refuses_every_edge_it_does_not_draw() {
        use CourseRequestAction as A;
        use CourseRequestStatus as S;
        let legal = [
            (S::Draft, A::Send, S::Sent),
            (S::Sent, A::ReceiveAnswer, S::Answered),
            (S::Answered, A::ReceiveAnswer, S::Answered),
            (S::Answered, A::Commission, S::Commissioned),
            (S::Answered, A::Decline, S::Declined),
            (S::Draft, A::Cancel, S::Cancelled),
            (S::Sent, A::Cancel, S::Cancelled),
            (S::Answered, A::Cancel, S::Cancelled),
        ];
        for from in S::ALL {
            for action in A::ALL {
                let expected = legal
                    .iter()
                    .find(|(f, a, _)| f == from && a == action)
                    .map(|(_, _, to)| *to);
                assert_eq!(from.transition(*action).ok(), expected, "{from} --{action}");
            }
        }
        assert_eq!(
            S::Sent
                .transition(A::Commission)
                .err()
                .map(|e| e.to_string()),
            Some("a course_request in state `sent` cannot `commission`".to_owned())
        );
    }

    #[test]
    fn answers_say_what_they_offer_and_declines_only_why() {
        let offer = |f: fn(&mut AnswerDraft)| {
            let mut d = AnswerDraft {
                response: "offer".into(),
                proposal: Some("Kvällskurs CNC, 12 veckor".into()),
                price_minor: Some(4_500_000),
                currency: Some("SEK".into()),
                seats: Some(10),
                start: date("2027-03-01"),
                ..Default::default()
            };
            f(&mut d);
            Answer::parse(d, today())
        };
        assert!(offer(|_| {}).is_ok());
        assert!(offer(|d| d.proposal = None).is_err(), "offer or proposal");
        assert!(offer(|d| d.currency = None).is_err());
        assert!(offer(|d| d.seats = Some(0)).is_err());
        assert!(offer(|d| d.start = date("2020-01-01")).is_err());
        let decline = Answer::parse(
            AnswerDraft {
                response: "decline".into(),
                note: Some("Ingen lärare ledig".into()),
                ..Default::default()
            },
            today(),
        );
        assert!(decline.is_ok());
        let noisy = offer(|d| d.response = "decline".into());
        assert!(noisy.is_err_and(|e| e.field_errors().len() >= 3));
    }

    proptest! {
        /// Whatever needs are pooled, the total is their sum, every municipality appears once,
        /// and every competence any need asks for is in the request.
        #[test]
        fn pooling_loses_no_demand(
            rows in proptest::collection::vec(
                (0usize..4, 1u32..500, proptest::collection::vec((0usize..5, any::<bool>()), 0..4)),
                1..12,
            )
        ) {
            let codes = ["1438", "1460", "1439", "1461"];
            let labels = ["CNC", "mätteknik", "CAM", "svetsning", "truck"];
            let needs: Vec<PooledNeed> = rows.iter().enumerate().map(|(i, (m, h, comps))| {
                need(i as u128 + 1, codes[*m], *h, comps.iter().map(|(l, must)| competence(
                    labels[*l],
                    if *must { Importance::MustHave } else { Importance::NiceToHave },
                    None,
                )).collect())
            }).collect();
            let ids: Vec<u128> = (1..=needs.len() as u128).collect();
            let spec = CourseRequestSpec::pool(draft(&ids), &needs, today());
            prop_assert!(spec.is_ok());
            let spec = spec.unwrap_or_else(|_| unreachable!());
            prop_assert_eq!(spec.total_headcount, rows.iter().map(|r| r.1).sum::<u32>());
            let distinct: BTreeSet<&str> = needs.iter().map(|n| n.municipality.as_str()).collect();
            prop_assert_eq!(spec.municipalities.len(), distinct.len());
            for n in &needs {
                for c in &n.competences {
                    let found = spec.competences.iter().find(|s| s.label.as_str().eq_ignore_ascii_case(c.label.as_str()));
                    prop_assert!(found.is_some());
                    if c.importance == Importance::MustHave {
                        prop_assert_eq!(found.map(|f| f.importance), Some(Importance::MustHave));
                    }
                }
            }
        }
    }
}
