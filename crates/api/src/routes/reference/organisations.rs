use actix_web::{HttpRequest, HttpResponse, get, post, web};
use broker_domain::error::Validator;
use broker_domain::geo::{Country, MunicipalityCode};
use broker_domain::organisation::{OrgNumber, OrganisationKind};
use broker_domain::values::{Name, WebUrl};
use broker_store::repo::{audit, reference};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Identity, Role};
use crate::dto::reference::{OrganisationDto, OrganisationInput};
use crate::dto::{Page, Paging};
use crate::error::ApiError;
use crate::extract::ValidJson;

pub fn to_dto(o: reference::OrganisationRecord) -> OrganisationDto {
    let formatted = o
        .org_number
        .as_deref()
        .and_then(|n| OrgNumber::parse(o.country, n).ok())
        .map(|n| n.formatted());
    OrganisationDto {
        id: o.id,
        name: o.name,
        kind: o.kind.as_str().to_owned(),
        country: o.country.code().to_owned(),
        org_number: o.org_number,
        org_number_formatted: formatted,
        municipality: o.municipality,
        website: o.website,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrganisationQuery {
    /// Only this kind (employer, education_provider, ...).
    pub kind: Option<String>,
    /// Name contains this text.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Organisations (employers, education providers, municipalities, agencies), by name.
#[utoipa::path(
    operation_id = "listOrganisations",
    tag = "reference",
    params(OrganisationQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<OrganisationDto>), (status = 401, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/organisations")]
pub async fn list(
    state: web::Data<AppState>,
    _who: Identity,
    query: crate::extract::ValidQuery<OrganisationQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    if let Some(k) = &query.kind {
        OrganisationKind::parse(k).map_err(|e| ApiError::from(e.under("kind")))?;
    }
    let page = reference::list_organisations(
        state.store.conn(),
        query.kind.as_deref(),
        query.q.as_deref(),
        limit,
        offset,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(
        page.items.into_iter().map(to_dto).collect(),
        page.total,
        limit,
        offset,
        &req,
    )))
}

/// One organisation.
#[utoipa::path(
    operation_id = "getOrganisation",
    tag = "reference",
    params(("id" = Uuid, Path, description = "Organisation id")),
    security(("bearer" = [])),
    responses((status = 200, body = OrganisationDto), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/organisations/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    _who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(to_dto(
        reference::get_organisation(state.store.conn(), id.into_inner()).await?,
    )))
}

/// Registers an organisation (admins). Organisation numbers are checked: Swedish 10 digits with
/// the Luhn check digit, Norwegian 9 digits with the modulus-11 check digit.
#[utoipa::path(
    operation_id = "createOrganisation",
    tag = "reference",
    request_body = OrganisationInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = OrganisationDto),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/organisations")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<OrganisationInput>,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Admin])?;
    let mut v = Validator::new();
    let name = v.check("name", Name::parse(&input.name));
    let kind = v.check("kind", OrganisationKind::parse(&input.kind));
    let country = v.check("country", Country::parse(&input.country));
    let number = match (&input.org_number, country) {
        (Some(n), Some(c)) => v.check("org_number", OrgNumber::parse(c, n)),
        _ => None,
    };
    let municipality = v.check(
        "municipality",
        input
            .municipality
            .as_deref()
            .map(MunicipalityCode::parse)
            .transpose(),
    );
    let website = v.check(
        "website",
        input.website.as_deref().map(WebUrl::parse).transpose(),
    );
    v.finish().map_err(ApiError::from)?;
    let (Some(name), Some(kind), Some(country), Some(municipality), Some(website)) =
        (name, kind, country, municipality, website)
    else {
        return Err(ApiError::field("", "invalid organisation"));
    };
    let municipality = match &municipality {
        Some(code) => Some(
            super::resolve_municipality(state.store.conn(), "municipality", code.as_str())
                .await?
                .code()
                .to_owned(),
        ),
        None => None,
    };
    let txn = state
        .store
        .conn()
        .begin()
        .await
        .map_err(ApiError::internal)?;
    let row = reference::insert_organisation(
        &txn,
        reference::NewOrganisation {
            id: Uuid::now_v7(),
            name: name.into_inner(),
            kind,
            country,
            org_number: number.map(|n| n.digits().to_owned()),
            municipality,
            website: website.map(|w| w.as_str().to_owned()),
        },
    )
    .await?;
    let dto = to_dto(row);
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "organisation.create".to_owned(),
            entity: "organisation",
            entity_id: Some(dto.id),
            before: None,
            after: serde_json::to_value(&dto).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created().json(dto))
}
