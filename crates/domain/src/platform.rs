//! Platforms (arenas), their groups and memberships, and their matching settings.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::geo::MunicipalityCode;
use crate::values::{Name, Period};
use crate::{DomainError, string_enum};

string_enum! {
    /// The two ways regions organise the work.
    pub enum PlatformModel {
        /// Fyrbodal: a local competence platform per municipality or cluster.
        LocalPlatform = "local_platform",
        /// Østfold: a regional forum of equal partners.
        Forum = "forum",
    }
}

string_enum! {
    /// Who brokers for a local platform.
    pub enum BrokerArrangement {
        Municipal = "municipal",
        Cluster = "cluster",
        Subregional = "subregional",
    }
}

string_enum! {
    pub enum GroupKind {
        LocalCompetenceCouncil = "local_competence_council",
        SteeringGroup = "steering_group",
        CoordinationTeam = "coordination_team",
        CompetenceGroup = "competence_group",
        ParticipantForum = "participant_forum",
        WorkingGroup = "working_group",
    }
}

string_enum! {
    /// The forum's focus areas (2020-2021 structure).
    pub enum FocusArea {
        WorkLifeRelevance = "work_life_relevance",
        LifelongLearning = "lifelong_learning",
        InclusionAndIntegration = "inclusion_and_integration",
    }
}

string_enum! {
    /// How far from a need's municipality an on-site course may take place and still be
    /// suggested. Distance courses are not limited by it.
    pub enum Reach {
        /// The need's own municipality only.
        Municipality = "municipality",
        /// The need's municipality and those sharing a cluster with it.
        Cluster = "cluster",
        /// The need's sub-region. The reference data has no level between cluster and region
        /// (Fyrbodal is itself stored as a region), so this reaches as far as `region` there.
        SubRegion = "sub_region",
        /// The need's region (the default).
        Region = "region",
        /// Anywhere.
        Anywhere = "anywhere",
    }
}

#[expect(
    clippy::derivable_impls,
    reason = "string_enum! fixes the derive list; the default is set here"
)]
impl Default for Reach {
    fn default() -> Self {
        Self::Region
    }
}

/// Matching weights and thresholds a platform sets for its suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MatchingSettings {
    pub competence: f64,
    pub text: f64,
    pub geography: f64,
    pub timing: f64,
    pub level: f64,
    pub capacity: f64,
    pub delivery: f64,
    /// Suggestions below this score are not shown.
    pub min_score: f64,
    /// How many suggestions of each kind to keep per need.
    pub max_results: u32,
    /// Days a need stays open before it expires, unless the need says otherwise.
    pub need_ttl_days: u32,
    /// Days without an accepted match before a need escalates to the next level.
    pub escalate_after_days: u32,
    /// How far from the need an on-site course may be (default `region`); stored settings
    /// without it read as the default.
    #[serde(default)]
    pub reach: Reach,
}

impl Default for MatchingSettings {
    fn default() -> Self {
        Self {
            competence: 0.40,
            text: 0.10,
            geography: 0.15,
            timing: 0.10,
            level: 0.05,
            capacity: 0.10,
            delivery: 0.10,
            min_score: 0.35,
            max_results: 10,
            need_ttl_days: 180,
            escalate_after_days: 21,
            reach: Reach::Region,
        }
    }
}

impl MatchingSettings {
    /// Every weight and the threshold in 0..=1, weights not all zero, limits within reason.
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = crate::error::Validator::new();
        let weights = [
            ("competence", self.competence),
            ("text", self.text),
            ("geography", self.geography),
            ("timing", self.timing),
            ("level", self.level),
            ("capacity", self.capacity),
            ("delivery", self.delivery),
            ("min_score", self.min_score),
        ];
        for (name, w) in weights {
            if !(0.0..=1.0).contains(&w) {
                v.fail(name, "must be between 0 and 1");
            }
        }
        if weights[..7].iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
            v.fail("competence", "at least one weight must be above 0");
        }
        if !(1..=100).contains(&self.max_results) {
            v.fail("max_results", "must be between 1 and 100");
        }
        if !(1..=3650).contains(&self.need_ttl_days) {
            v.fail("need_ttl_days", "must be between 1 and 3650");
        }
        if !(1..=365).contains(&self.escalate_after_days) {
            v.fail("escalate_after_days", "must be between 1 and 365");
        }
        v.finish().map(|()| self)
    }
}

/// A platform's active period: the pilot as a trial runs from `active_from` to `active_to`
/// (both inclusive; either open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ActivePeriod {
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

impl ActivePeriod {
    pub fn parse(
        from: Option<chrono::NaiveDate>,
        to: Option<chrono::NaiveDate>,
    ) -> Result<Self, DomainError> {
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            return Err(DomainError::invalid(
                "active_to",
                "must not be before active_from",
            ));
        }
        Ok(Self { from, to })
    }

    /// Whether the platform works on `day`.
    pub fn is_active_on(&self, day: chrono::NaiveDate) -> bool {
        self.from.is_none_or(|f| day >= f) && self.to.is_none_or(|t| day <= t)
    }
}

/// What routing needs to know of a platform serving a need's municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutingCandidate<'a> {
    pub key: &'a str,
    /// How many municipalities the platform serves: the fewest is the closest to the need.
    pub municipality_count: usize,
    pub period: ActivePeriod,
}

/// The platform a need entered on `today` is routed to first, among those serving its
/// municipality: the closest one (a municipality's own local platform before its cluster's,
/// before the sub-region's; ties by key) that works on `today`. A platform whose trial has ended
/// or not begun is passed over, so the need goes where it would if that platform did not exist.
pub fn choose_home_platform<'a, T>(
    serving: impl IntoIterator<Item = (T, RoutingCandidate<'a>)>,
    today: chrono::NaiveDate,
) -> Option<T> {
    serving
        .into_iter()
        .filter(|(_, c)| c.period.is_active_on(today))
        .min_by_key(|(_, c)| (c.municipality_count, c.key))
        .map(|(platform, _)| platform)
}

/// A new need may name its platform (`platform_id`), but only one that works on `today`: routing
/// passes an inactive platform over, and naming it must not get round that.
pub fn check_named_platform(
    period: ActivePeriod,
    today: chrono::NaiveDate,
) -> Result<(), DomainError> {
    match (period.from, period.to) {
        (Some(from), _) if today < from => Err(DomainError::invalid(
            "platform_id",
            format!("the platform is not active yet: its trial begins on {from}"),
        )),
        (_, Some(to)) if today > to => Err(DomainError::invalid(
            "platform_id",
            format!("the platform is no longer active: its trial ended on {to}"),
        )),
        _ => Ok(()),
    }
}

/// A platform key: lower-case letters, digits and dashes, 2..=60 characters (`dals-ed`).
pub fn parse_key(raw: &str) -> Result<String, DomainError> {
    let s = raw.trim();
    let ok = (2..=60).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(DomainError::invalid(
            "",
            "must be 2 to 60 lower-case letters, digits and dashes, e.g. `dals-ed`",
        ))
    }
}

/// How a platform is set up: its model and who brokers for it. A forum has no broker
/// arrangement (its coordination team drives the work); a local platform has one.
pub fn check_arrangement(
    model: PlatformModel,
    arrangement: Option<BrokerArrangement>,
) -> Result<(), DomainError> {
    match (model, arrangement) {
        (PlatformModel::Forum, Some(_)) => Err(DomainError::invalid(
            "broker_arrangement",
            "a forum has no broker arrangement",
        )),
        (PlatformModel::LocalPlatform, None) => Err(DomainError::invalid(
            "broker_arrangement",
            "a local platform names its broker arrangement: municipal, cluster or subregional",
        )),
        _ => Ok(()),
    }
}

/// Longest list of forum goals kept.
pub const MAX_GOALS: usize = 20;

/// A forum's mandate and goals (seed 000: "Kompetanseforum Østfold skal ..." and its six points).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mandate {
    pub mandate: crate::values::LongText,
    pub goals: Vec<crate::values::LongText>,
}

impl Mandate {
    pub fn parse(mandate: &str, goals: &[String]) -> Result<Self, DomainError> {
        let mut v = crate::error::Validator::new();
        let text = v.check("mandate", crate::values::LongText::parse(mandate));
        if goals.len() > MAX_GOALS {
            v.fail("goals", format!("at most {MAX_GOALS} goals"));
        }
        let goals: Vec<_> = goals
            .iter()
            .enumerate()
            .filter_map(|(i, g)| v.check(&format!("goals[{i}]"), crate::values::LongText::parse(g)))
            .collect();
        v.finish()?;
        match text {
            Some(mandate) => Ok(Self { mandate, goals }),
            None => Err(DomainError::invalid("mandate", "invalid")),
        }
    }
}

string_enum! {
    /// How far a municipality has come in the pilot ("några har kommit långt ... vissa ännu
    /// inte hittat fungerande arbetsformer").
    pub enum PilotStage {
        NotStarted = "not_started",
        Starting = "starting",
        Working = "working",
        Established = "established",
    }
}

/// A pilot status as recorded: the stage, a note, and the day it describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PilotStatus {
    pub stage: PilotStage,
    pub note: Option<crate::values::LongText>,
    pub as_of: chrono::NaiveDate,
}

impl PilotStatus {
    /// Validates a status; a day in the future is refused (a status records what has happened).
    pub fn parse(
        stage: &str,
        note: Option<&str>,
        as_of: chrono::NaiveDate,
        today: chrono::NaiveDate,
    ) -> Result<Self, DomainError> {
        let mut v = crate::error::Validator::new();
        let stage = v.check("status", PilotStage::parse(stage));
        let note = v.check("note", crate::values::optional_long_text(note));
        if as_of > today {
            v.fail("as_of", "must not be in the future");
        }
        v.finish()?;
        match (stage, note) {
            (Some(stage), Some(note)) => Ok(Self { stage, note, as_of }),
            _ => Err(DomainError::invalid("status", "invalid")),
        }
    }
}

/// Who may change the structure around a municipality: an admin sets up everything; a broker
/// of a sub-regional platform manages the municipalities that platform serves (its platforms,
/// contact persons and pilot status); nobody else.
pub fn manages_municipality<'a>(
    is_admin: bool,
    broker_platforms: impl IntoIterator<Item = (Option<BrokerArrangement>, &'a [String])>,
    code: &str,
) -> bool {
    is_admin
        || broker_platforms.into_iter().any(|(arrangement, codes)| {
            arrangement == Some(BrokerArrangement::Subregional) && codes.iter().any(|c| c == code)
        })
}

/// Where needs are gathered and reviewed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Platform {
    pub id: Uuid,
    pub name: Name,
    pub model: PlatformModel,
    pub region_id: Uuid,
    pub cluster_id: Option<Uuid>,
    pub broker_arrangement: Option<BrokerArrangement>,
    pub municipalities: Vec<MunicipalityCode>,
    pub settings: MatchingSettings,
}

impl Platform {
    /// Whether a need entered in `code` belongs here.
    pub fn covers(&self, code: &MunicipalityCode) -> bool {
        self.municipalities.contains(code)
    }
}

/// A group working within a platform.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub kind: GroupKind,
    pub name: Name,
    pub focus_area: Option<FocusArea>,
    pub industry: Option<Name>,
    /// The forum renews its structure every two years: a group for a new period is a new group.
    pub period: Period,
}

impl GroupKind {
    /// Which kinds belong to which model: the forum has its steering group, coordination team,
    /// competence groups and participant forum; a local platform its local competence council;
    /// both may set up working groups.
    pub fn fits(self, model: PlatformModel) -> bool {
        match self {
            Self::WorkingGroup => true,
            Self::LocalCompetenceCouncil => model == PlatformModel::LocalPlatform,
            Self::SteeringGroup
            | Self::CoordinationTeam
            | Self::CompetenceGroup
            | Self::ParticipantForum => model == PlatformModel::Forum,
        }
    }
}

impl Group {
    /// A competence group is organised either by focus area or by industry; other groups by neither.
    pub fn check_organising_principle(
        kind: GroupKind,
        focus_area: Option<FocusArea>,
        industry: Option<&Name>,
    ) -> Result<(), DomainError> {
        match (kind, focus_area, industry) {
            (GroupKind::CompetenceGroup, Some(_), Some(_)) => Err(DomainError::invalid(
                "focus_area",
                "a competence group has a focus area or an industry, not both",
            )),
            (GroupKind::CompetenceGroup, None, None) => Err(DomainError::invalid(
                "focus_area",
                "a competence group needs a focus area or an industry",
            )),
            (GroupKind::CompetenceGroup, _, _) => Ok(()),
            (_, Some(_), _) | (_, _, Some(_)) => Err(DomainError::invalid(
                "focus_area",
                "only competence groups are organised by focus area or industry",
            )),
            _ => Ok(()),
        }
    }

    /// Validates a new group of a platform with model `model`; reports every failing field.
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per field of the group, each checked and named in errors"
    )]
    pub fn parse(
        id: Uuid,
        platform_id: Uuid,
        model: PlatformModel,
        kind: &str,
        name: &str,
        focus_area: Option<&str>,
        industry: Option<&str>,
        period: (chrono::NaiveDate, Option<chrono::NaiveDate>),
    ) -> Result<Self, DomainError> {
        let mut v = crate::error::Validator::new();
        let kind = v.check("kind", GroupKind::parse(kind));
        let name = v.check("name", Name::parse(name));
        let focus_area = v.check("focus_area", focus_area.map(FocusArea::parse).transpose());
        let industry = v.check(
            "industry",
            industry
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(Name::parse)
                .transpose(),
        );
        let period = v.check(
            "period_end",
            Period::parse(period.0, period.1).map_err(|e| match e {
                DomainError::Invalid(_) => {
                    DomainError::invalid("", "must not be before period_start")
                }
                other => other,
            }),
        );
        if let Some(kind) = kind
            && !kind.fits(model)
        {
            v.fail(
                "kind",
                format!("a {} platform has no {kind}", model.as_str()),
            );
        }
        if let (Some(kind), Some(focus_area), Some(industry)) = (kind, focus_area, &industry) {
            v.check(
                "focus_area",
                Self::check_organising_principle(kind, focus_area, industry.as_ref()),
            );
        }
        v.finish()?;
        match (kind, name, focus_area, industry, period) {
            (Some(kind), Some(name), Some(focus_area), Some(industry), Some(period)) => Ok(Self {
                id,
                platform_id,
                kind,
                name,
                focus_area,
                industry,
                period,
            }),
            _ => Err(DomainError::invalid("kind", "invalid group")),
        }
    }
}

/// A person's place in a group, on behalf of their organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Membership {
    pub id: Uuid,
    pub group_id: Uuid,
    pub person_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    /// `chair`, `member`, `secretary`, ... in the group's own words.
    pub role: Name,
    /// Whether the member's organisation has given its mandate (forum model): every participant
    /// answers to their own organisation.
    pub mandate_given: bool,
    pub member_from: chrono::NaiveDate,
    pub member_until: Option<chrono::NaiveDate>,
}

/// Longest role name the memberships table holds.
pub const MAX_ROLE_CHARS: usize = 60;

impl Membership {
    /// Validates a new membership of a group with period `group`: a person or an organisation,
    /// a role, and dates inside the group's period.
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per field of the membership, each checked and named in errors"
    )]
    pub fn parse(
        id: Uuid,
        group_id: Uuid,
        group: &Period,
        person_id: Option<Uuid>,
        organisation_id: Option<Uuid>,
        role: &str,
        mandate_given: bool,
        dates: (chrono::NaiveDate, Option<chrono::NaiveDate>),
    ) -> Result<Self, DomainError> {
        let mut v = crate::error::Validator::new();
        if person_id.is_none() && organisation_id.is_none() {
            v.fail("person_id", "name the person, the organisation, or both");
        }
        let role = v.check("role", Name::parse(role));
        if role
            .as_ref()
            .is_some_and(|r| r.as_str().chars().count() > MAX_ROLE_CHARS)
        {
            v.fail(
                "role",
                format!("must be at most {MAX_ROLE_CHARS} characters"),
            );
        }
        let (from, until) = dates;
        if !group.contains(from) {
            v.fail("member_from", "must lie within the group's period");
        }
        if let Some(until) = until {
            if until < from {
                v.fail("member_until", "must not be before member_from");
            } else if group.end.is_some_and(|end| until > end) {
                v.fail("member_until", "must lie within the group's period");
            }
        }
        v.finish()?;
        match role {
            Some(role) => Ok(Self {
                id,
                group_id,
                person_id,
                organisation_id,
                role,
                mandate_given,
                member_from: from,
                member_until: until,
            }),
            None => Err(DomainError::invalid("role", "invalid")),
        }
    }

    /// Whether the membership holds on `day`.
    pub fn is_active_on(&self, day: chrono::NaiveDate) -> bool {
        day >= self.member_from && self.member_until.is_none_or(|u| day <= u)
    }

    /// Ends the membership on `until` (inclusive). Ending one that has ended already is a
    /// conflict of state, reported as a transition error so it maps like the other lifecycles.
    pub fn end(&mut self, until: chrono::NaiveDate) -> Result<(), DomainError> {
        if self.member_until.is_some() {
            return Err(DomainError::Transition(crate::TransitionError {
                entity: "membership",
                from: "ended",
                action: "end",
            }));
        }
        if until < self.member_from {
            return Err(DomainError::invalid(
                "until",
                "must not be before member_from",
            ));
        }
        self.member_until = Some(until);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_subregional_broker_manages_its_municipalities() {
        let subregion = ["1438".to_owned(), "1485".to_owned()];
        let local = ["1460".to_owned()];
        let platforms = || {
            [
                (Some(BrokerArrangement::Subregional), &subregion[..]),
                (Some(BrokerArrangement::Municipal), &local[..]),
            ]
        };
        assert!(manages_municipality(false, platforms(), "1438"));
        assert!(!manages_municipality(false, platforms(), "1460"));
        assert!(!manages_municipality(false, [], "1438"));
        assert!(manages_municipality(true, [], "1438"));
    }

    #[test]
    fn a_pilot_status_names_its_bad_fields() {
        let today = day("2026-11-29");
        assert!(PilotStatus::parse("working", Some("Rådet har mötts"), today, today).is_ok());
        let fields = |r: Result<PilotStatus, DomainError>| {
            r.err()
                .map(|e| {
                    e.field_errors()
                        .iter()
                        .map(|f| f.field.clone())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        assert_eq!(
            fields(PilotStatus::parse("done", None, today, today)),
            ["status"]
        );
        assert_eq!(
            fields(PilotStatus::parse(
                "working",
                None,
                day("2026-12-01"),
                today
            )),
            ["as_of"]
        );
    }

    #[test]
    fn an_active_period_ends_after_it_starts() {
        assert!(ActivePeriod::parse(Some(day("2027-01-01")), Some(day("2026-01-01"))).is_err());
        let pilot = ActivePeriod::parse(Some(day("2025-01-01")), Some(day("2026-12-31")));
        assert!(
            pilot.is_ok_and(
                |p| p.is_active_on(day("2026-06-01")) && !p.is_active_on(day("2027-01-01"))
            )
        );
        assert!(check_arrangement(PlatformModel::Forum, Some(BrokerArrangement::Cluster)).is_err());
        assert!(check_arrangement(PlatformModel::LocalPlatform, None).is_err());
        assert!(parse_key("Dals Ed").is_err() && parse_key("dals-ed").is_ok());
    }

    #[test]
    fn a_need_names_only_a_platform_inside_its_active_period() {
        let today = day("2026-11-29");
        let period = |from: Option<&str>, to: Option<&str>| ActivePeriod {
            from: from.map(day),
            to: to.map(day),
        };
        let field = |r: Result<(), DomainError>| {
            r.err()
                .and_then(|e| e.field_errors().first().map(|f| f.field.clone()))
        };
        assert!(check_named_platform(period(None, None), today).is_ok());
        assert!(
            check_named_platform(period(Some("2026-11-29"), Some("2026-11-29")), today).is_ok()
        );
        assert_eq!(
            field(check_named_platform(
                period(None, Some("2026-11-28")),
                today
            ))
            .as_deref(),
            Some("platform_id"),
            "the trial has ended"
        );
        assert_eq!(
            field(check_named_platform(
                period(Some("2026-11-30"), None),
                today
            ))
            .as_deref(),
            Some("platform_id"),
            "the trial has not begun"
        );
    }

    #[test]
    fn a_need_skips_a_platform_outside_its_active_period() {
        let ended = ActivePeriod {
            from: Some(day("2025-01-01")),
            to: Some(day("2026-11-28")),
        };
        let not_begun = ActivePeriod {
            from: Some(day("2026-11-30")),
            to: None,
        };
        let open = ActivePeriod {
            from: None,
            to: None,
        };
        let candidate = |key, municipality_count, period| RoutingCandidate {
            key,
            municipality_count,
            period,
        };
        let today = day("2026-11-29");
        let serving = |local| {
            [
                ("dals-ed", candidate("dals-ed", 1, local)),
                ("dalsland", candidate("dalsland", 5, open)),
                ("fyrbodal", candidate("fyrbodal", 14, open)),
            ]
        };
        assert_eq!(choose_home_platform(serving(open), today), Some("dals-ed"));
        assert_eq!(
            choose_home_platform(serving(ended), today),
            Some("dalsland")
        );
        assert_eq!(
            choose_home_platform(serving(not_begun), today),
            Some("dalsland")
        );
        assert_eq!(
            choose_home_platform(serving(ended), day("2026-11-28")),
            Some("dals-ed"),
            "the last day of the trial is inside it"
        );
        assert_eq!(
            choose_home_platform([("dals-ed", candidate("dals-ed", 1, ended))], today),
            None
        );
    }

    #[test]
    fn default_settings_are_valid() {
        assert!(MatchingSettings::default().validate().is_ok());
        assert_eq!(MatchingSettings::default().reach, Reach::Region);
    }

    #[test]
    fn settings_stored_before_reach_existed_read_as_region() {
        let mut stored = serde_json::to_value(MatchingSettings::default()).unwrap_or_default();
        if let Some(o) = stored.as_object_mut() {
            o.remove("reach");
        }
        let read: Result<MatchingSettings, _> = serde_json::from_value(stored);
        assert_eq!(read.ok().map(|s| s.reach), Some(Reach::Region));
        assert_eq!(Reach::parse("sub_region").ok(), Some(Reach::SubRegion));
        assert!(Reach::parse("county").is_err());
    }

    #[test]
    fn settings_name_the_bad_weight() {
        let bad = MatchingSettings {
            geography: 1.5,
            ..MatchingSettings::default()
        };
        let err = bad
            .validate()
            .err()
            .unwrap_or_else(|| DomainError::Invalid(vec![]));
        assert_eq!(err.field_errors()[0].field, "geography");
    }

    #[test]
    fn a_competence_group_has_exactly_one_organising_principle() {
        assert!(Group::check_organising_principle(GroupKind::CompetenceGroup, None, None).is_err());
        assert!(
            Group::check_organising_principle(
                GroupKind::CompetenceGroup,
                Some(FocusArea::LifelongLearning),
                None
            )
            .is_ok()
        );
        assert!(Group::check_organising_principle(GroupKind::SteeringGroup, None, None).is_ok());
        assert!(
            Group::check_organising_principle(
                GroupKind::SteeringGroup,
                Some(FocusArea::LifelongLearning),
                None
            )
            .is_err()
        );
    }

    fn day(s: &str) -> chrono::NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn a_group_fits_its_platform_model_and_has_a_sane_period() {
        let forum = |kind: &str, end: Option<&str>| {
            Group::parse(
                Uuid::nil(),
                Uuid::nil(),
                PlatformModel::Forum,
                kind,
                "Styringsgruppe",
                None,
                None,
                (day("2027-01-01"), end.map(day)),
            )
        };
        assert!(forum("steering_group", Some("2028-12-31")).is_ok());
        let council = forum("local_competence_council", None);
        assert_eq!(
            council.err().map(|e| e.field_errors()[0].field.clone()),
            Some("kind".to_owned())
        );
        let backwards = forum("steering_group", Some("2026-12-31"));
        assert_eq!(
            backwards.err().map(|e| e.field_errors()[0].field.clone()),
            Some("period_end".to_owned())
        );
    }

    #[test]
    fn a_membership_lies_within_its_group_and_ends_once() {
        let period = Period {
            start: day("2025-01-01"),
            end: Some(day("2026-12-31")),
        };
        let parse = |from: &str, until: Option<&str>| {
            Membership::parse(
                Uuid::nil(),
                Uuid::nil(),
                &period,
                Some(Uuid::nil()),
                None,
                "member",
                true,
                (day(from), until.map(day)),
            )
        };
        assert!(parse("2024-12-31", None).is_err());
        assert!(parse("2025-06-01", Some("2027-01-01")).is_err());
        assert!(parse("2025-06-01", Some("2025-05-01")).is_err());
        let Ok(mut m) = parse("2025-06-01", None) else {
            panic!("valid membership refused")
        };
        assert!(m.is_active_on(day("2026-01-01")));
        assert!(m.end(day("2026-01-31")).is_ok());
        assert!(!m.is_active_on(day("2026-02-01")));
        assert!(matches!(
            m.end(day("2026-02-28")),
            Err(DomainError::Transition(_))
        ));
    }
}
