//! Forum-model objects: proposals for measures (tiltak), recommendations, meetings and workshops,
//! and the rule that routes a need to the competence group whose focus area or industry fits.

use serde::Serialize;
use uuid::Uuid;

use crate::error::Validator;
use crate::lifecycle::Lifecycle;
use crate::need::NeedPurpose;
use crate::platform::{BrokerArrangement, FocusArea, Group, GroupKind};
use crate::values::{Lang, LongText, Name};
use crate::{DomainError, TransitionError, string_enum};

string_enum! {
    /// A proposal's road from idea to evaluated effect (seed 003, "fase 2"): the group drafts and
    /// submits it, a workshop discusses it and gives input, the group refines it, the forum decides
    /// go or no go, an actor accepts (or declines) responsibility, carries it out, and the effects
    /// are evaluated.
    pub enum ProposalStatus {
        Draft = "draft",
        Submitted = "submitted",
        /// Discussed at a workshop, input attached.
        Discussed = "discussed",
        Refined = "refined",
        DecidedGo = "decided_go",
        DecidedNoGo = "decided_no_go",
        /// An organisation accepted responsibility for carrying it out.
        ResponsibilityAccepted = "responsibility_accepted",
        /// The organisation it was introduced to declined; it may be offered to another.
        ResponsibilityDeclined = "responsibility_declined",
        InProgress = "in_progress",
        Completed = "completed",
        Evaluated = "evaluated",
    }
}

string_enum! {
    pub enum ProposalAction {
        Submit = "submit",
        Discuss = "discuss",
        Refine = "refine",
        DecideGo = "decide_go",
        DecideNoGo = "decide_no_go",
        AcceptResponsibility = "accept_responsibility",
        DeclineResponsibility = "decline_responsibility",
        Start = "start",
        Complete = "complete",
        Evaluate = "evaluate",
    }
}

impl Lifecycle for ProposalStatus {
    type Action = ProposalAction;
    const ACTIONS: &'static [ProposalAction] = ProposalAction::ALL;

    fn transition(self, action: ProposalAction) -> Result<Self, TransitionError> {
        use ProposalAction as A;
        use ProposalStatus as S;
        match (self, action) {
            (S::Draft, A::Submit) => Ok(S::Submitted),
            // A refined proposal may go back to a workshop for another round.
            (S::Submitted | S::Refined, A::Discuss) => Ok(S::Discussed),
            (S::Discussed, A::Refine) => Ok(S::Refined),
            (S::Refined, A::DecideGo) => Ok(S::DecidedGo),
            (S::Refined, A::DecideNoGo) => Ok(S::DecidedNoGo),
            // After a decline the proposal is introduced to the next actor, who may also decline.
            (S::DecidedGo | S::ResponsibilityDeclined, A::AcceptResponsibility) => {
                Ok(S::ResponsibilityAccepted)
            }
            (S::DecidedGo | S::ResponsibilityDeclined, A::DeclineResponsibility) => {
                Ok(S::ResponsibilityDeclined)
            }
            (S::ResponsibilityAccepted, A::Start) => Ok(S::InProgress),
            (S::InProgress, A::Complete) => Ok(S::Completed),
            (S::Completed, A::Evaluate) => Ok(S::Evaluated),
            (from, action) => Err(TransitionError {
                entity: "proposal",
                from: from.as_str(),
                action: action.as_str(),
            }),
        }
    }
}

string_enum! {
    /// Follow-up of a recommendation given to a named actor.
    pub enum RecommendationStatus {
        Given = "given",
        Acknowledged = "acknowledged",
        InProgress = "in_progress",
        Implemented = "implemented",
        NotFollowed = "not_followed",
    }
}

string_enum! {
    pub enum RecommendationAction {
        Acknowledge = "acknowledge",
        Start = "start",
        Implement = "implement",
        Decline = "decline",
    }
}

impl Lifecycle for RecommendationStatus {
    type Action = RecommendationAction;
    const ACTIONS: &'static [RecommendationAction] = RecommendationAction::ALL;

    fn transition(self, action: RecommendationAction) -> Result<Self, TransitionError> {
        use RecommendationAction as A;
        use RecommendationStatus as S;
        match (self, action) {
            (S::Given, A::Acknowledge) => Ok(S::Acknowledged),
            (S::Given | S::Acknowledged, A::Start) => Ok(S::InProgress),
            (S::Acknowledged | S::InProgress, A::Implement) => Ok(S::Implemented),
            (S::Given | S::Acknowledged | S::InProgress, A::Decline) => Ok(S::NotFollowed),
            (from, action) => Err(TransitionError {
                entity: "recommendation",
                from: from.as_str(),
                action: action.as_str(),
            }),
        }
    }
}

string_enum! {
    pub enum MeetingKind {
        StartUp = "start_up",
        BrokerMeeting = "broker_meeting",
        NetworkMeeting = "network_meeting",
        Workshop = "workshop",
        SteeringGroupMeeting = "steering_group_meeting",
    }
}

/// One cell of the gap report: a competence concept in an area. The area is a municipality code
/// (`3107`) or the key of a cluster or region (`nedre-glomma`, `ostfold`), the same key the gap
/// report aggregates by. Proposals name the cells that motivated them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct GapEntry {
    pub competence_id: Uuid,
    pub area: String,
}

impl GapEntry {
    /// Checks the area's shape; whether it exists is the caller's question (reference data).
    pub fn parse(competence_id: Uuid, area: &str) -> Result<Self, DomainError> {
        let area = area.trim();
        let municipality = area.len() == 4 && area.bytes().all(|b| b.is_ascii_digit());
        let key = (2..=60).contains(&area.len())
            && area
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !area.starts_with('-');
        if municipality || key {
            Ok(Self {
                competence_id,
                area: area.to_owned(),
            })
        } else {
            Err(DomainError::invalid(
                "area",
                "a municipality code (e.g. 3107) or a cluster or region key (e.g. ostfold)",
            ))
        }
    }

    /// Whether the area is a municipality (rather than a cluster or region).
    pub fn is_municipality(&self) -> bool {
        self.area.len() == 4 && self.area.bytes().all(|b| b.is_ascii_digit())
    }
}

/// At most this many needs or gap entries motivate one proposal: more is a programme, not a
/// measure.
pub const MAX_PROPOSAL_LINKS: usize = 100;

/// What a group writes when it drafts a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalSpec {
    pub title: Name,
    pub description: Option<LongText>,
    pub need_ids: Vec<Uuid>,
    pub gap_entries: Vec<GapEntry>,
}

impl ProposalSpec {
    /// Validates a draft; a proposal must name at least one need or gap entry that motivated it.
    /// Duplicate links are dropped.
    pub fn parse(
        title: &str,
        description: Option<&str>,
        need_ids: &[Uuid],
        gap_entries: &[(Uuid, String)],
    ) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let title = v.check("title", Name::parse(title));
        let description = v.check(
            "description",
            crate::values::optional_long_text(description),
        );
        if need_ids.is_empty() && gap_entries.is_empty() {
            v.fail(
                "need_ids",
                "name the needs or gap entries that motivated the proposal",
            );
        }
        if need_ids.len() > MAX_PROPOSAL_LINKS {
            v.fail(
                "need_ids",
                format!("at most {MAX_PROPOSAL_LINKS} needs per proposal"),
            );
        }
        if gap_entries.len() > MAX_PROPOSAL_LINKS {
            v.fail(
                "gap_entries",
                format!("at most {MAX_PROPOSAL_LINKS} gap entries per proposal"),
            );
        }
        let mut gaps = Vec::with_capacity(gap_entries.len());
        for (i, (competence, area)) in gap_entries.iter().enumerate() {
            if let Some(g) = v.check(
                &format!("gap_entries[{i}]"),
                GapEntry::parse(*competence, area),
            ) {
                gaps.push(g);
            }
        }
        v.finish()?;
        let mut needs = Vec::with_capacity(need_ids.len());
        for id in need_ids {
            if !needs.contains(id) {
                needs.push(*id);
            }
        }
        gaps.sort();
        gaps.dedup();
        match (title, description) {
            (Some(title), Some(description)) => Ok(Self {
                title,
                description,
                need_ids: needs,
                gap_entries: gaps,
            }),
            _ => Err(DomainError::invalid("title", "invalid")),
        }
    }
}

/// Who decided a go / no-go, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposalDecision {
    pub go: bool,
    /// Who decided, in words (e.g. `Styringsgruppen`).
    pub decided_by: Name,
    /// The deciding group, when it is one of the platform's groups.
    pub decided_by_group_id: Option<Uuid>,
    pub decided_on: chrono::NaiveDate,
    pub rationale: Option<LongText>,
}

/// A proposal for a measure (tiltak).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    pub title: Name,
    pub description: Option<LongText>,
    pub status: ProposalStatus,
    pub need_ids: Vec<Uuid>,
    pub gap_entries: Vec<GapEntry>,
    /// The organisation that accepted responsibility for carrying it out.
    pub responsible_organisation_id: Option<Uuid>,
    /// Organisations that declined responsibility, in the order they declined.
    pub declined_by: Vec<Uuid>,
    pub decision: Option<ProposalDecision>,
    /// The evaluated effects.
    pub effects: Option<LongText>,
    pub version: i32,
}

/// Data each proposal action requires; `apply` refuses a detail that does not fit the action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposalActionDetail {
    /// `submit`, `start`, `complete`: an optional note.
    Note(Option<LongText>),
    /// `discuss`: the workshop that discussed it and the input it gave.
    WorkshopInput { workshop_id: Uuid, input: LongText },
    /// `refine`: what changed, optionally a new title or description.
    Refinement {
        changes: LongText,
        title: Option<Name>,
        description: Option<LongText>,
    },
    /// `decide_go`, `decide_no_go`: who decided, when, why.
    Decision {
        decided_by: Name,
        decided_by_group_id: Option<Uuid>,
        decided_on: chrono::NaiveDate,
        rationale: Option<LongText>,
    },
    /// `accept_responsibility`, `decline_responsibility`: which organisation, and why.
    Responsibility {
        organisation_id: Uuid,
        note: Option<LongText>,
    },
    /// `evaluate`: the effects recorded.
    Effects(LongText),
}

impl ProposalAction {
    /// The field a client must send for this action, and what it means.
    fn required_detail(self) -> (&'static str, &'static str) {
        match self {
            Self::Submit | Self::Start | Self::Complete => ("note", "takes only an optional note"),
            Self::Discuss => (
                "input",
                "records the workshop that discussed it and the input given",
            ),
            Self::Refine => ("changes", "records what the group changed"),
            Self::DecideGo | Self::DecideNoGo => {
                ("decided_by", "a decision records who decided and when")
            }
            Self::AcceptResponsibility | Self::DeclineResponsibility => (
                "organisation_id",
                "name the organisation that accepts or declines",
            ),
            Self::Evaluate => ("effects", "an evaluation records the effects"),
        }
    }
}

impl Proposal {
    /// Applies an action with the data it requires. The lifecycle decides first whether the
    /// action is allowed at all; a refused action changes nothing. The version is the store's.
    pub fn apply(
        &mut self,
        action: ProposalAction,
        detail: ProposalActionDetail,
    ) -> Result<(), DomainError> {
        use ProposalAction as A;
        use ProposalActionDetail as D;
        let next = self.status.transition(action)?;
        match (action, detail) {
            (A::Submit | A::Start | A::Complete, D::Note(_))
            | (A::Discuss, D::WorkshopInput { .. }) => {}
            (
                A::Refine,
                D::Refinement {
                    title, description, ..
                },
            ) => {
                if let Some(title) = title {
                    self.title = title;
                }
                if let Some(description) = description {
                    self.description = Some(description);
                }
            }
            (
                A::DecideGo | A::DecideNoGo,
                D::Decision {
                    decided_by,
                    decided_by_group_id,
                    decided_on,
                    rationale,
                },
            ) => {
                self.decision = Some(ProposalDecision {
                    go: action == A::DecideGo,
                    decided_by,
                    decided_by_group_id,
                    decided_on,
                    rationale,
                });
            }
            (
                A::AcceptResponsibility,
                D::Responsibility {
                    organisation_id, ..
                },
            ) => {
                self.responsible_organisation_id = Some(organisation_id);
            }
            (
                A::DeclineResponsibility,
                D::Responsibility {
                    organisation_id, ..
                },
            ) => {
                if !self.declined_by.contains(&organisation_id) {
                    self.declined_by.push(organisation_id);
                }
            }
            (A::Evaluate, D::Effects(effects)) => self.effects = Some(effects),
            (action, _) => {
                let (field, reason) = action.required_detail();
                return Err(DomainError::invalid(field, format!("`{action}` {reason}")));
            }
        }
        self.status = next;
        Ok(())
    }
}

/// The actor a recommendation is addressed to: a registered organisation or person, or an actor
/// named in words (a ministry, a sector), always with a readable name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Addressee {
    pub organisation_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    pub name: Name,
}

impl Addressee {
    /// `name` is the name the client gave, else the registered organisation's or person's name.
    pub fn parse(
        organisation_id: Option<Uuid>,
        person_id: Option<Uuid>,
        name: Option<&str>,
    ) -> Result<Self, DomainError> {
        match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => Ok(Self {
                organisation_id,
                person_id,
                name: Name::parse(n).map_err(|e| e.under("addressee"))?,
            }),
            None => Err(DomainError::invalid(
                "addressee",
                "name the actor: addressee_organisation_id, addressee_person_id or addressee",
            )),
        }
    }
}

// ---------- routing needs to competence groups ----------

/// What the routing rule reads from a need.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoutingFacts {
    pub purpose: Option<NeedPurpose>,
    /// The need's industry: the taxonomy field of its occupation, else the most frequent field of
    /// its must-have competences (see [`dominant_industry`]).
    pub industry: Option<String>,
    /// Stable taxonomy keys of the competences asked for (e.g. `yrkesnorska`).
    pub competence_keys: Vec<String>,
    /// The competence labels as stated.
    pub competence_labels: Vec<String>,
}

/// Taxonomy keys of competences whose need is about inclusion and integration: language for
/// work and diversity.
const INCLUSION_CONCEPT_KEYS: &[&str] = &[
    "yrkesnorska",
    "yrkessvenska",
    "norska_sprak",
    "svenska_sprak",
    "mangfald_inkludering",
];

/// Words in a competence label that mark the same, for labels the taxonomy did not resolve.
const INCLUSION_LABEL_WORDS: &[&str] = &[
    "norsk",
    "svensk",
    "sfi",
    "andrespråk",
    "andraspråk",
    "second language",
    "integrering",
    "integration",
    "inkludering",
    "inclusion",
    "introduksjonsprogram",
    "etableringsprogram",
];

/// Why a need went to a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum RouteReason {
    /// The group works with the need's industry.
    Industry { industry: String },
    /// The group works with the focus area the need falls under.
    FocusArea { focus_area: FocusArea },
}

impl std::fmt::Display for RouteReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Industry { industry } => write!(f, "the group works with industry `{industry}`"),
            Self::FocusArea { focus_area } => {
                write!(f, "the need falls under focus area `{focus_area}`")
            }
        }
    }
}

impl RouteReason {
    /// The rule in words, in `lang` (English is the `Display` form).
    pub fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Industry { industry }, Lang::Sv) => {
                format!("gruppen arbetar med branschen `{industry}`")
            }
            (Self::Industry { industry }, Lang::Nb) => {
                format!("gruppen arbeider med bransjen `{industry}`")
            }
            (Self::FocusArea { focus_area }, Lang::Sv) => format!(
                "behovet hör till fokusområdet {}",
                focus_area_name(*focus_area, Lang::Sv)
            ),
            (Self::FocusArea { focus_area }, Lang::Nb) => format!(
                "behovet hører til innsatsområdet {}",
                focus_area_name(*focus_area, Lang::Nb)
            ),
            (_, Lang::En) => self.to_string(),
        }
    }
}

/// The detail of a `routed_to_group` need event: the group `route` chose (named `group_name`)
/// and why, or `group_id: null` when no group fits. Explanations are stored in English and
/// read back in any language by [`routed_explanation`].
pub fn routed_detail(route: Option<(&GroupRoute, &str)>) -> serde_json::Value {
    let Some((route, group_name)) = route else {
        return serde_json::json!({
            "group_id": null,
            "explanation": no_route_explanation(Lang::En),
        });
    };
    let (by, industry, focus_area) = match &route.reason {
        RouteReason::Industry { industry } => ("industry", Some(industry.as_str()), None),
        RouteReason::FocusArea { focus_area } => ("focus_area", None, Some(focus_area.as_str())),
    };
    serde_json::json!({
        "group_id": route.group_id,
        "group_name": group_name,
        "by": by,
        "industry": industry,
        "focus_area": focus_area,
        "explanation": route.reason.explain(Lang::En),
    })
}

/// The explanation of a stored `routed_to_group` need event (detail `by` with `industry` or
/// `focus_area`, or `group_id: null` when no group fits) in `lang`. The history keeps English;
/// `None` when the detail is not one routing wrote, so the caller keeps the stored text.
pub fn routed_explanation(detail: &serde_json::Value, lang: Lang) -> Option<String> {
    if detail.get("group_id")?.is_null() {
        return Some(no_route_explanation(lang).to_owned());
    }
    let text = |key: &str| detail.get(key).and_then(serde_json::Value::as_str);
    let reason = match text("by")? {
        "industry" => RouteReason::Industry {
            industry: text("industry")?.to_owned(),
        },
        "focus_area" => RouteReason::FocusArea {
            focus_area: FocusArea::parse(text("focus_area")?).ok()?,
        },
        _ => return None,
    };
    Some(reason.explain(lang))
}

/// Why a forum need has no competence group, in `lang`.
pub fn no_route_explanation(lang: Lang) -> &'static str {
    match lang {
        Lang::Sv => "ingen kompetensgrupp passar längre; samordningsteamet ser alla behov",
        Lang::Nb => "ingen kompetansegruppe passer lenger; koordineringsteamet ser alle behov",
        Lang::En => "no competence group fits any more; the coordination team sees every need",
    }
}

/// A focus area's name in `lang`.
pub fn focus_area_name(area: FocusArea, lang: Lang) -> &'static str {
    match (area, lang) {
        (FocusArea::WorkLifeRelevance, Lang::Sv) => "arbetslivsrelevans",
        (FocusArea::WorkLifeRelevance, Lang::Nb) => "arbeidslivsrelevans",
        (FocusArea::WorkLifeRelevance, Lang::En) => "work-life relevance",
        (FocusArea::LifelongLearning, Lang::Sv) => "livslångt lärande",
        (FocusArea::LifelongLearning, Lang::Nb) => "livslang læring",
        (FocusArea::LifelongLearning, Lang::En) => "lifelong learning",
        (FocusArea::InclusionAndIntegration, Lang::Sv) => "inkludering och integration",
        (FocusArea::InclusionAndIntegration, Lang::Nb) => "inkludering og integrering",
        (FocusArea::InclusionAndIntegration, Lang::En) => "inclusion and integration",
    }
}

/// The competence group a need goes to, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupRoute {
    pub group_id: Uuid,
    pub reason: RouteReason,
}

/// A platform as the rule on who manages its groups sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformPlace {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    /// Set on the platform a municipality cluster shares.
    pub cluster_id: Option<Uuid>,
    pub broker_arrangement: Option<BrokerArrangement>,
    /// Municipality codes the platform covers.
    pub municipalities: Vec<String>,
}

/// Who asks to change a platform's groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupCaller<'a> {
    Admin,
    /// A broker serving these platforms.
    Broker {
        platforms: &'a [Uuid],
    },
    /// A municipality's contact person, for these municipalities.
    MunicipalContact {
        municipalities: &'a [String],
    },
    /// Providers and employers: they take part in groups but do not form them.
    Other,
}

/// Which of a platform's groups a caller may form and change (memberships included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupScope {
    None,
    /// The local competence council only: a contact person forms the council of their own
    /// municipality (seed 004, "att bilda ett lokalt kompetensråd").
    LocalCouncil,
    /// Every group of the platform.
    Every,
}

impl GroupScope {
    pub fn covers(self, kind: GroupKind) -> bool {
        match self {
            Self::None => false,
            Self::LocalCouncil => kind == GroupKind::LocalCompetenceCouncil,
            Self::Every => true,
        }
    }
}

/// The platform whose broker brokers for `platform` under its broker arrangement: its own for a
/// municipal arrangement (or none stated), the cluster's shared platform for a cluster
/// arrangement (the first of the platform and its ancestors that belongs to a cluster), the
/// top of the chain for a sub-regional one. `ancestors` runs from the parent upwards.
pub fn arrangement_platform(platform: &PlatformPlace, ancestors: &[PlatformPlace]) -> Uuid {
    let mut chain = std::iter::once(platform).chain(ancestors);
    match platform.broker_arrangement {
        None | Some(BrokerArrangement::Municipal) => platform.id,
        Some(BrokerArrangement::Cluster) => chain
            .find(|p| p.cluster_id.is_some())
            .map_or(platform.id, |p| p.id),
        Some(BrokerArrangement::Subregional) => chain.last().map_or(platform.id, |p| p.id),
    }
}

/// Which of `platform`'s groups `caller` manages: an admin and a broker of the platform or of
/// its broker arrangement every group; a contact person whose municipalities include every
/// municipality the platform covers its local competence council; nobody else any.
pub fn group_scope(
    caller: GroupCaller<'_>,
    platform: &PlatformPlace,
    ancestors: &[PlatformPlace],
) -> GroupScope {
    match caller {
        GroupCaller::Admin => GroupScope::Every,
        GroupCaller::Broker { platforms }
            if platforms.contains(&platform.id)
                || platforms.contains(&arrangement_platform(platform, ancestors)) =>
        {
            GroupScope::Every
        }
        GroupCaller::MunicipalContact { municipalities }
            if !platform.municipalities.is_empty()
                && platform
                    .municipalities
                    .iter()
                    .all(|m| municipalities.contains(m)) =>
        {
            GroupScope::LocalCouncil
        }
        _ => GroupScope::None,
    }
}

/// A comparable form of an industry name: `Health care`, `health-care` and `health_care` agree.
pub fn industry_key(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// The industry of a need from taxonomy fields: the occupation's field when it names one, else
/// the field most of the must-have competences share (ties go to the first named). `general`
/// says nothing about an industry and is skipped.
pub fn dominant_industry<'a>(
    occupation_field: Option<&'a str>,
    must_have_fields: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let telling = |f: &&str| !f.trim().is_empty() && industry_key(f) != "general";
    if let Some(f) = occupation_field.filter(telling) {
        return Some(industry_key(f));
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for f in must_have_fields.into_iter().filter(telling) {
        let key = industry_key(f);
        match counts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => counts.push((key, 1)),
        }
    }
    // `max_by_key` keeps the last of equals; reversing makes ties go to the first named.
    counts
        .into_iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .map(|(k, _)| k)
}

/// The focus area a need falls under (the forum's 2020-2021 structure):
/// - language for work, integration or diversity competences -> inclusion and integration;
/// - upskilling, reskilling and validation of prior learning (people in work learning more, or
///   getting their competence recognised) -> lifelong learning;
/// - recruitment and apprenticeships (education that fits what work life asks) -> work-life
///   relevance, as is a need without a stated purpose.
pub fn focus_area_for(facts: &RoutingFacts) -> FocusArea {
    let by_key = facts
        .competence_keys
        .iter()
        .any(|k| INCLUSION_CONCEPT_KEYS.contains(&k.as_str()));
    let by_label = facts.competence_labels.iter().any(|l| {
        let l = l.to_lowercase();
        INCLUSION_LABEL_WORDS.iter().any(|w| l.contains(w))
    });
    if by_key || by_label {
        return FocusArea::InclusionAndIntegration;
    }
    match facts.purpose {
        Some(NeedPurpose::Upskilling | NeedPurpose::Reskilling | NeedPurpose::Validation) => {
            FocusArea::LifelongLearning
        }
        Some(NeedPurpose::Recruitment | NeedPurpose::Apprenticeship) | None => {
            FocusArea::WorkLifeRelevance
        }
    }
}

/// Routes a need to one of `groups` active on `today`: an industry group whose industry is the
/// need's comes first (it is the more specific fit), else the group for the need's focus area.
/// Among equal fits the group of the latest period wins, then the name, so the answer is stable.
/// `None` when no competence group fits; the coordination team sees every need regardless.
pub fn route_need(
    facts: &RoutingFacts,
    groups: &[Group],
    today: chrono::NaiveDate,
) -> Option<GroupRoute> {
    let mut active: Vec<&Group> = groups
        .iter()
        .filter(|g| g.kind == GroupKind::CompetenceGroup && g.period.contains(today))
        .collect();
    active.sort_by(|a, b| {
        b.period
            .start
            .cmp(&a.period.start)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.id.cmp(&b.id))
    });
    if let Some(industry) = facts.industry.as_deref().map(industry_key)
        && let Some(g) = active.iter().find(|g| {
            g.industry
                .as_ref()
                .is_some_and(|i| industry_key(i.as_str()) == industry)
        })
    {
        return Some(GroupRoute {
            group_id: g.id,
            reason: RouteReason::Industry { industry },
        });
    }
    let focus_area = focus_area_for(facts);
    active
        .iter()
        .find(|g| g.focus_area == Some(focus_area))
        .map(|g| GroupRoute {
            group_id: g.id,
            reason: RouteReason::FocusArea { focus_area },
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::Period;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    fn name(s: &str) -> Name {
        Name::parse(s).unwrap_or_else(|_| unreachable!())
    }

    fn text(s: &str) -> LongText {
        LongText::parse(s).unwrap_or_else(|_| unreachable!())
    }

    fn proposal(status: ProposalStatus) -> Proposal {
        Proposal {
            id: Uuid::nil(),
            platform_id: Uuid::nil(),
            group_id: None,
            title: name("Lærlingløft"),
            description: None,
            status,
            need_ids: vec![],
            gap_entries: vec![],
            responsible_organisation_id: None,
            declined_by: vec![],
            decision: None,
            effects: None,
            version: 1,
        }
    }

    fn place(
        id: u128,
        parent: Option<u128>,
        cluster: bool,
        arrangement: Option<BrokerArrangement>,
        codes: &[&str],
    ) -> PlatformPlace {
        PlatformPlace {
            id: Uuid::from_u128(id),
            parent_id: parent.map(Uuid::from_u128),
            cluster_id: cluster.then(|| Uuid::from_u128(id + 100)),
            broker_arrangement: arrangement,
            municipalities: codes.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn the_contact_forms_their_own_council_and_the_arrangements_broker_every_group() {
        use BrokerArrangement as B;
        let fyrbodal = place(1, None, false, None, &["1438", "1460", "1485"]);
        let dalsland = place(2, Some(1), true, Some(B::Cluster), &["1438", "1460"]);
        let dals_ed = place(3, Some(2), false, Some(B::Cluster), &["1438"]);
        let uddevalla = place(4, Some(1), false, Some(B::Municipal), &["1485"]);
        let ancestors = [dalsland.clone(), fyrbodal.clone()];
        let above_municipal = std::slice::from_ref(&fyrbodal);
        assert_eq!(arrangement_platform(&dals_ed, &ancestors), dalsland.id);
        assert_eq!(
            arrangement_platform(&uddevalla, above_municipal),
            uddevalla.id
        );
        let mut subregional = dals_ed.clone();
        subregional.broker_arrangement = Some(B::Subregional);
        assert_eq!(arrangement_platform(&subregional, &ancestors), fyrbodal.id);

        let own = ["1438".to_owned()];
        let other = ["1460".to_owned()];
        let contact = |m| GroupCaller::MunicipalContact { municipalities: m };
        let scope = group_scope(contact(&own), &dals_ed, &ancestors);
        assert_eq!(scope, GroupScope::LocalCouncil);
        assert!(scope.covers(GroupKind::LocalCompetenceCouncil));
        assert!(!scope.covers(GroupKind::WorkingGroup));
        assert_eq!(
            group_scope(contact(&other), &dals_ed, &ancestors),
            GroupScope::None
        );
        // One municipality's contact does not form the whole cluster's council.
        assert_eq!(
            group_scope(contact(&own), &dalsland, above_municipal),
            GroupScope::None
        );

        let cluster_broker = [dalsland.id];
        let broker = |p| GroupCaller::Broker { platforms: p };
        assert_eq!(
            group_scope(broker(&cluster_broker), &dals_ed, &ancestors),
            GroupScope::Every
        );
        assert_eq!(
            group_scope(broker(&cluster_broker), &uddevalla, above_municipal),
            GroupScope::None
        );
        assert_eq!(
            group_scope(broker(&[uddevalla.id]), &dals_ed, &ancestors),
            GroupScope::None
        );
        assert_eq!(
            group_scope(GroupCaller::Other, &dals_ed, &ancestors),
            GroupScope::None
        );
        assert_eq!(
            group_scope(GroupCaller::Admin, &dals_ed, &ancestors),
            GroupScope::Every
        );
    }

    #[test]
    fn route_reasons_read_in_every_language() {
        let by_area = RouteReason::FocusArea {
            focus_area: FocusArea::LifelongLearning,
        };
        assert_eq!(by_area.explain(Lang::En), by_area.to_string());
        assert!(by_area.explain(Lang::Sv).contains("livslångt lärande"));
        assert!(by_area.explain(Lang::Nb).contains("livslang læring"));
        let by_industry = RouteReason::Industry {
            industry: "health_care".into(),
        };
        assert!(
            by_industry
                .explain(Lang::Nb)
                .starts_with("gruppen arbeider")
        );
        for lang in Lang::ALL {
            assert!(!no_route_explanation(lang).is_empty());
        }
    }

    #[test]
    fn a_stored_routing_event_reads_in_every_language() {
        // The detail as routing stores it (English explanation, the reason's parts beside it).
        let route = GroupRoute {
            group_id: Uuid::nil(),
            reason: RouteReason::FocusArea {
                focus_area: FocusArea::LifelongLearning,
            },
        };
        let routed = routed_detail(Some((&route, "Livslang læring")));
        assert_eq!(
            routed,
            serde_json::json!({
                "group_id": Uuid::nil(), "group_name": "Livslang læring", "by": "focus_area",
                "industry": null, "focus_area": "lifelong_learning",
                "explanation": "the need falls under focus area `lifelong_learning`"
            })
        );
        assert_eq!(
            routed_explanation(&routed, Lang::Nb).as_deref(),
            Some("behovet hører til innsatsområdet livslang læring")
        );
        assert_eq!(
            routed_explanation(&routed, Lang::Sv).as_deref(),
            Some("behovet hör till fokusområdet livslångt lärande")
        );
        assert_eq!(
            routed_explanation(&routed, Lang::En),
            routed["explanation"].as_str().map(str::to_owned)
        );
        let by_industry = serde_json::json!({"group_id": Uuid::nil(), "by": "industry", "industry": "health_care"});
        assert_eq!(
            routed_explanation(&by_industry, Lang::Sv).as_deref(),
            Some("gruppen arbetar med branschen `health_care`")
        );
        let unrouted = routed_detail(None);
        assert_eq!(
            unrouted["explanation"].as_str(),
            Some(no_route_explanation(Lang::En))
        );
        assert_eq!(
            routed_explanation(&unrouted, Lang::Sv).as_deref(),
            Some(no_route_explanation(Lang::Sv))
        );
        assert_eq!(
            routed_explanation(
                &serde_json::json!({"group_id": Uuid::nil(), "by": "county"}),
                Lang::Sv
            ),
            None
        );
    }

    /// A detail that fits each action, so only the lifecycle can refuse.
    fn fitting_detail(action: ProposalAction) -> ProposalActionDetail {
        use ProposalAction as A;
        match action {
            A::Submit | A::Start | A::Complete => ProposalActionDetail::Note(None),
            A::Discuss => ProposalActionDetail::WorkshopInput {
                workshop_id: Uuid::nil(),
                input: text("Ta med NAV"),
            },
            A::Refine => ProposalActionDetail::Refinement {
                changes: text("NAV med i prosjektgruppa"),
                title: None,
                description: None,
            },
            A::DecideGo | A::DecideNoGo => ProposalActionDetail::Decision {
                decided_by: name("Styringsgruppen"),
                decided_by_group_id: None,
                decided_on: day("2026-03-01"),
                rationale: None,
            },
            A::AcceptResponsibility | A::DeclineResponsibility => {
                ProposalActionDetail::Responsibility {
                    organisation_id: Uuid::from_u128(7),
                    note: None,
                }
            }
            A::Evaluate => ProposalActionDetail::Effects(text("12 nye fagbrev")),
        }
    }

    /// Every legal edge of the proposal lifecycle, written out so a change to it is deliberate.
    const LEGAL: &[(ProposalStatus, ProposalAction, ProposalStatus)] = {
        use ProposalAction as A;
        use ProposalStatus as S;
        &[
            (S::Draft, A::Submit, S::Submitted),
            (S::Submitted, A::Discuss, S::Discussed),
            (S::Refined, A::Discuss, S::Discussed),
            (S::Discussed, A::Refine, S::Refined),
            (S::Refined, A::DecideGo, S::DecidedGo),
            (S::Refined, A::DecideNoGo, S::DecidedNoGo),
            (
                S::DecidedGo,
                A::AcceptResponsibility,
                S::ResponsibilityAccepted,
            ),
            (
                S::DecidedGo,
                A::DeclineResponsibility,
                S::ResponsibilityDeclined,
            ),
            (
                S::ResponsibilityDeclined,
                A::AcceptResponsibility,
                S::ResponsibilityAccepted,
            ),
            (
                S::ResponsibilityDeclined,
                A::DeclineResponsibility,
                S::ResponsibilityDeclined,
            ),
            (S::ResponsibilityAccepted, A::Start, S::InProgress),
            (S::InProgress, A::Complete, S::Completed),
            (S::Completed, A::Evaluate, S::Evaluated),
        ]
    };

    #[test]
    fn the_proposal_lifecycle_has_exactly_the_legal_edges() {
        for from in ProposalStatus::ALL {
            for action in ProposalAction::ALL {
                let expected = LEGAL
                    .iter()
                    .find(|(f, a, _)| f == from && a == action)
                    .map(|(_, _, to)| *to);
                match (from.transition(*action), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from} + {action}"),
                    (Err(e), None) => {
                        assert_eq!(
                            (e.entity, e.from, e.action),
                            ("proposal", from.as_str(), action.as_str())
                        );
                    }
                    (got, want) => panic!("{from} + {action}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn the_full_road_of_a_proposal_is_legal_and_records_what_each_step_says() {
        use ProposalAction as A;
        let mut p = proposal(ProposalStatus::Draft);
        for action in [
            A::Submit,
            A::Discuss,
            A::Refine,
            A::DecideGo,
            A::DeclineResponsibility,
            A::AcceptResponsibility,
            A::Start,
            A::Complete,
            A::Evaluate,
        ] {
            let detail = if action == A::AcceptResponsibility {
                ProposalActionDetail::Responsibility {
                    organisation_id: Uuid::from_u128(8),
                    note: None,
                }
            } else {
                fitting_detail(action)
            };
            assert!(
                p.apply(action, detail).is_ok(),
                "{action} from {}",
                p.status
            );
        }
        assert_eq!(p.status, ProposalStatus::Evaluated);
        assert_eq!(p.declined_by, vec![Uuid::from_u128(7)]);
        assert_eq!(p.responsible_organisation_id, Some(Uuid::from_u128(8)));
        assert!(p.decision.as_ref().is_some_and(|d| d.go));
        assert_eq!(
            p.effects.as_ref().map(LongText::as_str),
            Some("12 nye fagbrev")
        );
    }

    #[test]
    fn a_proposal_cannot_be_decided_before_a_workshop_discussed_it() {
        let err = ProposalStatus::Submitted
            .transition(ProposalAction::DecideGo)
            .err();
        assert_eq!(
            err.map(|e| e.to_string()),
            Some("a proposal in state `submitted` cannot `decide_go`".to_owned())
        );
    }

    #[test]
    fn a_no_go_and_an_evaluation_are_final() {
        for action in ProposalAction::ALL {
            assert!(ProposalStatus::DecidedNoGo.transition(*action).is_err());
            assert!(ProposalStatus::Evaluated.transition(*action).is_err());
        }
    }

    #[test]
    fn an_action_without_its_data_is_refused_and_changes_nothing() {
        let mut p = proposal(ProposalStatus::Refined);
        let err = p.apply(ProposalAction::DecideGo, ProposalActionDetail::Note(None));
        assert_eq!(
            err.err().map(|e| e.field_errors()[0].field.clone()),
            Some("decided_by".to_owned())
        );
        assert_eq!(
            p,
            proposal(ProposalStatus::Refined),
            "a refused action changes nothing"
        );
        let mut d = proposal(ProposalStatus::Submitted);
        assert!(
            d.apply(ProposalAction::Discuss, ProposalActionDetail::Note(None))
                .is_err()
        );
        assert_eq!(d.status, ProposalStatus::Submitted);
    }

    #[test]
    fn a_refinement_may_retitle_the_proposal() {
        let mut p = proposal(ProposalStatus::Discussed);
        let detail = ProposalActionDetail::Refinement {
            changes: text("Smalere målgruppe"),
            title: Some(name("Fagbrev på jobb")),
            description: Some(text("For assistenter i omsorg")),
        };
        assert!(p.apply(ProposalAction::Refine, detail).is_ok());
        assert_eq!(p.title.as_str(), "Fagbrev på jobb");
        assert_eq!(p.status, ProposalStatus::Refined);
    }

    #[test]
    fn a_proposal_names_what_motivated_it() {
        assert!(ProposalSpec::parse("Tiltak", None, &[], &[]).is_err());
        let gap = (Uuid::from_u128(1), "3107".to_owned());
        let spec = ProposalSpec::parse(
            "Tiltak",
            Some(" "),
            &[Uuid::from_u128(2), Uuid::from_u128(2)],
            &[gap.clone(), gap],
        );
        let spec = spec.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.need_ids.len(), 1, "duplicates are dropped");
        assert_eq!(spec.gap_entries.len(), 1);
        assert_eq!(spec.description, None, "blank means none");
    }

    #[test]
    fn gap_areas_are_municipality_codes_or_keys() {
        assert!(GapEntry::parse(Uuid::nil(), "3107").is_ok_and(|g| g.is_municipality()));
        assert!(GapEntry::parse(Uuid::nil(), "nedre-glomma").is_ok_and(|g| !g.is_municipality()));
        assert!(GapEntry::parse(Uuid::nil(), "Østfold!").is_err());
        assert!(GapEntry::parse(Uuid::nil(), "").is_err());
    }

    #[test]
    fn an_addressee_has_a_name() {
        assert!(Addressee::parse(None, None, None).is_err());
        assert!(Addressee::parse(Some(Uuid::nil()), None, Some("NAV Østfold")).is_ok());
    }

    #[test]
    fn recommendations_follow_up_in_order() {
        assert!(
            RecommendationStatus::Implemented
                .transition(RecommendationAction::Start)
                .is_err()
        );
        assert_eq!(
            RecommendationStatus::Given.transition(RecommendationAction::Acknowledge),
            Ok(RecommendationStatus::Acknowledged)
        );
    }

    // ---------- routing ----------

    fn group(id: u128, focus: Option<FocusArea>, industry: Option<&str>, start: &str) -> Group {
        Group {
            id: Uuid::from_u128(id),
            platform_id: Uuid::nil(),
            kind: GroupKind::CompetenceGroup,
            name: name(&format!("Gruppe {id}")),
            focus_area: focus,
            industry: industry.map(name),
            period: Period {
                start: day(start),
                end: Some(day(start) + chrono::Days::new(729)),
            },
        }
    }

    fn forum_groups() -> Vec<Group> {
        vec![
            group(1, Some(FocusArea::WorkLifeRelevance), None, "2025-01-01"),
            group(2, Some(FocusArea::LifelongLearning), None, "2025-01-01"),
            group(
                3,
                Some(FocusArea::InclusionAndIntegration),
                None,
                "2025-01-01",
            ),
        ]
    }

    fn facts(purpose: NeedPurpose) -> RoutingFacts {
        RoutingFacts {
            purpose: Some(purpose),
            ..RoutingFacts::default()
        }
    }

    #[test]
    fn needs_route_by_purpose_to_the_focus_area_groups() {
        let today = day("2026-05-01");
        let g = forum_groups();
        let to = |f: &RoutingFacts| route_need(f, &g, today).map(|r| r.group_id.as_u128());
        assert_eq!(to(&facts(NeedPurpose::Reskilling)), Some(2));
        assert_eq!(to(&facts(NeedPurpose::Upskilling)), Some(2));
        assert_eq!(to(&facts(NeedPurpose::Validation)), Some(2));
        assert_eq!(to(&facts(NeedPurpose::Recruitment)), Some(1));
        assert_eq!(to(&facts(NeedPurpose::Apprenticeship)), Some(1));
        let language = RoutingFacts {
            competence_keys: vec!["yrkesnorska".into()],
            ..facts(NeedPurpose::Upskilling)
        };
        assert_eq!(to(&language), Some(3));
        let by_label = RoutingFacts {
            competence_labels: vec!["Norsk for helsearbeidere".into()],
            ..facts(NeedPurpose::Recruitment)
        };
        assert_eq!(to(&by_label), Some(3));
    }

    #[test]
    fn an_industry_group_wins_when_the_industry_fits() {
        let today = day("2026-05-01");
        let mut g = forum_groups();
        g.push(group(4, None, Some("Health care"), "2025-01-01"));
        let health = RoutingFacts {
            industry: Some("health_care".into()),
            ..facts(NeedPurpose::Recruitment)
        };
        let route = route_need(&health, &g, today);
        assert_eq!(route.as_ref().map(|r| r.group_id.as_u128()), Some(4));
        assert_eq!(
            route.map(|r| r.reason),
            Some(RouteReason::Industry {
                industry: "health_care".into()
            })
        );
        let it = RoutingFacts {
            industry: Some("it".into()),
            ..facts(NeedPurpose::Recruitment)
        };
        assert_eq!(
            route_need(&it, &g, today).map(|r| r.group_id.as_u128()),
            Some(1)
        );
    }

    #[test]
    fn only_groups_of_the_current_period_receive_needs() {
        let mut g = forum_groups();
        // The next period's lifelong-learning group: a new group, not yet active.
        g.push(group(
            5,
            Some(FocusArea::LifelongLearning),
            None,
            "2027-01-01",
        ));
        let f = facts(NeedPurpose::Upskilling);
        assert_eq!(
            route_need(&f, &g, day("2026-12-31")).map(|r| r.group_id.as_u128()),
            Some(2)
        );
        assert_eq!(
            route_need(&f, &g, day("2027-01-01")).map(|r| r.group_id.as_u128()),
            Some(5)
        );
        assert_eq!(route_need(&f, &g, day("2030-01-01")), None);
    }

    #[test]
    fn the_industry_comes_from_the_occupation_else_the_commonest_competence_field() {
        assert_eq!(
            dominant_industry(Some("health_care"), ["it"]),
            Some("health_care".into())
        );
        assert_eq!(
            dominant_industry(Some("general"), ["it", "construction", "construction"]),
            Some("construction".into())
        );
        assert_eq!(
            dominant_industry(None, ["it", "construction"]),
            Some("it".into()),
            "ties go to the first"
        );
        assert_eq!(dominant_industry(None, ["general"]), None);
        assert_eq!(industry_key(" Health-Care "), "health_care");
    }

    fn any_group() -> impl Strategy<Value = Group> {
        (
            0u128..20,
            prop::option::of(prop::sample::select(FocusArea::ALL.to_vec())),
            prop::option::of(prop::sample::select(vec![
                "it",
                "health_care",
                "construction",
            ])),
            prop::sample::select(GroupKind::ALL.to_vec()),
            prop::sample::select(vec!["2023-01-01", "2025-01-01", "2027-01-01"]),
        )
            .prop_map(|(id, focus, industry, kind, start)| Group {
                kind,
                ..group(id, focus, industry, start)
            })
    }

    proptest! {
        #[test]
        fn a_routed_need_lands_in_an_active_competence_group_that_fits(
            groups in prop::collection::vec(any_group(), 0..8),
            purpose in prop::sample::select(NeedPurpose::ALL.to_vec()),
            industry in prop::option::of(prop::sample::select(vec!["it", "health_care", "teaching"])),
        ) {
            let today = day("2026-06-01");
            let f = RoutingFacts { purpose: Some(purpose), industry: industry.map(str::to_owned), ..RoutingFacts::default() };
            match route_need(&f, &groups, today) {
                Some(route) => {
                    let g = groups.iter().find(|g| g.id == route.group_id && g.kind == GroupKind::CompetenceGroup && g.period.contains(today));
                    prop_assert!(g.is_some());
                    let fits = groups.iter().filter(|g| g.id == route.group_id).any(|g| match &route.reason {
                        RouteReason::Industry { industry } => g.industry.as_ref().is_some_and(|i| industry_key(i.as_str()) == *industry),
                        RouteReason::FocusArea { focus_area } => g.focus_area == Some(*focus_area),
                    });
                    prop_assert!(fits);
                }
                None => {
                    let area = focus_area_for(&f);
                    prop_assert!(!groups.iter().any(|g| g.kind == GroupKind::CompetenceGroup && g.period.contains(today) && g.focus_area == Some(area)));
                }
            }
        }

        #[test]
        fn a_refused_proposal_action_never_changes_the_proposal(
            from in prop::sample::select(ProposalStatus::ALL.to_vec()),
            action in prop::sample::select(ProposalAction::ALL.to_vec()),
            fitting in any::<bool>(),
        ) {
            let mut p = proposal(from);
            let detail = if fitting { fitting_detail(action) } else { ProposalActionDetail::Effects(text("x")) };
            let before = p.clone();
            if p.apply(action, detail).is_err() {
                prop_assert_eq!(p, before);
            } else {
                prop_assert_eq!(Ok(p.status), from.transition(action));
            }
        }
    }
}
