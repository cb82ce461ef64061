//! Reports: the competence gap (what active needs ask for, by area, and how much of it no course
//! offer is in sight for) and the activity report (what each platform did in a period). JSON by
//! default, CSV with `Accept: text/csv`.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use broker_application::access::NeedAccess;
use broker_domain::forum::ProposalStatus;
use broker_domain::platform::PilotStage;
use broker_domain::report::{
    GapCompetence, GapNeed, GapRow, Interval, PilotEntry, activity_rows, gap_rows, periods,
    pilot_rows, pilot_summary, spreadsheet_safe,
};
use broker_store::repo::{activity as activity_data, matches, needs, reference};
use chrono::{Datelike, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Identity, Role};
use crate::dto::Page;
use crate::dto::reports::{ActivityQuery, ActivityReport, ActivityRowDto, GapQuery, GapRowDto};
use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AreaKind {
    Municipality,
    Cluster,
    Region,
}

impl AreaKind {
    fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        match raw.map(str::trim) {
            None | Some("") | Some("municipality") => Ok(Self::Municipality),
            Some("cluster") => Ok(Self::Cluster),
            Some("region") => Ok(Self::Region),
            Some(_) => Err(ApiError::field(
                "by",
                "must be one of municipality, cluster, region",
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Municipality => "municipality",
            Self::Cluster => "cluster",
            Self::Region => "region",
        }
    }
}

/// Key under which needs of municipalities outside every cluster are counted.
const NO_CLUSTER: &str = "none";

/// Area keys and display names for every municipality, under one grouping.
struct Areas {
    of_municipality: HashMap<String, Vec<String>>,
    names: HashMap<String, String>,
}

async fn areas(state: &AppState, kind: AreaKind) -> Result<Areas, ApiError> {
    let conn = state.store.conn();
    let municipalities = reference::list_municipalities(conn, None, None).await?;
    let mut of_municipality = HashMap::new();
    let mut names = HashMap::new();
    match kind {
        AreaKind::Municipality => {
            for m in municipalities {
                names.insert(m.code().to_owned(), m.name().to_owned());
                of_municipality.insert(m.code().to_owned(), vec![m.code().to_owned()]);
            }
        }
        AreaKind::Region => {
            let regions: HashMap<Uuid, _> = reference::list_regions(conn)
                .await?
                .into_iter()
                .map(|r| (r.region.id, r))
                .collect();
            for m in municipalities {
                if let Some(r) = regions.get(&m.municipality.region_id) {
                    names.insert(r.key.clone(), r.region.name.as_str().to_owned());
                    of_municipality.insert(m.code().to_owned(), vec![r.key.clone()]);
                }
            }
        }
        AreaKind::Cluster => {
            let clusters = reference::list_clusters(conn).await?;
            names.insert(NO_CLUSTER.to_owned(), "Outside every cluster".to_owned());
            for m in municipalities {
                let mut keys: Vec<String> = clusters
                    .iter()
                    .filter(|c| c.municipalities.iter().any(|code| code == m.code()))
                    .map(|c| c.key.clone())
                    .collect();
                if keys.is_empty() {
                    keys.push(NO_CLUSTER.to_owned());
                }
                of_municipality.insert(m.code().to_owned(), keys);
            }
            for c in clusters {
                names.insert(c.key, c.name);
            }
        }
    }
    Ok(Areas {
        of_municipality,
        names,
    })
}

/// Competence demand by area: active needs, head counts, and the part no course offer is in sight
/// for (no offer suggested, deferred or accepted). Largest gap first.
///
/// Brokers see their platforms' needs, municipal contacts their municipalities', providers the
/// whole picture (counts only); employers are refused.
#[utoipa::path(
    operation_id = "getGapReport",
    tag = "reports",
    params(GapQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "JSON, or CSV with `Accept: text/csv`", content((Page<GapRowDto> = "application/json"), (String = "text/csv"))),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "employers do not see reports", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad query parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/reports/gap")]
pub async fn gap(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<GapQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if who.role() == Role::Employer {
        return Err(ApiError::Forbidden(
            "the gap report is for brokers, municipal contacts and providers".into(),
        ));
    }
    let kind = AreaKind::parse(query.by.as_deref())?;
    let lang = crate::routes::taxonomy::language(query.lang.as_deref())?;
    let (limit, offset) = crate::dto::Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let conn = state.store.conn();
    let actor = who.actor();
    let visible: Vec<_> = needs::active(conn)
        .await?
        .into_iter()
        .filter(|r| who.role() == Role::Provider || NeedAccess::may_see(&actor, &r.need))
        .filter(|r| query.platform.is_none_or(|p| r.need.platform_id == p))
        .collect();
    let ids: Vec<Uuid> = visible.iter().map(|r| r.need.id).collect();
    let in_sight = matches::needs_with_offer_in_sight(conn, &ids).await?;
    let areas = areas(&state, kind).await?;
    let gap_needs: Vec<GapNeed> = visible
        .iter()
        .map(|r| GapNeed {
            areas: areas
                .of_municipality
                .get(r.need.spec.municipality.as_str())
                .cloned()
                .unwrap_or_else(|| vec![r.need.spec.municipality.as_str().to_owned()]),
            headcount: r.need.spec.headcount.get(),
            competences: competences_of(&state, &r.need),
            offer_in_sight: in_sight.contains(&r.need.id),
        })
        .collect();
    let rows: Vec<GapRow> = gap_rows(&gap_needs)
        .into_iter()
        .filter(|row| {
            query
                .competence
                .is_none_or(|c| row.competence == GapCompetence::Concept(c))
        })
        .filter(|row| !query.unmatched_only.unwrap_or(false) || row.unmatched_headcount > 0)
        .collect();
    let to_dto = |row: &GapRow| GapRowDto {
        competence_id: match &row.competence {
            GapCompetence::Concept(id) => Some(*id),
            GapCompetence::FreeText(_) => None,
        },
        competence: match &row.competence {
            GapCompetence::Concept(id) => state
                .matcher
                .concept(*id)
                .map(|c| c.preferred_label(lang))
                .unwrap_or_default(),
            GapCompetence::FreeText(label) => label.clone(),
        },
        area_kind: kind.as_str().to_owned(),
        area: row.area.clone(),
        area_name: areas.names.get(&row.area).cloned().unwrap_or_default(),
        needs: row.needs,
        headcount: row.headcount,
        unmatched_needs: row.unmatched_needs,
        unmatched_headcount: row.unmatched_headcount,
    };
    if crate::extract::accepts(&req, "text/csv") {
        let dtos: Vec<GapRowDto> = rows.iter().map(to_dto).collect();
        return csv_response(&dtos);
    }
    let total = rows.len() as u64;
    let items: Vec<GapRowDto> = rows
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(to_dto)
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(items, total, limit, offset, &req)))
}

/// The competences a need counts towards: its stated ones, or, for a need stated only as an
/// occupation, the occupation's essential competences.
fn competences_of(state: &AppState, need: &broker_domain::need::Need) -> Vec<GapCompetence> {
    let stated: Vec<GapCompetence> = need
        .spec
        .competences
        .iter()
        .map(|c| match c.concept_id {
            Some(id) => GapCompetence::Concept(id),
            None => GapCompetence::free_text(c.label.as_str()),
        })
        .collect();
    if !stated.is_empty() {
        return stated;
    }
    need.spec
        .occupation_id
        .and_then(|occ| {
            state.matcher.with_engine(|e| {
                e.taxonomy().occupation(occ).map(|o| {
                    o.essential
                        .iter()
                        .copied()
                        .map(GapCompetence::Concept)
                        .collect()
                })
            })
        })
        .unwrap_or_default()
}

fn csv_response(rows: &[GapRowDto]) -> Result<HttpResponse, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "competence_id",
        "competence",
        "area_kind",
        "area",
        "area_name",
        "needs",
        "headcount",
        "unmatched_needs",
        "unmatched_headcount",
    ];
    let failed = |e: csv::Error| ApiError::Internal(Box::new(e));
    out.write_record(header).map_err(failed)?;
    for r in rows {
        out.write_record([
            r.competence_id.map(|id| id.to_string()).unwrap_or_default(),
            spreadsheet_safe(&r.competence),
            spreadsheet_safe(&r.area_kind),
            spreadsheet_safe(&r.area),
            spreadsheet_safe(&r.area_name),
            r.needs.to_string(),
            r.headcount.to_string(),
            r.unmatched_needs.to_string(),
            r.unmatched_headcount.to_string(),
        ])
        .map_err(failed)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| ApiError::Internal(Box::new(e.into_error())))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"gap-report.csv\"",
        ))
        .body(body))
}

/// The longest range the activity report covers in one request.
const MAX_ACTIVITY_DAYS: i64 = 10 * 366;

/// What each platform did in a period: needs entered, matched and fulfilled, median days to a
/// broker's first decision, acceptance rate, forum proposals by status, course requests sent and
/// answered. One row per platform, or per platform and month, quarter or year. JSON, or CSV with
/// `Accept: text/csv`; the JSON lists each municipality's pilot status at `to`, the CSV counts
/// a row's municipalities per pilot stage at the row's period end (`pilot_not_started` ...
/// `pilot_established`, `pilot_unrecorded`) and the statuses recorded in it (`pilot_changes`).
/// Counts only: every role but employers may read it.
#[utoipa::path(
    operation_id = "getActivityReport",
    tag = "reports",
    params(ActivityQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "JSON, or CSV with `Accept: text/csv`", content((ActivityReport = "application/json"), (String = "text/csv"))),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "employers do not see reports", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad query parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/reports/activity")]
pub async fn activity(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<ActivityQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if who.role() == Role::Employer {
        return Err(ApiError::Forbidden(
            "the activity report is for brokers, municipal contacts, providers and admins".into(),
        ));
    }
    // Dates are parsed here rather than by the extractor so a bad one is named in the error.
    let day = |field: &str, raw: Option<&str>| -> Result<Option<NaiveDate>, ApiError> {
        raw.map(|r| {
            r.trim()
                .parse::<NaiveDate>()
                .map_err(|_| ApiError::field(field, format!("`{r}` is not a date (YYYY-MM-DD)")))
        })
        .transpose()
    };
    let to = day("to", query.to.as_deref())?.unwrap_or_else(|| Utc::now().date_naive());
    let from = day("from", query.from.as_deref())?
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    if from > to {
        return Err(ApiError::field("from", "must not be after `to`"));
    }
    if (to - from).num_days() > MAX_ACTIVITY_DAYS {
        return Err(ApiError::field(
            "from",
            "the range may span at most ten years",
        ));
    }
    let interval_name = query.interval.as_deref().unwrap_or("all").trim().to_owned();
    let interval =
        Interval::parse(Some(&interval_name)).map_err(|e| ApiError::Validation(vec![e]))?;
    let conn = state.store.conn();
    let all = reference::list_platforms(conn).await?;
    let platforms: Vec<&reference::PlatformRecord> = match query.platform {
        Some(id) => {
            let p: Vec<_> = all.iter().filter(|p| p.id == id).collect();
            if p.is_empty() {
                return Err(ApiError::field("platform", "no such platform"));
            }
            p
        }
        None => all.iter().collect(),
    };
    let ids: Vec<Uuid> = platforms.iter().map(|p| p.id).collect();
    let start = from.and_time(NaiveTime::MIN).and_utc();
    let until = to
        .succ_opt()
        .unwrap_or(to)
        .and_time(NaiveTime::MIN)
        .and_utc();
    let data = activity_data::load(conn, &ids, start, until).await?;
    let rows = activity_rows(
        &ids,
        &periods(from, to, interval),
        &data.needs,
        &data.events,
    );
    let name_of = |id: Uuid| {
        platforms
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    };
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let items: Vec<ActivityRowDto> = rows
        .into_iter()
        .map(|r| ActivityRowDto {
            platform: name_of(r.platform),
            platform_id: r.platform,
            period_start: r.period_start,
            period_end: r.period_end,
            needs_entered: r.needs_entered,
            needs_matched: r.needs_matched,
            needs_fulfilled: r.needs_fulfilled,
            needs_reviewed: r.needs_reviewed,
            median_days_to_first_review: r.median_days_to_first_review.map(round),
            decisions_accepted: r.decisions_accepted,
            decisions_rejected: r.decisions_rejected,
            acceptance_rate: r.acceptance_rate.map(round),
            proposals_by_status: r.proposals_by_status,
            course_requests_sent: r.course_requests_sent,
            course_requests_answered: r.course_requests_answered,
        })
        .collect();
    let entries = pilot_entries(conn).await?;
    if crate::extract::accepts(&req, "text/csv") {
        return activity_csv(&items, &platforms, &entries);
    }
    let pilot = pilot_report(conn, &platforms, &entries, from, to).await?;
    Ok(HttpResponse::Ok().json(ActivityReport {
        from,
        to,
        interval: interval_name,
        items,
        pilot,
    }))
}

/// Every recorded pilot status, oldest first.
async fn pilot_entries(conn: &impl sea_orm::ConnectionTrait) -> Result<Vec<PilotEntry>, ApiError> {
    Ok(reference::pilot_statuses(conn, None)
        .await?
        .into_iter()
        .map(|r| PilotEntry {
            municipality: r.municipality.into_inner(),
            status: r.status.stage.as_str().to_owned(),
            note: r.status.note.map(|n| n.into_inner()),
            as_of: r.status.as_of,
        })
        .collect())
}

/// The pilot status of every municipality the reported platforms serve, at `to`.
async fn pilot_report(
    conn: &impl sea_orm::ConnectionTrait,
    platforms: &[&reference::PlatformRecord],
    entries: &[PilotEntry],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<crate::dto::reports::PilotRowDto>, ApiError> {
    let mut codes: Vec<String> = platforms
        .iter()
        .flat_map(|p| p.municipalities.iter().cloned())
        .collect();
    codes.sort();
    codes.dedup();
    let names: std::collections::HashMap<String, String> =
        reference::list_municipalities(conn, None, None)
            .await?
            .into_iter()
            .map(|m| (m.code().to_owned(), m.name().to_owned()))
            .collect();
    Ok(broker_domain::report::pilot_rows(&codes, entries, from, to)
        .into_iter()
        .map(|r| crate::dto::reports::PilotRowDto {
            municipality_name: names.get(&r.municipality).cloned().unwrap_or_default(),
            municipality: r.municipality,
            status: r.status,
            note: r.note,
            as_of: r.as_of,
            changes_in_period: r.changes_in_period,
        })
        .collect())
}

/// The activity rows as CSV. Each row carries its platform's pilot columns at the row's period
/// end (the JSON form's `pilot` list, counted per stage so the shape stays fixed).
fn activity_csv(
    rows: &[ActivityRowDto],
    platforms: &[&reference::PlatformRecord],
    entries: &[PilotEntry],
) -> Result<HttpResponse, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| ApiError::Internal(Box::new(e));
    let mut header: Vec<String> = [
        "platform_id",
        "platform",
        "period_start",
        "period_end",
        "needs_entered",
        "needs_matched",
        "needs_fulfilled",
        "needs_reviewed",
        "median_days_to_first_review",
        "decisions_accepted",
        "decisions_rejected",
        "acceptance_rate",
        "course_requests_sent",
        "course_requests_answered",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // One column per proposal status, so spreadsheets get a fixed shape.
    header.extend(
        ProposalStatus::ALL
            .iter()
            .map(|s| format!("proposals_{}", s.as_str())),
    );
    header.extend(
        PilotStage::ALL
            .iter()
            .map(|s| format!("pilot_{}", s.as_str())),
    );
    header.extend(["pilot_unrecorded".to_owned(), "pilot_changes".to_owned()]);
    out.write_record(&header).map_err(failed)?;
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for r in rows {
        let mut record = vec![
            r.platform_id.to_string(),
            spreadsheet_safe(&r.platform),
            r.period_start.to_string(),
            r.period_end.to_string(),
            r.needs_entered.to_string(),
            r.needs_matched.to_string(),
            r.needs_fulfilled.to_string(),
            r.needs_reviewed.to_string(),
            opt(r.median_days_to_first_review),
            r.decisions_accepted.to_string(),
            r.decisions_rejected.to_string(),
            opt(r.acceptance_rate),
            r.course_requests_sent.to_string(),
            r.course_requests_answered.to_string(),
        ];
        record.extend(ProposalStatus::ALL.iter().map(|s| {
            r.proposals_by_status
                .get(s.as_str())
                .copied()
                .unwrap_or(0)
                .to_string()
        }));
        let municipalities = platforms
            .iter()
            .find(|p| p.id == r.platform_id)
            .map(|p| p.municipalities.as_slice())
            .unwrap_or_default();
        let pilot = pilot_summary(&pilot_rows(
            municipalities,
            entries,
            r.period_start,
            r.period_end,
        ));
        record.extend(pilot.by_stage.iter().map(|(_, n)| n.to_string()));
        record.push(pilot.unrecorded.to_string());
        record.push(pilot.changes_in_period.to_string());
        out.write_record(&record).map_err(failed)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| ApiError::Internal(Box::new(e.into_error())))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"activity-report.csv\"",
        ))
        .body(body))
}
