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
