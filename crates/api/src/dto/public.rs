//! Public offer listings for partner websites: only fields anyone may see. No person's e-mail or
//! phone, no status or version bookkeeping, no needs (demand is counts only).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A label in each supported language.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Labels {
    pub sv: String,
    pub nb: String,
    pub en: String,
}

impl Labels {
    /// The same text in every language (place names).
    pub fn same(text: &str) -> Self {
        Self {
            sv: text.to_owned(),
            nb: text.to_owned(),
            en: text.to_owned(),
        }
    }

    /// The label in `lang` (`sv`, `nb` or `en`).
    pub fn get(&self, lang: &str) -> &str {
        match lang {
            "nb" => &self.nb,
            "en" => &self.en,
            _ => &self.sv,
        }
    }
}

/// A municipality by code and name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicPlace {
    #[schema(example = "1485")]
    pub code: String,
    #[schema(example = "Uddevalla")]
    pub name: String,
}

/// One scheduled run of a course.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicInstance {
    pub id: Uuid,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    /// Where it is held; absent for a pure distance instance.
    pub municipality: Option<PublicPlace>,
    /// Venue or address, when given.
    pub place: Option<String>,
    /// Given at a distance (online).
    pub distance: bool,
    /// Study pace in percent of full time.
    pub pace_percent: u8,
    pub seats: Option<u32>,
    pub application_deadline: Option<NaiveDate>,
}

/// The education provider.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicProvider {
    pub id: Uuid,
    pub name: String,
    pub website: Option<String>,
}

/// A competence the course teaches, labelled in the response language.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicCompetence {
    pub concept_id: Uuid,
    pub label: String,
    /// The ESCO concept, when the competence is tied to one.
    pub esco_uri: Option<String>,
}

/// What the course costs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicCost {
    /// Amount in minor units (öre/øre).
    pub amount_minor: i64,
    /// SEK, NOK or EUR.
    #[schema(value_type = crate::dto::enums::Currency)]
    pub currency: String,
}

/// How many open needs (and people) ask for what the course teaches: "in demand here".
/// Counts only; never which employers or who.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
pub struct DemandSignal {
    /// Open needs with a must-have competence the course teaches.
    pub open_needs: u32,
    /// People those needs are for.
    pub headcount: u32,
}

/// The demand signal and the region it counts in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicDemand {
    #[serde(flatten)]
    pub counts: DemandSignal,
    /// Region key the counts cover (the asked region, else where the course is held); absent
    /// means every region (a distance course listed without a place).
    pub region: Option<String>,
}

/// A published course offer as partner websites show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicOffer {
    pub id: Uuid,
    /// This offer in the public API (absolute URL).
    pub url: String,
    pub title: String,
    pub description: Option<String>,
    /// Teaching language: sv, nb or en.
    #[schema(value_type = crate::dto::enums::Language)]
    pub language: String,
    pub provider: PublicProvider,
    /// Competences from the taxonomy, labelled in the response language.
    pub competences: Vec<PublicCompetence>,
    /// Further competences the provider named in free text.
    pub other_competences: Vec<String>,
    /// EQF level 1..8.
    pub level: Option<u8>,
    /// on_site, distance or blended.
    #[schema(value_type = crate::dto::enums::DeliveryMode)]
    pub delivery: String,
    pub cost: Option<PublicCost>,
    /// Prior learning can be validated.
    pub validation_offered: bool,
    /// The provider's page for the course (application, details).
    pub link: Option<String>,
    /// Regional support tools the course points to.
    pub support_tools: Vec<String>,
    /// Scheduled runs, soonest first.
    pub instances: Vec<PublicInstance>,
    /// The first start today or later.
    pub next_start: Option<NaiveDate>,
    pub demand: PublicDemand,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// How many offers of the result carry one value of a dimension.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetValue {
    /// The value to pass back as a filter.
    pub value: String,
    /// Its label in the response language.
    pub label: String,
    pub count: u64,
}

/// Counts over all pages of the result, so a partner can build its filters.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicFacets {
    pub municipality: Vec<FacetValue>,
    pub delivery: Vec<FacetValue>,
    pub level: Vec<FacetValue>,
    /// The 100 competences most of the matching offers teach, most taught first
    /// (`/public/filters` lists every one).
    pub competence: Vec<FacetValue>,
}

/// One page of public offers with facet counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicOfferPage {
    pub items: Vec<PublicOffer>,
    /// Matching offers in all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    /// Relative URL of the next page, when there is one.
    pub next: Option<String>,
    /// Order applied: start_date, relevance, updated or published.
    #[schema(value_type = crate::dto::enums::PublicSort)]
    pub sort: String,
    /// Competences the `competence` and `q` parameters were understood as.
    pub resolved_competences: Vec<PublicCompetence>,
    pub facets: PublicFacets,
}

/// A filter value with labels in every supported language.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FilterOption {
    pub value: String,
    pub labels: Labels,
}

/// A municipality a listing can be filtered by.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MunicipalityOption {
    #[schema(example = "1485")]
    pub value: String,
    pub labels: Labels,
    /// Region key.
    pub region: String,
    /// Cluster keys.
    pub clusters: Vec<String>,
    /// Published offers with an instance there.
    pub offers: u64,
}

/// A competence a listing can be filtered by (only those some published offer teaches).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompetenceOption {
    /// Concept id.
    pub value: Uuid,
    pub labels: Labels,
    pub esco_uri: Option<String>,
    /// Published offers teaching it.
    pub offers: u64,
}

/// Valid values for every filter of `GET /api/v1/public/offers`, labelled in sv, nb and en.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicFilters {
    pub regions: Vec<FilterOption>,
    pub clusters: Vec<FilterOption>,
    pub municipalities: Vec<MunicipalityOption>,
    pub competences: Vec<CompetenceOption>,
    pub deliveries: Vec<FilterOption>,
    pub levels: Vec<FilterOption>,
    /// Teaching languages (the `language` filter).
    pub languages: Vec<FilterOption>,
    pub sorts: Vec<FilterOption>,
}

/// A JSON-LD document of schema.org terms: `@context` (inline), `@type` and the type's
/// properties. Declared open (`additionalProperties`), as JSON-LD consumers read it.
fn json_ld(
    schema_type: &str,
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .property(
            "@context",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(AdditionalProperties::FreeForm(true))),
        )
        .required("@context")
        .property(
            "@type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([schema_type])),
        )
        .required("@type")
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .into()
}

/// One published offer as a schema.org `Course` in JSON-LD (`Accept: application/ld+json`).
pub struct JsonLdCourse;

impl utoipa::PartialSchema for JsonLdCourse {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        json_ld(
            "Course",
            "A schema.org `Course` in JSON-LD: `name`, `description`, `provider`, `teaches`, \
             `educationalLevel`, `hasCourseInstance`, `offers`.",
        )
    }
}

impl ToSchema for JsonLdCourse {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("JsonLdCourse")
    }
}

/// A page of published offers as a schema.org `ItemList` of `Course`s in JSON-LD.
pub struct JsonLdCourseList;

impl utoipa::PartialSchema for JsonLdCourseList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        json_ld(
            "ItemList",
            "A schema.org `ItemList` in JSON-LD whose `itemListElement`s are `ListItem`s, each \
             with a `Course` as its `item`.",
        )
    }
}

impl ToSchema for JsonLdCourseList {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("JsonLdCourseList")
    }
}
