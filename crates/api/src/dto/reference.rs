//! Reference data: regions, municipalities, clusters, platforms, organisations. (Taxonomy shapes are
//! in `dto::taxonomy`.)

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionDto {
    pub id: Uuid,
    /// Stable key (`fyrbodal`, `ostfold`).
    pub key: String,
    pub name: String,
    /// SE or NO.
    #[schema(value_type = crate::dto::enums::Country)]
    pub country: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MunicipalityDto {
    /// Official code: kommunkod (SE) or kommunenummer (NO).
    #[schema(example = "1485")]
    pub code: String,
    pub name: String,
    #[schema(value_type = crate::dto::enums::Country)]
    pub country: String,
    pub region_id: Uuid,
    /// Region key.
    pub region: String,
    /// Keys of the clusters the municipality belongs to.
    pub clusters: Vec<String>,
    /// The country-qualified code (`SE-1438`), accepted wherever a code is.
    #[schema(example = "SE-1485")]
    pub qualified_code: String,
    /// The municipality that replaced this one (merger or renumbering), if any.
    pub replaced_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClusterDto {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub region_id: Uuid,
    pub municipalities: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlatformDto {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    /// `local_platform` or `forum`.
    #[schema(value_type = crate::dto::enums::PlatformModel)]
    pub model: String,
    pub region_id: Uuid,
    pub cluster_id: Option<Uuid>,
    /// `municipal`, `cluster` or `subregional` (local platforms).
    #[schema(value_type = Option<crate::dto::enums::BrokerArrangement>)]
    pub broker_arrangement: Option<String>,
    /// The platform a need escalates to when it stays unmatched here.
    pub parent_id: Option<Uuid>,
    pub municipalities: Vec<String>,
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub settings: serde_json::Value,
    /// First day the platform works (a pilot is a trial); open when null.
    pub active_from: Option<chrono::NaiveDate>,
    /// Last day the platform works; open when null.
    pub active_to: Option<chrono::NaiveDate>,
    /// Whether the platform works today (inside its active period).
    pub active: bool,
    /// A forum's mandate.
    pub mandate: Option<String>,
    /// A forum's goals.
    pub goals: Vec<String>,
}

/// How far from a need's municipality an on-site course may take place and still be suggested:
/// `municipality`, `cluster`, `sub_region`, `region` (default) or `anywhere`. Distance courses
/// are not limited. The reference data has no level between cluster and region, so
/// `sub_region` reaches as far as `region`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReachSetting {
    Municipality,
    Cluster,
    SubRegion,
    Region,
    Anywhere,
}

impl From<ReachSetting> for broker_domain::platform::Reach {
    fn from(r: ReachSetting) -> Self {
        match r {
            ReachSetting::Municipality => Self::Municipality,
            ReachSetting::Cluster => Self::Cluster,
            ReachSetting::SubRegion => Self::SubRegion,
            ReachSetting::Region => Self::Region,
            ReachSetting::Anywhere => Self::Anywhere,
        }
    }
}

/// Changes to a platform's matching settings; fields left out keep their value. Weights and
/// `min_score` lie in 0..1 (at least one weight above 0); the score scale `min_score` applies to
/// is described in the matching documentation (an offer's score is its relevance, modulated by
/// place, time, seats, level and delivery).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformSettingsPatch {
    pub competence: Option<f64>,
    pub text: Option<f64>,
    pub geography: Option<f64>,
    pub timing: Option<f64>,
    pub level: Option<f64>,
    pub capacity: Option<f64>,
    pub delivery: Option<f64>,
    /// Suggestions scoring below this are not shown.
    pub min_score: Option<f64>,
    /// Suggestions of each kind kept per need (1..100).
    pub max_results: Option<u32>,
    /// Days a need stays open (1..3650).
    pub need_ttl_days: Option<u32>,
    /// Days without an accepted match before a need escalates (1..365).
    pub escalate_after_days: Option<u32>,
    /// How far an on-site course may be from the need.
    pub reach: Option<ReachSetting>,
}

impl PlatformSettingsPatch {
    /// The settings with this patch applied (not yet validated).
    pub fn apply(
        &self,
        mut s: broker_domain::platform::MatchingSettings,
    ) -> broker_domain::platform::MatchingSettings {
        let weights = [
            (self.competence, &mut s.competence),
            (self.text, &mut s.text),
            (self.geography, &mut s.geography),
            (self.timing, &mut s.timing),
            (self.level, &mut s.level),
            (self.capacity, &mut s.capacity),
            (self.delivery, &mut s.delivery),
            (self.min_score, &mut s.min_score),
        ];
        for (value, slot) in weights {
            if let Some(v) = value {
                *slot = v;
            }
        }
        if let Some(v) = self.max_results {
            s.max_results = v;
        }
        if let Some(v) = self.need_ttl_days {
            s.need_ttl_days = v;
        }
        if let Some(v) = self.escalate_after_days {
            s.escalate_after_days = v;
        }
        if let Some(r) = self.reach {
            s.reach = r.into();
        }
        s
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationDto {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = crate::dto::enums::OrganisationKind)]
    pub kind: String,
    #[schema(value_type = crate::dto::enums::Country)]
    pub country: String,
    /// Digits only.
    pub org_number: Option<String>,
    /// Display form (`NNNNNN-NNNN` / `NNN NNN NNN`).
    pub org_number_formatted: Option<String>,
    pub municipality: Option<String>,
    pub website: Option<String>,
}

/// A new organisation (admins).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationInput {
    pub name: String,
    /// employer, education_provider, public_agency, employer_organisation, employee_organisation,
    /// industry_cluster, ngo, municipality.
    #[schema(value_type = crate::dto::enums::OrganisationKind)]
    pub kind: String,
    /// SE or NO.
    #[schema(value_type = crate::dto::enums::Country)]
    pub country: String,
    /// Swedish: 10 digits (Luhn); Norwegian: 9 digits (mod 11).
    pub org_number: Option<String>,
    pub municipality: Option<String>,
    pub website: Option<String>,
}

/// A new region (admins).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionInput {
    /// Stable key: lower-case letters, digits and dashes (`viken`).
    pub key: String,
    pub name: String,
    #[schema(value_type = crate::dto::enums::Country)]
    pub country: String,
}

/// A region's new name (admins).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionPatch {
    pub name: String,
}

/// A new municipality (admins). `code` is the official four digits, or the qualified form.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MunicipalityInput {
    #[schema(example = "NO-3101")]
    pub code: String,
    pub name: String,
    /// Region key (`fyrbodal`, `ostfold`); the municipality takes the region's country.
    pub region: String,
}

/// Changes to a municipality (admins). A merger or renumbering is recorded by naming the
/// municipality that replaced it (created first); it then takes no new needs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MunicipalityPatch {
    pub name: Option<String>,
    /// Code of the municipality that replaced this one.
    pub replaced_by: Option<String>,
}

/// A new cluster, or a cluster's new name and members.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterInput {
    /// Stable key (creation only; ignored on change).
    pub key: Option<String>,
    pub name: String,
    /// Member municipality codes (at least two, of one region).
    pub municipalities: Vec<String>,
}

/// A new platform (admins; a sub-regional broker for local platforms in its sub-region).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformInput {
    pub key: String,
    pub name: String,
    /// `local_platform` or `forum`.
    #[schema(value_type = crate::dto::enums::PlatformModel)]
    pub model: String,
    /// Region key.
    pub region: String,
    pub cluster_id: Option<Uuid>,
    /// `municipal`, `cluster` or `subregional` (local platforms only).
    #[schema(value_type = Option<crate::dto::enums::BrokerArrangement>)]
    pub broker_arrangement: Option<String>,
    /// Where needs escalate when they stay unmatched here.
    pub parent_id: Option<Uuid>,
    pub municipalities: Vec<String>,
    pub active_from: Option<chrono::NaiveDate>,
    pub active_to: Option<chrono::NaiveDate>,
    /// Matching settings; left-out fields take the defaults.
    #[serde(default)]
    pub settings: PlatformSettingsPatch,
}

/// A platform's active period; a null end is open.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivePeriodInput {
    pub active_from: Option<chrono::NaiveDate>,
    pub active_to: Option<chrono::NaiveDate>,
}

/// Changes to a platform's set-up; absent fields keep their value. `active_period`, when
/// given, replaces both ends.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformPatch {
    pub name: Option<String>,
    #[schema(value_type = Option<crate::dto::enums::BrokerArrangement>)]
    pub broker_arrangement: Option<String>,
    /// The platform needs escalate to; `null` clears it (the platform escalates nowhere).
    #[serde(
        default,
        deserialize_with = "explicit_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    pub cluster_id: Option<Uuid>,
    pub municipalities: Option<Vec<String>>,
    pub active_period: Option<ActivePeriodInput>,
    /// Matching settings to change.
    pub settings: Option<PlatformSettingsPatch>,
}

/// A patch field where `null` means "clear it": absent is `None` (by `serde(default)`), `null`
/// is `Some(None)`, a value `Some(Some(value))`.
fn explicit_null<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A forum's mandate and goals (admins).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MandateInput {
    #[schema(
        example = "Kompetanseforum Østfold skal bidra til bedre informasjonsflyt mellom utdanning og arbeidsliv."
    )]
    pub mandate: String,
    #[serde(default)]
    pub goals: Vec<String>,
}

/// A municipality's contact person (kontaktperson) and the areas they cover.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organisation_id: Option<Uuid>,
    /// Municipality codes the contact covers.
    pub municipalities: Vec<String>,
    /// Competence concepts the contact can help with.
    #[serde(default)]
    pub areas: Vec<Uuid>,
    /// Free-text areas (e.g. `livsmedelsindustri`).
    #[serde(default)]
    pub area_text: Vec<String>,
}

/// A contact person as the structure API shows them (to signed-in callers only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactDto {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub municipalities: Vec<String>,
    pub areas: Vec<Uuid>,
    pub area_text: Vec<String>,
    /// Whether the person is currently appointed (a removed contact keeps their record).
    pub appointed: bool,
}

/// A pilot status to record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PilotStatusInput {
    /// `not_started`, `starting`, `working` or `established`.
    #[schema(example = "working")]
    pub status: String,
    pub note: Option<String>,
    /// The day the status describes (default today; not in the future).
    pub as_of: Option<chrono::NaiveDate>,
}

/// One recorded pilot status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PilotStatusDto {
    pub id: Uuid,
    pub municipality: String,
    pub status: String,
    pub note: Option<String>,
    pub as_of: chrono::NaiveDate,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
}

/// A municipality's pilot status now and its history, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PilotStatusHistory {
    pub municipality: String,
    pub current: Option<PilotStatusDto>,
    pub history: Vec<PilotStatusDto>,
}
