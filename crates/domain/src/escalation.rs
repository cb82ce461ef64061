//! Escalation in the local platform model (Fyrbodal): a need is brokered on its municipality's own
//! platform first; when it stays unmatched there too long, or when pooling shows the same demand
//! in another municipality the next platform up serves, it moves one step up the chain (local ->
//! cluster -> sub-region). Never past the top, never twice for the same reason.
//!
//! Pure rules: the caller passes the platforms, the need's standing, its pooling partners and
//! "today"; nothing here reads a clock or a database.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::need::NeedStatus;
use crate::values::{Lang, LongText};
use crate::{TransitionError, string_enum};

string_enum! {
    /// Where a need is being brokered.
    pub enum EscalationLevel {
        /// The municipality's own platform.
        Local = "local",
        /// The platform of a municipality cluster (e.g. Dalsland).
        Cluster = "cluster",
        /// The sub-region's platform (e.g. Fyrbodal), the top of the chain.
        Subregional = "subregional",
    }
}

impl EscalationLevel {
    /// The level a platform brokers at, from where it sits: the top of a chain (no parent) serves
    /// the sub-region, a platform of a municipality cluster the cluster, any other one locally.
    pub fn of_platform(has_cluster: bool, has_parent: bool) -> Self {
        match (has_cluster, has_parent) {
            (_, false) => Self::Subregional,
            (true, true) => Self::Cluster,
            (false, true) => Self::Local,
        }
    }
}

/// A platform as the escalation rule sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformStep {
    pub id: Uuid,
    pub name: String,
    pub level: EscalationLevel,
    /// The platform a need escalates to; `None` at the top.
    pub parent_id: Option<Uuid>,
    /// Municipality codes the platform serves.
    pub municipalities: Vec<String>,
    /// Days without an accepted match before a need escalates from here.
    pub escalate_after_days: u32,
}

impl PlatformStep {
    pub fn covers(&self, code: &str) -> bool {
        self.municipalities.iter().any(|m| m == code)
    }
}

/// Why a need moved up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EscalationReason {
    /// No accepted match for `days` days on the platform it left.
    Unmatched { platform_id: Uuid, days: u32 },
    /// A pooling suggestion found the same demand in a municipality the next platform serves.
    Pooled {
        partner_need_id: Uuid,
        partner_municipality: String,
        /// How the partner reads in an English sentence, e.g. `Bengtsfors need "CNC-operatörer"`.
        partner_label: String,
        /// The partner municipality's name and the partner need's title, from which the other
        /// languages name it ([`partner_label`]). Escalations recorded before they were kept
        /// lack them and read `partner_label` as written.
        #[serde(skip_serializing_if = "Option::is_none")]
        partner_place: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        partner_title: Option<String>,
    },
    /// A broker escalated by hand.
    Manual { note: LongText },
}

impl EscalationReason {
    /// Identifies the reason so the same one never escalates a need twice: one per platform left
    /// unmatched, one per pooling partner. Manual escalations are never repeats.
    pub fn key(&self) -> Option<String> {
        match self {
            Self::Unmatched { platform_id, .. } => Some(format!("unmatched:{platform_id}")),
            Self::Pooled {
                partner_need_id, ..
            } => Some(format!("pooled:{partner_need_id}")),
            Self::Manual { .. } => None,
        }
    }

    /// `unmatched`, `pooled` or `manual`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unmatched { .. } => "unmatched",
            Self::Pooled { .. } => "pooled",
            Self::Manual { .. } => "manual",
        }
    }

    /// A sentence for the need's history, e.g. `escalated to Dalsland: unmatched for 21 days`.
    /// The history stores it in English; [`escalation_text`] reads it in another language.
    pub fn describe(&self, to: &str) -> String {
        self.describe_in(to, Lang::En)
    }

    /// [`describe`](Self::describe) in `lang`. A broker's note is given as written.
    pub fn describe_in(&self, to: &str, lang: Lang) -> String {
        match (self, lang) {
            (Self::Unmatched { days, .. }, Lang::En) => {
                format!("escalated to {to}: unmatched for {days} days")
            }
            (Self::Unmatched { days, .. }, Lang::Sv) => {
                format!("eskalerat till {to}: utan matchning i {days} dagar")
            }
            (Self::Unmatched { days, .. }, Lang::Nb) => {
                format!("eskalert til {to}: uten match i {days} dager")
            }
            (pooled @ Self::Pooled { .. }, Lang::En) => {
                let partner_label = pooled.partner_label_in(lang);
                format!("escalated to {to}: pooled with {partner_label}")
            }
            (pooled @ Self::Pooled { .. }, Lang::Sv) => {
                let partner_label = pooled.partner_label_in(lang);
                format!("eskalerat till {to}: samlas med {partner_label}")
            }
            (pooled @ Self::Pooled { .. }, Lang::Nb) => {
                let partner_label = pooled.partner_label_in(lang);
                format!("eskalert til {to}: samles med {partner_label}")
            }
            (Self::Manual { note }, Lang::En) => format!("escalated to {to} by a broker: {note}"),
            (Self::Manual { note }, Lang::Sv) => {
                format!("eskalerat till {to} av en mäklare: {note}")
            }
            (Self::Manual { note }, Lang::Nb) => {
                format!("eskalert til {to} av en megler: {note}")
            }
        }
    }

    /// How the pooling partner reads in `lang` (empty for other reasons).
    fn partner_label_in(&self, lang: Lang) -> String {
        match self {
            Self::Pooled {
                partner_place: Some(place),
                partner_title: Some(title),
                ..
            } => partner_label(place, title, lang),
            Self::Pooled { partner_label, .. } => partner_label.clone(),
            Self::Unmatched { .. } | Self::Manual { .. } => String::new(),
        }
    }

    /// Reads a reason back from its stored form (`{"kind": "unmatched", ...}`, as serialised).
    pub fn from_stored(stored: &serde_json::Value) -> Option<Self> {
        let text = |key: &str| stored.get(key).and_then(serde_json::Value::as_str);
        let id = |key: &str| text(key).and_then(|s| s.parse::<Uuid>().ok());
        match text("kind")? {
            "unmatched" => Some(Self::Unmatched {
                platform_id: id("platform_id")?,
                days: u32::try_from(stored.get("days")?.as_u64()?).ok()?,
            }),
            "pooled" => Some(Self::Pooled {
                partner_need_id: id("partner_need_id")?,
                partner_municipality: text("partner_municipality")?.to_owned(),
                partner_label: text("partner_label")?.to_owned(),
                partner_place: text("partner_place").map(str::to_owned),
                partner_title: text("partner_title").map(str::to_owned),
            }),
            "manual" => Some(Self::Manual {
                note: LongText::parse(text("note")?).ok()?,
            }),
            _ => None,
        }
    }
}

/// The text of a stored `escalated` need event (its detail holds `reason` and `to_platform`)
/// in `lang`; `None` when the detail is not one an escalation wrote, so the caller keeps the
/// stored text.
pub fn escalation_text(detail: &serde_json::Value, lang: Lang) -> Option<String> {
    let to = detail.get("to_platform")?.as_str()?;
    let reason = EscalationReason::from_stored(detail.get("reason")?)?;
    Some(reason.describe_in(to, lang))
}

/// How a pooling partner reads in a sentence: its municipality's name and its title, e.g.
/// `Bengtsfors need "CNC-operatörer"`, `Bengtsfors behov "CNC-operatörer"`.
pub fn partner_label(place: &str, title: &str, lang: Lang) -> String {
    let need = match lang {
        Lang::En => "need",
        Lang::Sv | Lang::Nb => "behov",
    };
    format!("{place} {need} \"{title}\"")
}

/// What the rule needs to know about a need.
#[derive(Debug, Clone)]
pub struct NeedStanding<'a> {
    pub status: NeedStatus,
    pub municipality: &'a str,
    /// Whether a broker has accepted any suggestion for it.
    pub has_accepted_match: bool,
    /// The day it arrived on its current platform (entered, or last escalated).
    pub on_platform_since: NaiveDate,
    /// Keys of the reasons it already escalated for ([`EscalationReason::key`]).
    pub past_reasons: &'a [String],
}

/// Another need a pooling suggestion paired this one with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolingPartner {
    pub need_id: Uuid,
    /// The partner's municipality code.
    pub municipality: String,
    /// The name of that municipality, as the sentences give it.
    pub place: String,
    pub title: String,
}

/// One step up the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalation {
    pub from_platform: Uuid,
    pub to_platform: Uuid,
    pub to_level: EscalationLevel,
    pub reason: EscalationReason,
}

/// Whether and where a need escalates today. Pooling evidence comes first (it says where the
/// demand is); then time without an accepted match on the current platform. `parent` must be the
/// current platform's parent (anything else is treated as "no parent").
///
/// Pooling moves a need one cluster step: from a municipality's platform to its cluster when the
/// same demand is in another municipality of the cluster, and from the cluster to the sub-region
/// when it is outside the cluster but inside the sub-region. A municipality that brokers on its
/// own directly under the sub-region (no cluster) keeps its needs until its days have passed or
/// its broker escalates by hand: similar demand somewhere in the sub-region does not say the
/// municipality cannot fill its own.
pub fn decide(
    need: &NeedStanding<'_>,
    current: &PlatformStep,
    parent: Option<&PlatformStep>,
    partners: &[PoolingPartner],
    today: NaiveDate,
) -> Option<Escalation> {
    if !need.status.is_active() {
        return None;
    }
    let parent = parent.filter(|p| Some(p.id) == current.parent_id && p.id != current.id)?;
    let step = |reason: EscalationReason| Escalation {
        from_platform: current.id,
        to_platform: parent.id,
        to_level: parent.level,
        reason,
    };
    let fresh =
        |reason: &EscalationReason| reason.key().is_none_or(|k| !need.past_reasons.contains(&k));
    let cluster_step =
        current.level == EscalationLevel::Cluster || parent.level == EscalationLevel::Cluster;
    let mut candidates: Vec<&PoolingPartner> = partners
        .iter()
        .filter(|p| {
            cluster_step
                && p.municipality != need.municipality
                && !current.covers(&p.municipality)
                && parent.covers(&p.municipality)
        })
        .collect();
    candidates.sort_by(|a, b| (&a.municipality, a.need_id).cmp(&(&b.municipality, b.need_id)));
    for partner in candidates {
        let reason = EscalationReason::Pooled {
            partner_need_id: partner.need_id,
            partner_municipality: partner.municipality.clone(),
            partner_label: partner_label(&partner.place, &partner.title, Lang::En),
            partner_place: Some(partner.place.clone()),
            partner_title: Some(partner.title.clone()),
        };
        if fresh(&reason) {
            return Some(step(reason));
        }
    }
    if need.has_accepted_match {
        return None;
    }
    let days = u32::try_from((today - need.on_platform_since).num_days()).unwrap_or(0);
    if days >= current.escalate_after_days {
        let reason = EscalationReason::Unmatched {
            platform_id: current.id,
            days,
        };
        if fresh(&reason) {
            return Some(step(reason));
        }
    }
    None
}

/// Why a broker's escalation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscalationRefused {
    /// Only needs waiting for an answer (open, in review) escalate.
    #[error(transparent)]
    NotActive(TransitionError),
    /// The need is already on the top platform of its chain.
    #[error("the need is already brokered on {0}, the top of its chain")]
    AtTop(String),
}

/// A broker escalates a need by hand, one step up, with a note saying why.
pub fn manual(
    status: NeedStatus,
    current: &PlatformStep,
    parent: Option<&PlatformStep>,
    note: LongText,
) -> Result<Escalation, EscalationRefused> {
    if !status.is_active() {
        return Err(EscalationRefused::NotActive(TransitionError {
            entity: "need",
            from: status.as_str(),
            action: "escalate",
        }));
    }
    let parent = parent
        .filter(|p| Some(p.id) == current.parent_id && p.id != current.id)
        .ok_or_else(|| EscalationRefused::AtTop(current.name.clone()))?;
    Ok(Escalation {
        from_platform: current.id,
        to_platform: parent.id,
        to_level: parent.level,
        reason: EscalationReason::Manual { note },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.checked_add_days(chrono::Days::new(n)))
            .unwrap_or_default()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// Dals-Ed (1438) -> Dalsland (1438, 1460, 1439) -> Fyrbodal (+ 1485 Uddevalla).
    fn chain() -> Vec<PlatformStep> {
        vec![
            PlatformStep {
                id: id(1),
                name: "Dals-Ed".into(),
                level: EscalationLevel::Local,
                parent_id: Some(id(2)),
                municipalities: vec!["1438".into()],
                escalate_after_days: 21,
            },
            PlatformStep {
                id: id(2),
                name: "Dalsland".into(),
                level: EscalationLevel::Cluster,
                parent_id: Some(id(3)),
                municipalities: vec!["1438".into(), "1460".into(), "1439".into()],
                escalate_after_days: 14,
            },
            PlatformStep {
                id: id(3),
                name: "Fyrbodal".into(),
                level: EscalationLevel::Subregional,
                parent_id: None,
                municipalities: vec!["1438".into(), "1460".into(), "1439".into(), "1485".into()],
                escalate_after_days: 30,
            },
        ]
    }

    fn standing<'a>(since: NaiveDate, past: &'a [String]) -> NeedStanding<'a> {
        NeedStanding {
            status: NeedStatus::Open,
            municipality: "1438",
            has_accepted_match: false,
            on_platform_since: since,
            past_reasons: past,
        }
    }

    fn partner(n: u128, code: &str) -> PoolingPartner {
        PoolingPartner {
            need_id: id(n),
            municipality: code.into(),
            place: format!("kommun {code}"),
            title: "CNC".into(),
        }
    }

    #[test]
    fn a_need_unmatched_past_the_platforms_limit_escalates_one_level() {
        let c = chain();
        let none = decide(&standing(day(0), &[]), &c[0], Some(&c[1]), &[], day(20));
        assert_eq!(none, None, "20 days is not yet 21");
        let up = decide(&standing(day(0), &[]), &c[0], Some(&c[1]), &[], day(21));
        assert_eq!(
            up.as_ref().map(|e| (e.to_platform, e.to_level)),
            Some((id(2), EscalationLevel::Cluster))
        );
        assert_eq!(
            up.map(|e| e.reason.describe("Dalsland")),
            Some("escalated to Dalsland: unmatched for 21 days".to_owned())
        );
    }

    #[test]
    fn a_stored_escalation_reads_in_each_language() {
        let stored = |reason: &EscalationReason| {
            serde_json::json!({
                "text": reason.describe("Dalsland"),
                "reason": reason,
                "to_platform": "Dalsland",
            })
        };
        let unmatched = EscalationReason::Unmatched {
            platform_id: id(1),
            days: 21,
        };
        let detail = stored(&unmatched);
        assert_eq!(
            escalation_text(&detail, Lang::Sv).as_deref(),
            Some("eskalerat till Dalsland: utan matchning i 21 dagar")
        );
        assert_eq!(
            escalation_text(&detail, Lang::Nb).as_deref(),
            Some("eskalert til Dalsland: uten match i 21 dager")
        );
        assert_eq!(
            escalation_text(&detail, Lang::En),
            detail["text"].as_str().map(str::to_owned),
            "English reads as stored"
        );
        let pooled = EscalationReason::Pooled {
            partner_need_id: id(9),
            partner_municipality: "1460".into(),
            partner_label: partner_label("Bengtsfors", "CNC", Lang::En),
            partner_place: Some("Bengtsfors".into()),
            partner_title: Some("CNC".into()),
        };
        assert_eq!(
            pooled.describe("Dalsland"),
            "escalated to Dalsland: pooled with Bengtsfors need \"CNC\""
        );
        assert_eq!(
            escalation_text(&stored(&pooled), Lang::Sv).as_deref(),
            Some("eskalerat till Dalsland: samlas med Bengtsfors behov \"CNC\"")
        );
        assert_eq!(
            escalation_text(&stored(&pooled), Lang::Nb).as_deref(),
            Some("eskalert til Dalsland: samles med Bengtsfors behov \"CNC\"")
        );
        // Recorded before the place and title were kept: the label as written.
        let older = serde_json::json!({
            "reason": {"kind": "pooled", "partner_need_id": id(9), "partner_municipality": "1460",
                       "partner_label": "Bengtsfors need \"CNC\""},
            "to_platform": "Dalsland",
        });
        assert_eq!(
            escalation_text(&older, Lang::Sv).as_deref(),
            Some("eskalerat till Dalsland: samlas med Bengtsfors need \"CNC\"")
        );
        let manual = EscalationReason::Manual {
            note: LongText::parse("Klustret har fler med samma behov")
                .unwrap_or_else(|_| unreachable!("a valid note")),
        };
        assert_eq!(
            escalation_text(&stored(&manual), Lang::Nb).as_deref(),
            Some("eskalert til Dalsland av en megler: Klustret har fler med samma behov")
        );
        assert_eq!(
            escalation_text(&serde_json::json!({"text": "old"}), Lang::Sv),
            None
        );
    }

    #[test]
    fn pooling_with_another_municipality_of_the_cluster_escalates_at_once() {
        let c = chain();
        let up = decide(
            &standing(day(0), &[]),
            &c[0],
            Some(&c[1]),
            &[partner(9, "1460")],
            day(0),
        );
        assert!(
            matches!(up.map(|e| e.reason), Some(EscalationReason::Pooled { partner_need_id, .. }) if partner_need_id == id(9))
        );
    }

    #[test]
    fn pooling_beyond_the_next_platform_or_within_this_one_does_not_escalate() {
        let c = chain();
        // Uddevalla is outside Dalsland: the cluster is not where that demand meets.
        let far = decide(
            &standing(day(0), &[]),
            &c[0],
            Some(&c[1]),
            &[partner(9, "1485")],
            day(0),
        );
        assert_eq!(far, None);
        // On Dalsland, a Bengtsfors partner is already served by the same platform.
        let inside = decide(
            &standing(day(0), &[]),
            &c[1],
            Some(&c[2]),
            &[partner(9, "1460")],
            day(0),
        );
        assert_eq!(inside, None);
        // ... but an Uddevalla partner is demand the sub-region serves.
        let up = decide(
            &standing(day(0), &[]),
            &c[1],
            Some(&c[2]),
            &[partner(10, "1485")],
            day(0),
        );
        assert_eq!(up.map(|e| e.to_platform), Some(id(3)));
    }

    #[test]
    fn a_municipality_without_a_cluster_escalates_by_days_not_by_pooling() {
        let c = chain();
        // Uddevalla brokers on its own, directly under Fyrbodal.
        let uddevalla = PlatformStep {
            id: id(4),
            name: "Uddevalla".into(),
            level: EscalationLevel::Local,
            parent_id: Some(id(3)),
            municipalities: vec!["1485".into()],
            escalate_after_days: 21,
        };
        let mut need = standing(day(0), &[]);
        need.municipality = "1485";
        let pooled = decide(
            &need,
            &uddevalla,
            Some(&c[2]),
            &[partner(9, "1438")],
            day(0),
        );
        assert_eq!(pooled, None);
        let late = decide(
            &need,
            &uddevalla,
            Some(&c[2]),
            &[partner(9, "1438")],
            day(21),
        );
        assert_eq!(late.map(|e| e.reason.kind()), Some("unmatched"));
    }

    #[test]
    fn the_same_reason_never_escalates_twice() {
        let c = chain();
        let past = vec![format!("pooled:{}", id(9)), format!("unmatched:{}", id(1))];
        let again = decide(
            &standing(day(0), &past),
            &c[0],
            Some(&c[1]),
            &[partner(9, "1460")],
            day(60),
        );
        assert_eq!(again, None);
    }

    #[test]
    fn the_top_matched_and_closed_needs_stay_where_they_are() {
        let c = chain();
        assert_eq!(
            decide(&standing(day(0), &[]), &c[2], None, &[], day(400)),
            None
        );
        let mut matched = standing(day(0), &[]);
        matched.has_accepted_match = true;
        assert_eq!(decide(&matched, &c[0], Some(&c[1]), &[], day(60)), None);
        let mut withdrawn = standing(day(0), &[]);
        withdrawn.status = NeedStatus::Withdrawn;
        assert_eq!(
            decide(
                &withdrawn,
                &c[0],
                Some(&c[1]),
                &[partner(9, "1460")],
                day(60)
            ),
            None
        );
        // A platform passed as "parent" that is not the current one's parent is ignored.
        assert_eq!(
            decide(&standing(day(0), &[]), &c[0], Some(&c[2]), &[], day(60)),
            None
        );
    }

    #[test]
    fn a_broker_escalates_by_hand_but_not_past_the_top_or_a_closed_need() {
        let c = chain();
        let note =
            LongText::parse("needs the cluster's providers").unwrap_or_else(|_| unreachable!());
        assert!(manual(NeedStatus::InReview, &c[0], Some(&c[1]), note.clone()).is_ok());
        assert!(matches!(
            manual(NeedStatus::Open, &c[2], None, note.clone()),
            Err(EscalationRefused::AtTop(_))
        ));
        let refused = manual(NeedStatus::Fulfilled, &c[0], Some(&c[1]), note);
        assert_eq!(
            refused.err().map(|e| e.to_string()),
            Some("a need in state `fulfilled` cannot `escalate`".to_owned())
        );
    }

    #[test]
    fn levels_follow_the_place_in_the_chain() {
        assert_eq!(
            EscalationLevel::of_platform(false, true),
            EscalationLevel::Local
        );
        assert_eq!(
            EscalationLevel::of_platform(true, true),
            EscalationLevel::Cluster
        );
        assert_eq!(
            EscalationLevel::of_platform(false, false),
            EscalationLevel::Subregional
        );
    }

    proptest! {
        /// Whatever happens day by day (time passing, pooling partners appearing anywhere), a need
        /// walks up one parent at a time, stops at the top, and never repeats a reason.
        #[test]
        fn a_need_walks_up_one_step_at_a_time_and_stops_at_the_top(
            days in proptest::collection::vec((0u64..40, proptest::option::of(0usize..4)), 1..30),
            accepted in any::<bool>(),
        ) {
            let c = chain();
            let codes = ["1438", "1460", "1439", "1485"];
            let mut at = 0usize;
            let mut since = day(0);
            let mut past: Vec<String> = Vec::new();
            let mut partners: Vec<PoolingPartner> = Vec::new();
            let mut today = day(0);
            for (n, (advance, new_partner)) in days.into_iter().enumerate() {
                today = today.checked_add_days(chrono::Days::new(advance)).unwrap_or(today);
                if let Some(i) = new_partner {
                    partners.push(partner(100 + n as u128, codes[i]));
                }
                let need = NeedStanding {
                    status: NeedStatus::Open,
                    municipality: "1438",
                    has_accepted_match: accepted,
                    on_platform_since: since,
                    past_reasons: &past,
                };
                let parent = c.iter().find(|p| Some(p.id) == c[at].parent_id);
                if let Some(e) = decide(&need, &c[at], parent, &partners, today) {
                    prop_assert_eq!(Some(e.to_platform), c[at].parent_id);
                    prop_assert!(e.to_level > c[at].level, "levels only rise");
                    if accepted {
                        prop_assert_eq!(e.reason.kind(), "pooled");
                    }
                    let key = e.reason.key().unwrap_or_default();
                    prop_assert!(!past.contains(&key), "reason {} repeated", key);
                    past.push(key);
                    at = c.iter().position(|p| p.id == e.to_platform).unwrap_or(at);
                    since = today;
                }
            }
            prop_assert!(past.len() < c.len(), "at most one step per link of the chain");
        }
    }
}
