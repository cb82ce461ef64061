//! Course offers (utbildningsutbud) and their scheduled instances.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::error::Validator;
use crate::geo::MunicipalityCode;
use crate::lifecycle::Lifecycle;
use crate::support::{SupportToolLink, SupportToolLinkDraft};
use crate::values::{EqfLevel, Lang, LongText, Money, Name, Pace, WebUrl};
use crate::{DomainError, TransitionError, string_enum};

string_enum! {
    /// How a course is given.
    pub enum Delivery {
        OnSite = "on_site",
        Distance = "distance",
        Blended = "blended",
    }
}

string_enum! {
    /// Where an offer is in its life. Only published offers are public.
    pub enum OfferStatus {
        Draft = "draft",
        Published = "published",
        Archived = "archived",
    }
}

string_enum! {
    pub enum OfferAction {
        Publish = "publish",
        Unpublish = "unpublish",
        Archive = "archive",
    }
}

impl Lifecycle for OfferStatus {
    type Action = OfferAction;
    const ACTIONS: &'static [OfferAction] = OfferAction::ALL;

    fn transition(self, action: OfferAction) -> Result<Self, TransitionError> {
        use OfferAction as A;
        use OfferStatus as S;
        match (self, action) {
            (S::Draft, A::Publish) => Ok(S::Published),
            (S::Published, A::Unpublish) => Ok(S::Draft),
            (S::Draft | S::Published, A::Archive) => Ok(S::Archived),
            (from, action) => Err(TransitionError {
                entity: "offer",
                from: from.as_str(),
                action: action.as_str(),
            }),
        }
    }
}

pub use crate::support::SupportTool;

/// Raw input for one scheduled instance.
#[derive(Debug, Clone, Default)]
pub struct InstanceDraft {
    pub id: Option<Uuid>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub municipality: Option<String>,
    pub place: Option<String>,
    pub distance: bool,
    pub pace_percent: Option<i64>,
    pub seats: Option<i64>,
    pub application_deadline: Option<NaiveDate>,
}

/// One scheduled run of a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CourseInstance {
    pub id: Uuid,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    /// Where it is held; `None` for a pure distance instance.
    pub municipality: Option<MunicipalityCode>,
    pub place: Option<Name>,
    pub distance: bool,
    pub pace: Pace,
    pub seats: Option<u32>,
    pub application_deadline: Option<NaiveDate>,
}

impl CourseInstance {
    pub fn parse(raw: InstanceDraft) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let Some(start) = raw.start else {
            return Err(DomainError::invalid("start", "a start date is required"));
        };
        if let Some(end) = raw.end
            && end < start
        {
            v.fail("end", "must not be before the start date");
        }
        if let Some(deadline) = raw.application_deadline
            && deadline > start
        {
            v.fail("application_deadline", "must not be after the start date");
        }
        let municipality = v.check(
            "municipality",
            raw.municipality
                .as_deref()
                .map(MunicipalityCode::parse)
                .transpose(),
        );
        let place = v.check(
            "place",
            raw.place
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(Name::parse)
                .transpose(),
        );
        if !raw.distance && raw.municipality.is_none() {
            v.fail(
                "municipality",
                "an on-site instance needs a municipality (or set distance)",
            );
        }
        let pace = v.check(
            "pace_percent",
            raw.pace_percent.map(Pace::parse).transpose(),
        );
        let seats = match raw.seats {
            None => Some(None),
            Some(n) => match u32::try_from(n) {
                Ok(s @ 1..=100_000) => Some(Some(s)),
                _ => {
                    v.fail("seats", format!("must be between 1 and 100000 (got {n})"));
                    None
                }
            },
        };
        v.finish()?;
        match (municipality, place, pace, seats) {
            (Some(municipality), Some(place), Some(pace), Some(seats)) => Ok(Self {
                id: raw.id.unwrap_or_else(Uuid::now_v7),
                start,
                end: raw.end,
                municipality,
                place,
                distance: raw.distance,
                pace: pace.unwrap_or(Pace::FULL_TIME),
                seats,
                application_deadline: raw.application_deadline,
            }),
            _ => Err(DomainError::invalid("", "invalid instance")),
        }
    }
}

/// Raw input for an offer.
#[derive(Debug, Clone, Default)]
pub struct OfferDraft {
    pub provider_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    pub language: Option<String>,
    pub competence_ids: Vec<Uuid>,
    pub competence_labels: Vec<String>,
    pub level: Option<i64>,
    pub delivery: String,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub validation_offered: bool,
    pub link: Option<String>,
    /// Bare tool names (the older form); merged with `support_tool_links`.
    pub support_tools: Vec<String>,
    pub support_tool_links: Vec<SupportToolLinkDraft>,
    pub instances: Vec<InstanceDraft>,
}

/// The validated content of an offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferSpec {
    pub provider_id: Uuid,
    pub title: Name,
    pub description: Option<LongText>,
    pub language: Lang,
    pub competence_ids: Vec<Uuid>,
    pub competence_labels: Vec<crate::values::Label>,
    pub level: Option<EqfLevel>,
    pub delivery: Delivery,
    pub cost: Option<Money>,
    pub validation_offered: bool,
    pub link: Option<WebUrl>,
    pub support_tools: Vec<SupportToolLink>,
    pub instances: Vec<CourseInstance>,
}

/// At most this many scheduled instances per offer.
pub const MAX_INSTANCES_PER_OFFER: usize = 50;

impl OfferSpec {
    pub fn parse(draft: OfferDraft) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let provider_id = draft.provider_id;
        if provider_id.is_none() {
            v.fail("provider_id", "the offering organisation is required");
        }
        let title = v.check("title", Name::parse(&draft.title));
        let description = v.check(
            "description",
            crate::values::optional_long_text(draft.description.as_deref()),
        );
        let language = v.check(
            "language",
            draft.language.as_deref().map(Lang::parse).transpose(),
        );
        let level = v.check("level", draft.level.map(EqfLevel::parse).transpose());
        let delivery = v.check("delivery", Delivery::parse(&draft.delivery));
        let cost = match (draft.cost_minor, draft.currency.as_deref()) {
            (None, _) => Some(None),
            (Some(minor), Some(currency)) => {
                v.check("cost_minor", Money::parse(minor, currency).map(Some))
            }
            (Some(_), None) => {
                v.fail("currency", "required when cost_minor is given");
                None
            }
        };
        let link = v.check(
            "link",
            draft
                .link
                .as_deref()
                .filter(|l| !l.trim().is_empty())
                .map(WebUrl::parse)
                .transpose(),
        );
        let mut labels = Vec::new();
        for (i, l) in draft.competence_labels.iter().enumerate() {
            if let Some(l) = v.check(
                &format!("competence_labels[{i}]"),
                crate::values::Label::parse(l),
            ) {
                labels.push(l);
            }
        }
        if draft.competence_ids.is_empty() && labels.is_empty() && v.is_empty() {
            v.fail(
                "competences",
                "name at least one competence the course teaches",
            );
        }
        let tools = v.check(
            "",
            crate::support::parse_links(&draft.support_tools, &draft.support_tool_links),
        );
        if draft.instances.len() > MAX_INSTANCES_PER_OFFER {
            v.fail(
                "instances",
                format!("at most {MAX_INSTANCES_PER_OFFER} instances per offer"),
            );
        }
        let mut instances = Vec::new();
        for (i, raw) in draft.instances.into_iter().enumerate() {
            if let Some(inst) = v.check(&format!("instances[{i}]"), CourseInstance::parse(raw)) {
                instances.push(inst);
            }
        }
        v.finish()?;
        let mut competence_ids = draft.competence_ids;
        competence_ids.sort();
        competence_ids.dedup();
        instances.sort_by_key(|i| (i.start, i.id));
        match (
            provider_id,
            title,
            description,
            language,
            level,
            delivery,
            cost,
            (link, tools),
        ) {
            (
                Some(provider_id),
                Some(title),
                Some(description),
                Some(language),
                Some(level),
                Some(delivery),
                Some(cost),
                (Some(link), Some(tools)),
            ) => Ok(Self {
                provider_id,
                title,
                description,
                language: language.unwrap_or(Lang::Sv),
                competence_ids,
                competence_labels: labels,
                level,
                delivery,
                cost,
                validation_offered: draft.validation_offered,
                link,
                support_tools: tools,
                instances,
            }),
            _ => Err(DomainError::invalid("", "invalid offer")),
        }
    }

    /// An offer needs a scheduled instance before it can be published.
    pub fn check_publishable(&self) -> Result<(), DomainError> {
        if self.instances.is_empty() {
            return Err(DomainError::invalid(
                "instances",
                "an offer needs at least one scheduled instance to be published",
            ));
        }
        Ok(())
    }

    /// The first start date on or after `today`, if any.
    pub fn next_start(&self, today: NaiveDate) -> Option<NaiveDate> {
        self.instances
            .iter()
            .map(|i| i.start)
            .filter(|s| *s >= today)
            .min()
    }
}

/// A stored offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub id: Uuid,
    pub spec: OfferSpec,
    pub status: OfferStatus,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    pub version: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Option<NaiveDate> {
        s.parse().ok()
    }

    fn draft() -> OfferDraft {
        OfferDraft {
            provider_id: Some(Uuid::nil()),
            title: "MIG/MAG-svetsning grundkurs".into(),
            delivery: "on_site".into(),
            competence_labels: vec!["MIG/MAG-svetsning".into()],
            instances: vec![InstanceDraft {
                start: date("2027-02-01"),
                end: date("2027-05-28"),
                municipality: Some("1460".into()),
                seats: Some(12),
                application_deadline: date("2027-01-15"),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_offer_parses() {
        let spec = OfferSpec::parse(draft());
        assert!(spec.is_ok(), "{spec:?}");
    }

    #[test]
    fn instance_dates_must_be_in_order() {
        let mut d = draft();
        d.instances[0].end = date("2027-01-01");
        d.instances[0].application_deadline = date("2027-03-01");
        let err = OfferSpec::parse(d)
            .err()
            .unwrap_or_else(|| DomainError::Invalid(vec![]));
        let fields: Vec<&str> = err
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert!(fields.contains(&"instances[0].end"), "{fields:?}");
        assert!(
            fields.contains(&"instances[0].application_deadline"),
            "{fields:?}"
        );
    }

    #[test]
    fn costs_need_a_currency() {
        let mut d = draft();
        d.cost_minor = Some(150_000);
        assert!(OfferSpec::parse(d.clone()).is_err());
        d.currency = Some("SEK".into());
        assert!(OfferSpec::parse(d).is_ok());
    }

    #[test]
    fn an_offer_without_instances_cannot_be_published() {
        let mut d = draft();
        d.instances.clear();
        let spec = OfferSpec::parse(d);
        assert!(spec.is_ok_and(|s| s.check_publishable().is_err()));
    }

    #[test]
    fn offers_move_only_along_their_lifecycle() {
        assert_eq!(
            OfferStatus::Draft.transition(OfferAction::Publish),
            Ok(OfferStatus::Published)
        );
        assert_eq!(
            OfferStatus::Published.transition(OfferAction::Archive),
            Ok(OfferStatus::Archived)
        );
        assert!(
            OfferStatus::Archived
                .transition(OfferAction::Publish)
                .is_err()
        );
        assert!(
            OfferStatus::Published
                .transition(OfferAction::Publish)
                .is_err()
        );
    }
}
