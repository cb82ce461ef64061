//! Municipal contact persons (kontaktpersoner): appointed per municipality with the areas they
//! cover, and match targets as soon as they are appointed.

use actix_web::{HttpResponse, delete, get, post, put, web};
use broker_domain::person::{ContactAppointment, ContactDraft};
use broker_store::repo::reference::{self, PersonRecord};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{
    commit_structure, record, require_manages, resolve_municipalities, resolve_municipality,
};
use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::reference::{ContactDto, ContactInput};
use crate::error::ApiError;
use crate::extract::ValidJson;

/// The role that makes a person a match target.
const CONTACT_ROLE: &str = "municipal_contact";

fn to_dto(p: PersonRecord) -> ContactDto {
    ContactDto {
        appointed: p.roles.iter().any(|r| r == CONTACT_ROLE),
        id: p.id,
        name: p.name,
        email: p.email,
        phone: p.phone,
        organisation_id: p.organisation_id,
        municipalities: p.municipalities,
        areas: p.areas,
        area_text: p.area_text,
    }
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ContactList {
    pub items: Vec<ContactDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContactQuery {
    /// Only contacts covering this municipality (`1438` or `SE-1438`).
    pub municipality: Option<String>,
}

/// The appointed contact persons, optionally of one municipality. Contact details are shown
/// to signed-in callers only.
#[utoipa::path(
    operation_id = "listContacts",
    tag = "reference",
    params(ContactQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ContactList),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/contacts")]
pub async fn list(
    state: web::Data<AppState>,
    _who: Identity,
    query: crate::extract::ValidQuery<ContactQuery>,
) -> Result<HttpResponse, ApiError> {
    let conn = state.store.conn();
    let code = match &query.municipality {
        Some(raw) => Some(
            resolve_municipality(conn, "municipality", raw)
                .await?
                .code()
                .to_owned(),
        ),
        None => None,
    };
    let items = reference::list_persons(conn)
        .await?
        .into_iter()
        .filter(|p| p.roles.iter().any(|r| r == CONTACT_ROLE))
        .filter(|p| code.as_ref().is_none_or(|c| p.municipalities.contains(c)))
        .map(to_dto)
        .collect();
    Ok(HttpResponse::Ok().json(ContactList { items }))
}

/// Validates a contact and resolves its municipalities and areas (unknown ones are 422s).
async fn validate(
    state: &AppState,
    id: Uuid,
    input: &ContactInput,
) -> Result<ContactAppointment, ApiError> {
    let appointment = ContactAppointment::parse(
        id,
        ContactDraft {
            name: input.name.clone(),
            email: input.email.clone(),
            phone: input.phone.clone(),
            organisation_id: input.organisation_id,
            municipalities: input.municipalities.clone(),
            area_concepts: input.areas.clone(),
            area_labels: input.area_text.clone(),
        },
    )?;
    for (i, area) in input.areas.iter().enumerate() {
        if state.matcher.concept(*area).is_none() {
            return Err(ApiError::field(
                format!("areas[{i}]"),
                "no competence with this id",
            ));
        }
    }
    if let Some(org) = input.organisation_id {
        reference::get_organisation(state.store.conn(), org)
            .await
            .map_err(|_| ApiError::field("organisation_id", "no organisation with this id"))?;
    }
    Ok(appointment)
}

fn person_record(
    a: ContactAppointment,
    municipalities: Vec<String>,
    roles: Vec<String>,
) -> PersonRecord {
    PersonRecord {
        id: a.person.id,
        name: a.person.name.into_inner(),
        email: a.person.email.map(|e| e.as_str().to_owned()),
        phone: a.person.phone,
        organisation_id: a.person.organisation_id,
        roles,
        municipalities,
        areas: a.area_concepts,
        area_text: a.area_labels.into_iter().map(|l| l.into_inner()).collect(),
    }
}

/// Writes a contact (new when there is no `before`) with its audit entry in one transaction;
/// contacts are match targets, so every active need is rematched with it. Returns the contact.
async fn save(
    state: &AppState,
    who: &Identity,
    action: &str,
    before: Option<PersonRecord>,
    person: PersonRecord,
) -> Result<ContactDto, ApiError> {
    let dto = to_dto(person.clone());
    let txn = state.store.begin().await?;
    match before {
        None => reference::insert_person(&txn, &person).await?,
        Some(_) => reference::update_person(&txn, &person).await?,
    }
    record(
        &txn,
        who,
        action,
        "person",
        Some(person.id),
        before.and_then(|b| serde_json::to_value(to_dto(b)).ok()),
        serde_json::to_value(&dto).ok(),
    )
    .await?;
    commit_structure(state, txn).await?;
    Ok(dto)
}

/// Appoints a contact person for one or more municipalities, with the areas they cover. Admins,
/// and the sub-regional broker of every municipality named. The contact becomes a match target.
#[utoipa::path(
    operation_id = "appointContact",
    tag = "reference",
    request_body = ContactInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ContactDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/contacts")]
pub async fn appoint(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<ContactInput>,
) -> Result<HttpResponse, ApiError> {
    let id = Uuid::now_v7();
    let appointment = validate(&state, id, &input).await?;
    let codes =
        resolve_municipalities(state.store.conn(), "municipalities", &input.municipalities).await?;
    require_manages(&state, &who, &codes, "contact persons").await?;
    let person = person_record(appointment, codes, vec![CONTACT_ROLE.to_owned()]);
    let dto = save(&state, &who, "contact.appoint", None, person).await?;
    Ok(HttpResponse::Created().json(dto))
}

/// Changes a contact person: details, municipalities and areas (the whole contact is sent).
/// The caller must manage both the municipalities the contact had and those given.
#[utoipa::path(
    operation_id = "updateContact",
    tag = "reference",
    params(("id" = Uuid, Path, description = "Contact (person) id")),
    request_body = ContactInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ContactDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[put("/api/v1/contacts/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<ContactInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let current = reference::get_person(state.store.conn(), id).await?;
    require_manages(&state, &who, &current.municipalities, "contact persons").await?;
    let appointment = validate(&state, id, &input).await?;
    let codes =
        resolve_municipalities(state.store.conn(), "municipalities", &input.municipalities).await?;
    require_manages(&state, &who, &codes, "contact persons").await?;
    let mut roles = current.roles.clone();
    if !roles.iter().any(|r| r == CONTACT_ROLE) {
        roles.push(CONTACT_ROLE.to_owned());
    }
    let person = person_record(appointment, codes, roles);
    let dto = save(&state, &who, "contact.update", Some(current), person).await?;
    Ok(HttpResponse::Ok().json(dto))
}

/// Ends a contact person's appointment: they are no longer a match target. The person's record
/// stays (meetings and memberships point to it), with no municipalities.
#[utoipa::path(
    operation_id = "removeContact",
    tag = "reference",
    params(("id" = Uuid, Path, description = "Contact (person) id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ContactDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[delete("/api/v1/contacts/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let current = reference::get_person(state.store.conn(), id).await?;
    if !current.roles.iter().any(|r| r == CONTACT_ROLE) {
        return Err(ApiError::NotFound("contact"));
    }
    require_manages(&state, &who, &current.municipalities, "contact persons").await?;
    let mut removed = current.clone();
    removed.roles.retain(|r| r != CONTACT_ROLE);
    removed.municipalities.clear();
    // The feed tells the municipalities the contact covered (from the snapshot before).
    let dto = save(&state, &who, "contact.remove", Some(current), removed).await?;
    Ok(HttpResponse::Ok().json(dto))
}
