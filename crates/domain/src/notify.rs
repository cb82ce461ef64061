//! Who hears about what. Every write becomes an event tagged with topics (the municipalities,
//! competences, focus areas, platforms and organisations it concerns); a person's subscriptions
//! and an organisation's webhook endpoints are sets of topics, and an event reaches them when
//! the sets meet. Webhook retries follow the backoff schedule here.

use std::collections::BTreeSet;
use std::fmt;

use uuid::Uuid;

use crate::FieldError;
use crate::platform::FocusArea;

/// Something an event concerns and a person can follow.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    /// A municipality, by its official code.
    Municipality(String),
    /// A taxonomy concept.
    Competence(Uuid),
    /// A forum focus area.
    FocusArea(FocusArea),
    /// A local platform or forum.
    Platform(Uuid),
    /// An organisation (a provider, an employer, a responsible actor).
    Organisation(Uuid),
}

/// The topic kinds, as written before the colon of a topic key.
pub const TOPIC_KINDS: &[&str] = &[
    "municipality",
    "competence",
    "focus_area",
    "platform",
    "organisation",
];

impl Topic {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Municipality(_) => "municipality",
            Self::Competence(_) => "competence",
            Self::FocusArea(_) => "focus_area",
            Self::Platform(_) => "platform",
            Self::Organisation(_) => "organisation",
        }
    }

    pub fn value(&self) -> String {
        match self {
            Self::Municipality(code) => code.clone(),
            Self::Competence(id) | Self::Platform(id) | Self::Organisation(id) => id.to_string(),
            Self::FocusArea(area) => area.as_str().to_owned(),
        }
    }

    /// `kind:value`, the form stored and compared.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind(), self.value())
    }

    /// Parses a kind and a value as a client sends them. Municipality codes are 4 digits
    /// (Sweden, Norway); ids are UUIDs; focus areas are the forum's names.
    pub fn parse(kind: &str, value: &str) -> Result<Self, FieldError> {
        let value = value.trim();
        let uuid = || {
            Uuid::parse_str(value)
                .map_err(|_| FieldError::new("value", format!("`{value}` is not a UUID")))
        };
        match kind.trim() {
            // The stored key: four digits, or the country-qualified form (`NO-1438`) of a
            // municipality whose digits the other country has too.
            "municipality" => crate::geo::MunicipalityCode::parse(value)
                .map(|code| Self::Municipality(code.as_str().to_owned()))
                .map_err(|_| {
                    FieldError::new(
                        "value",
                        format!(
                            "`{value}` is not a municipality code (4 digits, or qualified like NO-1438)"
                        ),
                    )
                }),
            "competence" => uuid().map(Self::Competence),
            "platform" => uuid().map(Self::Platform),
            "organisation" => uuid().map(Self::Organisation),
            "focus_area" => FocusArea::parse(value).map(Self::FocusArea).map_err(|_| {
                FieldError::new(
                    "value",
                    format!(
                        "`{value}` is not a focus area; use one of: {}",
                        FocusArea::ALL
                            .iter()
                            .map(|a| a.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            }),
            other => Err(FieldError::new(
                "kind",
                format!(
                    "`{other}` is not a topic kind; use one of: {}",
                    TOPIC_KINDS.join(", ")
                ),
            )),
        }
    }

    /// Reads a stored `kind:value` key back.
    pub fn from_key(key: &str) -> Option<Self> {
        let (kind, value) = key.split_once(':')?;
        Self::parse(kind, value).ok()
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// The topics an object's public snapshot (its API representation) concerns. Reads the field
/// names the API uses throughout: `municipality`, `municipalities` (codes or `{code}` objects),
/// `instances[].municipality`, `competences[].concept_id`, `focus_area`, `platform_id`, and the
/// organisation fields `provider_id`, `employer_id`, `organisation_id`,
/// `responsible_organisation_id`.
pub fn topics_of(snapshot: &serde_json::Value) -> BTreeSet<Topic> {
    let mut out = BTreeSet::new();
    let Some(obj) = snapshot.as_object() else {
        return out;
    };
    let mut municipality = |v: &serde_json::Value| {
        let code = v
            .as_str()
            .or_else(|| v.get("code").and_then(|c| c.as_str()));
        if let Some(t) = code.and_then(|c| Topic::parse("municipality", c).ok()) {
            out.insert(t);
        }
    };
    if let Some(m) = obj.get("municipality") {
        municipality(m);
    }
    for key in ["municipalities", "instances"] {
        for item in obj
            .get(key)
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            match key {
                "instances" => {
                    if let Some(m) = item.get("municipality") {
                        municipality(m);
                    }
                }
                _ => municipality(item),
            }
        }
    }
    let uuid_at = |v: Option<&serde_json::Value>| {
        v.and_then(|x| x.as_str())
            .and_then(|s| Uuid::parse_str(s).ok())
    };
    for c in obj
        .get("competences")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        if let Some(id) = uuid_at(c.get("concept_id")) {
            out.insert(Topic::Competence(id));
        }
    }
    if let Some(area) = obj
        .get("focus_area")
        .and_then(|v| v.as_str())
        .and_then(|s| FocusArea::parse(s).ok())
    {
        out.insert(Topic::FocusArea(area));
    }
    if let Some(id) = uuid_at(obj.get("platform_id")) {
        out.insert(Topic::Platform(id));
    }
    for key in [
        "provider_id",
        "employer_id",
        "organisation_id",
        "responsible_organisation_id",
    ] {
        if let Some(id) = uuid_at(obj.get(key)) {
            out.insert(Topic::Organisation(id));
        }
    }
    out
}

/// A one-line label for an event about the write from `before` to `after`, when the object has
/// a title or name it may show. A draft's title is never shown: followers of a municipality
/// need not be in the draft's scope, and the link still tells those in scope where to look.
pub fn event_title(
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Option<String> {
    if before.into_iter().chain(after).any(is_draft) {
        return None;
    }
    after.or(before).and_then(title_of)
}

/// A one-line label for an object: its title or name, when it has one.
pub fn title_of(snapshot: &serde_json::Value) -> Option<String> {
    ["title", "name"]
        .iter()
        .find_map(|k| snapshot.get(*k).and_then(|v| v.as_str()))
        .map(|s| s.chars().take(200).collect())
}

/// The title of an event about a membership: who joined (the person, else the organisation)
/// and which group, or the group's name alone when neither is named.
pub fn membership_title(person: Option<&str>, organisation: Option<&str>, group: &str) -> String {
    let title = match person.or(organisation).filter(|w| !w.trim().is_empty()) {
        Some(who) => format!("{who} in {group}"),
        None => group.to_owned(),
    };
    title.chars().take(200).collect()
}

/// Whether a snapshot is a draft, whose title is never shown.
pub fn is_draft(snapshot: &serde_json::Value) -> bool {
    snapshot.get("status").and_then(|v| v.as_str()) == Some("draft")
}

crate::string_enum! {
    /// Where a webhook delivery stands: waiting for its next attempt, received, or given up
    /// after its last attempt failed.
    pub enum DeliveryStatus {
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
}

/// How a webhook endpoint retries a failed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure, in seconds; doubles with each further failure.
    pub base_secs: u64,
    /// The longest delay between two attempts, in seconds.
    pub max_delay_secs: u64,
    /// Attempts in all, after which the delivery is given up (`failed`).
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // 30 s, 1 min, 2 min, ... capped at 1 h: eight attempts span about two hours, long
        // enough to ride out a partner's deploy or short outage.
        Self {
            base_secs: 30,
            max_delay_secs: 3600,
            max_attempts: 8,
        }
    }
}

/// What to do after an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this many seconds.
    RetryIn(u64),
    /// Stop: the attempts are used up.
    GiveUp,
}

impl RetryPolicy {
    /// `attempts` is how many attempts have been made, the failed one included.
    pub fn after_failure(&self, attempts: u32) -> AfterFailure {
        if attempts >= self.max_attempts {
            return AfterFailure::GiveUp;
        }
        let doublings = attempts.saturating_sub(1).min(32);
        let delay = self
            .base_secs
            .saturating_mul(1u64 << doublings)
            .min(self.max_delay_secs);
        AfterFailure::RetryIn(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn a_drafts_title_is_never_an_event_title() {
        let draft = json!({"title": "Hemlig plan", "status": "draft"});
        let open = json!({"title": "Svetsare", "status": "open"});
        assert_eq!(event_title(None, Some(&draft)), None);
        assert_eq!(event_title(Some(&draft), Some(&open)), None);
        assert_eq!(event_title(Some(&draft), None), None);
        assert_eq!(
            event_title(Some(&open), Some(&open)),
            Some("Svetsare".to_owned())
        );
        assert_eq!(
            event_title(None, Some(&json!({"name": "Vänersborgs kommun"}))),
            Some("Vänersborgs kommun".to_owned())
        );
    }

    #[test]
    fn a_membership_is_titled_by_who_joined_which_group() {
        assert_eq!(
            membership_title(
                Some("Eva Lund"),
                Some("Dals-Eds kommun"),
                "Lokalt kompetensråd"
            ),
            "Eva Lund in Lokalt kompetensråd"
        );
        assert_eq!(
            membership_title(None, Some("Dals-Eds kommun"), "Rådet"),
            "Dals-Eds kommun in Rådet"
        );
        assert_eq!(membership_title(None, None, "Rådet"), "Rådet");
    }

    #[test]
    fn a_needs_employer_is_concerned() {
        let employer = Uuid::from_u128(5);
        let topics =
            topics_of(&json!({"municipality": "1438", "employer_id": employer.to_string()}));
        assert!(topics.contains(&Topic::Organisation(employer)));
    }

    #[test]
    fn need_snapshot_yields_its_municipality_platform_and_competences() {
        let c = Uuid::from_u128(7);
        let p = Uuid::from_u128(9);
        let topics = topics_of(&json!({
            "title": "Svetsare",
            "municipality": "1438",
            "platform_id": p.to_string(),
            "competences": [{"concept_id": c.to_string(), "label": "svetsning"}, {"concept_id": null, "label": "fri text"}],
        }));
        let keys: Vec<String> = topics.iter().map(Topic::key).collect();
        assert_eq!(
            keys,
            vec![
                "municipality:1438".to_owned(),
                format!("competence:{c}"),
                format!("platform:{p}"),
            ]
        );
    }

    #[test]
    fn offers_course_requests_and_proposals_yield_their_places_and_organisations() {
        let org = Uuid::from_u128(3);
        let offer = topics_of(&json!({
            "provider_id": org.to_string(),
            "instances": [{"municipality": "1485"}, {"municipality": null}],
        }));
        assert!(offer.contains(&Topic::Municipality("1485".into())));
        assert!(offer.contains(&Topic::Organisation(org)));
        let request =
            topics_of(&json!({"municipalities": [{"code": "1438", "name": "Dals-Ed"}, "1460"]}));
        assert_eq!(request.len(), 2);
        let proposal = topics_of(
            &json!({"focus_area": "inclusion_and_integration", "responsible_organisation_id": org.to_string()}),
        );
        assert!(proposal.contains(&Topic::FocusArea(FocusArea::InclusionAndIntegration)));
        assert!(proposal.contains(&Topic::Organisation(org)));
    }

    #[test]
    fn malformed_values_are_ignored_not_guessed() {
        let topics = topics_of(
            &json!({"municipality": "Dals-Ed", "platform_id": "x", "focus_area": "sport"}),
        );
        assert!(topics.is_empty());
        assert!(topics_of(&json!([1, 2])).is_empty());
    }

    #[test]
    fn parse_names_the_field_that_is_wrong() {
        let field = |kind: &str, value: &str| Topic::parse(kind, value).err().map(|e| e.field);
        assert_eq!(field("colour", "red").as_deref(), Some("kind"));
        assert_eq!(field("municipality", "14").as_deref(), Some("value"));
        assert_eq!(field("focus_area", "sport").as_deref(), Some("value"));
        assert_eq!(
            Topic::from_key("focus_area:lifelong_learning"),
            Some(Topic::FocusArea(FocusArea::LifelongLearning))
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_then_gives_up() {
        let p = RetryPolicy {
            base_secs: 10,
            max_delay_secs: 50,
            max_attempts: 5,
        };
        let delays: Vec<AfterFailure> = (1..=5).map(|n| p.after_failure(n)).collect();
        assert_eq!(
            delays,
            vec![
                AfterFailure::RetryIn(10),
                AfterFailure::RetryIn(20),
                AfterFailure::RetryIn(40),
                AfterFailure::RetryIn(50),
                AfterFailure::GiveUp,
            ]
        );
    }

    proptest! {
        #[test]
        fn keys_round_trip(code in "((SE|NO)-)?(0[1-9]|[1-9][0-9])[0-9]{2}", id in any::<u128>()) {
            for t in [Topic::Municipality(code.clone()), Topic::Competence(Uuid::from_u128(id)), Topic::Platform(Uuid::from_u128(id)), Topic::Organisation(Uuid::from_u128(id))] {
                prop_assert_eq!(Topic::from_key(&t.key()), Some(t));
            }
        }

        #[test]
        fn backoff_never_shrinks_and_never_exceeds_the_cap(base in 0u64..1000, cap in 0u64..100_000, max in 1u32..40) {
            let p = RetryPolicy { base_secs: base, max_delay_secs: cap, max_attempts: max };
            let mut last = 0;
            for n in 1..max {
                match p.after_failure(n) {
                    AfterFailure::RetryIn(d) => { prop_assert!(d >= last && d <= cap); last = d; }
                    AfterFailure::GiveUp => prop_assert!(false, "gave up early at {}", n),
                }
            }
            prop_assert_eq!(p.after_failure(max), AfterFailure::GiveUp);
        }
    }
}
