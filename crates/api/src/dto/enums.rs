//! Named enums of the contract for string fields whose values are fixed.
//!
//! The DTO fields stay `String` (their JSON does not change); `#[schema(value_type = ..)]` points
//! the spec at these types so generated clients get real enums. Where the domain has the enum,
//! the values are read from it (`ALL` and `as_str`), so the contract cannot drift from what the
//! service accepts and writes; the few listed by hand are pinned by the tests below.

use std::borrow::Cow;

use broker_domain::{course_request, escalation, forum, matching, need, offer, platform, support};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// Declares a schema-only string enum named `$name` with the values of `$values`.
macro_rules! schema_enum {
    ($(#[doc = $doc:literal])+ $name:ident = $values:expr) => {
        $(#[doc = $doc])+
        pub struct $name;

        impl $name {
            /// The allowed values, in the order the contract lists them.
            pub fn values() -> Vec<&'static str> {
                $values
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(doc_text(&[$($doc),+])))
                    .enum_values(Some($name::values()))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// A doc comment's lines as one description.
fn doc_text(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every value of a domain `string_enum!`.
fn all<T: Copy>(values: &[T], as_str: fn(T) -> &'static str) -> Vec<&'static str> {
    values.iter().copied().map(as_str).collect()
}

schema_enum! {
    /// One of the factors a suggestion's score is made of.
    MatchFactor = broker_matching::engine::FACTOR_NAMES.to_vec()
}
schema_enum! {
    /// Where a webhook delivery stands: waiting (or retrying), delivered, or given up.
    WebhookDeliveryStatus = vec!["pending", "delivered", "failed"]
}
schema_enum! {
    /// What kind of thing a followed topic is.
    TopicKind = vec!["municipality", "competence", "focus_area", "platform", "organisation"]
}
schema_enum! {
    /// Where a need stands in its lifecycle.
    NeedStatus = all(need::NeedStatus::ALL, need::NeedStatus::as_str)
}
schema_enum! {
    /// The status a new need starts in (default `open`).
    NewNeedStatus = vec!["open", "draft"]
}
schema_enum! {
    /// What a need is for.
    NeedPurpose = all(need::NeedPurpose::ALL, need::NeedPurpose::as_str)
}
schema_enum! {
    /// How much a required competence matters.
    Importance = all(need::Importance::ALL, need::Importance::as_str)
}
schema_enum! {
    /// Where a need is being brokered: its own platform, its cluster, or the sub-region.
    EscalationLevel = all(escalation::EscalationLevel::ALL, escalation::EscalationLevel::as_str)
}
schema_enum! {
    /// Why a need was escalated.
    EscalationReason = vec!["unmatched", "pooled", "manual"]
}
schema_enum! {
    /// Where an offer stands in its lifecycle.
    OfferStatus = all(offer::OfferStatus::ALL, offer::OfferStatus::as_str)
}
schema_enum! {
    /// How a course is given.
    DeliveryMode = all(offer::Delivery::ALL, offer::Delivery::as_str)
}
schema_enum! {
    /// What a suggestion points at: a course offer, a contact person, or another need.
    MatchKind = all(matching::MatchKind::ALL, matching::MatchKind::as_str)
}
schema_enum! {
    /// Where a suggestion stands in the review.
    MatchStatus = all(matching::MatchStatus::ALL, matching::MatchStatus::as_str)
}
schema_enum! {
    /// A broker's decision on a suggestion.
    MatchDecision = all(matching::Decision::ALL, matching::Decision::as_str)
}
schema_enum! {
    /// Where a course request stands in its lifecycle.
    CourseRequestStatus =
        all(course_request::CourseRequestStatus::ALL, course_request::CourseRequestStatus::as_str)
}
schema_enum! {
    /// A provider's answer to a course request: it can give the course, or it cannot.
    AnswerResponse = all(course_request::AnswerResponse::ALL, course_request::AnswerResponse::as_str)
}
schema_enum! {
    /// Where an answer stands once the broker decided.
    AnswerStatus = all(course_request::AnswerStatus::ALL, course_request::AnswerStatus::as_str)
}
schema_enum! {
    /// The broker's decision on a course request.
    CourseRequestDecision = vec!["commission", "decline", "cancel"]
}
schema_enum! {
    /// Where a forum proposal stands in its lifecycle.
    ProposalStatus = all(forum::ProposalStatus::ALL, forum::ProposalStatus::as_str)
}
schema_enum! {
    /// Where a recommendation stands in its follow-up.
    RecommendationStatus = all(forum::RecommendationStatus::ALL, forum::RecommendationStatus::as_str)
}
schema_enum! {
    /// The kind of a platform meeting.
    MeetingKind = all(forum::MeetingKind::ALL, forum::MeetingKind::as_str)
}
schema_enum! {
    /// How a platform is organised: a local competence platform, or a forum.
    PlatformModel = all(platform::PlatformModel::ALL, platform::PlatformModel::as_str)
}
schema_enum! {
    /// Who brokers on a local platform.
    BrokerArrangement = all(platform::BrokerArrangement::ALL, platform::BrokerArrangement::as_str)
}
schema_enum! {
    /// The kind of a platform group.
    GroupKind = all(platform::GroupKind::ALL, platform::GroupKind::as_str)
}
schema_enum! {
    /// A focus area of a forum competence group.
    FocusArea = all(platform::FocusArea::ALL, platform::FocusArea::as_str)
}
schema_enum! {
    /// A support tool a need or offer can link to.
    SupportTool = all(support::SupportTool::ALL, support::SupportTool::as_str)
}
schema_enum! {
    /// A language the service speaks: Swedish, Norwegian Bokmål, English.
    Language = broker_domain::values::Lang::ALL.iter().map(|l| l.code()).collect()
}
schema_enum! {
    /// A country served: Sweden or Norway.
    Country = vec!["SE", "NO"]
}
schema_enum! {
    /// What an organisation is.
    OrganisationKind = vec![
        "employer",
        "education_provider",
        "public_agency",
        "employer_organisation",
        "employee_organisation",
        "industry_cluster",
        "ngo",
        "municipality",
    ]
}

schema_enum! {
    /// The areas a gap report groups by; also the kind of area a gap row names.
    AreaKind = vec!["municipality", "cluster", "region"]
}
schema_enum! {
    /// How an activity report splits its period.
    ReportInterval = vec!["all", "month", "quarter", "year"]
}

schema_enum! {
    /// A currency of a course cost.
    Currency = vec!["SEK", "NOK", "EUR"]
}
schema_enum! {
    /// The order of the public listing.
    PublicSort = crate::routes::public::listing::ListingSort::ALL
        .iter()
        .map(|s| s.as_str())
        .collect()
}
schema_enum! {
    /// How a taxonomy search matched a concept: a preferred or alternative label, its words, a
    /// compound part, a fuzzy spelling, or a prefix of what was typed.
    ResolutionMethod = vec!["preferred", "alternative", "words", "compound", "fuzzy", "prefix"]
}
schema_enum! {
    /// What routed a need to a competence group: its industry, or a focus area.
    RouteBasis = vec!["industry", "focus_area"]
}
schema_enum! {
    /// The database the service runs on.
    DatabaseBackend = vec!["sqlite", "postgres"]
}

schema_enum! {
    /// A step of a course request's lifecycle, as its history records it.
    CourseRequestAction =
        all(course_request::CourseRequestAction::ALL, course_request::CourseRequestAction::as_str)
}
schema_enum! {
    /// A step of a forum proposal's lifecycle, as its history records it.
    ProposalAction = all(forum::ProposalAction::ALL, forum::ProposalAction::as_str)
}
schema_enum! {
    /// A follow-up step of a recommendation.
    RecommendationAction = all(forum::RecommendationAction::ALL, forum::RecommendationAction::as_str)
}

schema_enum! {
    /// The order of the review queue: best score first (default), newest or oldest first.
    MatchSort = vec!["score", "newest", "oldest"]
}

#[cfg(test)]
mod tests {
    use broker_domain::geo::Country as DomainCountry;
    use broker_domain::organisation::OrganisationKind as DomainKind;

    #[test]
    fn hand_listed_values_are_the_ones_the_domain_accepts() {
        for v in super::OrganisationKind::values() {
            assert_eq!(DomainKind::parse(v).map(DomainKind::as_str).ok(), Some(v));
        }
        for v in super::Country::values() {
            assert!(DomainCountry::parse(v).is_ok(), "{v}");
        }
        for v in super::Currency::values() {
            assert!(broker_domain::values::Currency::parse(v).is_ok(), "{v}");
        }
    }
}
