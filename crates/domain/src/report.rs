//! Reports computed from needs: the competence gap (what is asked for and not yet served) and
//! the activity report (what each platform did in a period).
//!
//! The aggregation is pure: the caller loads the needs, says which area each one counts towards
//! and whether a course offer is already in sight for it, and gets sorted rows back.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use uuid::Uuid;

/// A competence as a gap row names it: a taxonomy concept, or a free-text label (folded to lower
/// case so "Svetsning" and "svetsning" count together).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum GapCompetence {
    Concept(Uuid),
    FreeText(String),
}

impl GapCompetence {
    /// A free-text competence, folded.
    pub fn free_text(label: &str) -> Self {
        Self::FreeText(label.trim().to_lowercase())
    }
}

/// One active need as the gap report sees it.
#[derive(Debug, Clone)]
pub struct GapNeed {
    /// The areas (municipality, cluster or region keys) the need counts towards; a municipality
    /// in two clusters counts in both.
    pub areas: Vec<String>,
    pub headcount: u32,
    /// The competences it asks for (duplicates are counted once).
    pub competences: Vec<GapCompetence>,
    /// Whether a course offer is suggested for, deferred on or accepted for this need.
    pub offer_in_sight: bool,
}

/// Demand for one competence in one area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GapRow {
    pub competence: GapCompetence,
    pub area: String,
    /// Active needs asking for the competence.
    pub needs: u32,
    /// People those needs concern.
    pub headcount: u32,
    /// Of those, needs with no course offer in sight.
    pub unmatched_needs: u32,
    /// People in needs with no course offer in sight: the gap.
    pub unmatched_headcount: u32,
}

/// Aggregates needs into gap rows, largest unmatched head count first, then largest head count,
/// then by area and competence so the order is stable.
pub fn gap_rows<'a>(needs: impl IntoIterator<Item = &'a GapNeed>) -> Vec<GapRow> {
    let mut rows: BTreeMap<(String, GapCompetence), GapRow> = BTreeMap::new();
    for need in needs {
        let competences: BTreeSet<&GapCompetence> = need.competences.iter().collect();
        let areas: BTreeSet<&String> = need.areas.iter().collect();
        for area in areas {
            for competence in &competences {
                let row = rows
                    .entry((area.clone(), (*competence).clone()))
                    .or_insert_with(|| GapRow {
                        competence: (*competence).clone(),
                        area: area.clone(),
                        needs: 0,
                        headcount: 0,
                        unmatched_needs: 0,
                        unmatched_headcount: 0,
                    });
                row.needs += 1;
                row.headcount = row.headcount.saturating_add(need.headcount);
                if !need.offer_in_sight {
                    row.unmatched_needs += 1;
                    row.unmatched_headcount =
                        row.unmatched_headcount.saturating_add(need.headcount);
                }
            }
        }
    }
    let mut out: Vec<GapRow> = rows.into_values().collect();
    out.sort_by(|a, b| {
        b.unmatched_headcount
            .cmp(&a.unmatched_headcount)
            .then(b.headcount.cmp(&a.headcount))
            .then_with(|| a.area.cmp(&b.area))
            .then_with(|| a.competence.cmp(&b.competence))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn need(areas: &[&str], headcount: u32, comps: &[&str], in_sight: bool) -> GapNeed {
        GapNeed {
            areas: areas.iter().map(|a| (*a).to_owned()).collect(),
            headcount,
            competences: comps.iter().map(|c| GapCompetence::free_text(c)).collect(),
            offer_in_sight: in_sight,
        }
    }

    #[test]
    fn unmatched_demand_sorts_first_and_sums_per_area() {
        let needs = [
            need(&["1438"], 3, &["Svetsning"], false),
            need(&["1460"], 2, &["svetsning"], false),
            need(&["1438"], 5, &["truckkort"], true),
            need(&["1438"], 1, &["svetsning", "Svetsning"], true),
        ];
        let rows = gap_rows(&needs);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].area, "1438");
        assert_eq!(rows[0].competence, GapCompetence::free_text("svetsning"));
        assert_eq!(
            (
                rows[0].needs,
                rows[0].headcount,
                rows[0].unmatched_needs,
                rows[0].unmatched_headcount
            ),
            (2, 4, 1, 3)
        );
        assert_eq!(rows[1].area, "1460");
        assert_eq!(rows[1].unmatched_headcount, 2);
        assert_eq!(rows[2].competence, GapCompetence::free_text("truckkort"));
        assert_eq!(rows[2].unmatched_headcount, 0);
        assert_eq!(rows[2].headcount, 5);
    }

    #[test]
    fn a_need_in_two_clusters_counts_in_both() {
        let rows = gap_rows(&[need(&["dalsland", "fyrbodal-north"], 4, &["cnc"], false)]);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.unmatched_headcount == 4));
    }

    proptest! {
        #[test]
        fn totals_are_preserved_and_unmatched_never_exceeds_total(
            spec in proptest::collection::vec((0u8..3, 1u32..50, 0u8..4, any::<bool>()), 0..40)
        ) {
            let needs: Vec<GapNeed> = spec
                .iter()
                .map(|(a, h, c, m)| need(&[&format!("a{a}")], *h, &[&format!("c{c}")], *m))
                .collect();
            let rows = gap_rows(&needs);
            let total: u32 = rows.iter().map(|r| r.headcount).sum();
            prop_assert_eq!(total, needs.iter().map(|n| n.headcount).sum::<u32>());
            for r in &rows {
                prop_assert!(r.unmatched_headcount <= r.headcount);
                prop_assert!(r.unmatched_needs <= r.needs);
            }
            for w in rows.windows(2) {
                prop_assert!(w[0].unmatched_headcount >= w[1].unmatched_headcount);
            }
        }
    }
}

/// How the activity report splits its date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// One row per platform for the whole range.
    Whole,
    Month,
    Quarter,
    Year,
}

impl Interval {
    pub fn parse(raw: Option<&str>) -> Result<Self, crate::FieldError> {
        match raw.map(str::trim) {
            None | Some("" | "all") => Ok(Self::Whole),
            Some("month") => Ok(Self::Month),
            Some("quarter") => Ok(Self::Quarter),
            Some("year") => Ok(Self::Year),
            Some(other) => Err(crate::FieldError::new(
                "interval",
                format!("`{other}` is not one of: all, month, quarter, year"),
            )),
        }
    }
}

/// Splits `from..=to` into consecutive periods; the first and last are clipped to the range.
pub fn periods(from: NaiveDate, to: NaiveDate, interval: Interval) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    if from > to {
        return out;
    }
    let months = match interval {
        Interval::Whole => return vec![(from, to)],
        Interval::Month => 1,
        Interval::Quarter => 3,
        Interval::Year => 12,
    };
    // Periods are aligned to calendar months, quarters and years.
    let first_month = (from.month0() / months) * months;
    let mut start = NaiveDate::from_ymd_opt(from.year(), first_month + 1, 1).unwrap_or(from);
    while start <= to {
        let next = start
            .checked_add_months(chrono::Months::new(months))
            .unwrap_or(NaiveDate::MAX);
        let end = next.pred_opt().unwrap_or(next);
        out.push((start.max(from), end.min(to)));
        start = next;
    }
    out
}

/// One need as the activity report sees it.
#[derive(Debug, Clone)]
pub struct ActivityNeed {
    pub platform: Uuid,
    pub entered_on: NaiveDate,
    /// When a broker first decided on any suggestion for it (in days since it was entered).
    pub days_to_first_review: Option<f64>,
}

/// Something that happened on a platform on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityFact {
    /// A need moved to `matched` (a suggestion was accepted).
    NeedMatched,
    NeedFulfilled,
    DecisionAccepted,
    DecisionRejected,
    /// A proposal created that day, in its current status.
    Proposal {
        status: String,
    },
    CourseRequestSent,
    /// A course request got its first answer.
    CourseRequestAnswered,
}

#[derive(Debug, Clone)]
pub struct ActivityEvent {
    pub platform: Uuid,
    pub on: NaiveDate,
    pub fact: ActivityFact,
}

/// A platform's work in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityRow {
    pub platform: Uuid,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub needs_entered: u32,
    pub needs_matched: u32,
    pub needs_fulfilled: u32,
    /// Of the needs entered in the period, how many a broker has decided on so far.
    pub needs_reviewed: u32,
    /// Median days from entry to the first decision, over `needs_reviewed`.
    pub median_days_to_first_review: Option<f64>,
    pub decisions_accepted: u32,
    pub decisions_rejected: u32,
    /// accepted / (accepted + rejected); deferrals are not decisions yet.
    pub acceptance_rate: Option<f64>,
    /// Proposals created in the period, by their current status.
    pub proposals_by_status: BTreeMap<String, u32>,
    pub course_requests_sent: u32,
    pub course_requests_answered: u32,
}

/// The median, or `None` for no values.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// Counts needs and events into one row per platform and period, platforms in the order given.
/// Needs and events outside every period are ignored.
pub fn activity_rows(
    platforms: &[Uuid],
    periods: &[(NaiveDate, NaiveDate)],
    needs: &[ActivityNeed],
    events: &[ActivityEvent],
) -> Vec<ActivityRow> {
    let mut rows = Vec::with_capacity(platforms.len() * periods.len());
    for &platform in platforms {
        for &(start, end) in periods {
            let within = |d: NaiveDate| d >= start && d <= end;
            let entered: Vec<&ActivityNeed> = needs
                .iter()
                .filter(|n| n.platform == platform && within(n.entered_on))
                .collect();
            let mut review_days: Vec<f64> = entered
                .iter()
                .filter_map(|n| n.days_to_first_review)
                .collect();
            let mut row = ActivityRow {
                platform,
                period_start: start,
                period_end: end,
                needs_entered: count(entered.len()),
                needs_matched: 0,
                needs_fulfilled: 0,
                needs_reviewed: count(review_days.len()),
                median_days_to_first_review: median(&mut review_days),
                decisions_accepted: 0,
                decisions_rejected: 0,
                acceptance_rate: None,
                proposals_by_status: BTreeMap::new(),
                course_requests_sent: 0,
                course_requests_answered: 0,
            };
            for e in events
                .iter()
                .filter(|e| e.platform == platform && within(e.on))
            {
                match &e.fact {
                    ActivityFact::NeedMatched => row.needs_matched += 1,
                    ActivityFact::NeedFulfilled => row.needs_fulfilled += 1,
                    ActivityFact::DecisionAccepted => row.decisions_accepted += 1,
                    ActivityFact::DecisionRejected => row.decisions_rejected += 1,
                    ActivityFact::Proposal { status } => {
                        *row.proposals_by_status.entry(status.clone()).or_default() += 1;
                    }
                    ActivityFact::CourseRequestSent => row.course_requests_sent += 1,
                    ActivityFact::CourseRequestAnswered => row.course_requests_answered += 1,
                }
            }
            let decided = row.decisions_accepted + row.decisions_rejected;
            row.acceptance_rate =
                (decided > 0).then(|| f64::from(row.decisions_accepted) / f64::from(decided));
            rows.push(row);
        }
    }
    rows
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod activity_tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn periods_align_to_calendar_and_clip_to_the_range() {
        assert_eq!(
            periods(d("2026-02-10"), d("2026-07-05"), Interval::Quarter),
            vec![
                (d("2026-02-10"), d("2026-03-31")),
                (d("2026-04-01"), d("2026-06-30")),
                (d("2026-07-01"), d("2026-07-05")),
            ]
        );
        assert_eq!(
            periods(d("2026-12-15"), d("2027-01-02"), Interval::Month).len(),
            2
        );
        assert_eq!(
            periods(d("2026-01-01"), d("2026-12-31"), Interval::Whole),
            vec![(d("2026-01-01"), d("2026-12-31"))]
        );
        assert!(periods(d("2026-02-01"), d("2026-01-01"), Interval::Year).is_empty());
    }

    #[test]
    fn counts_land_in_their_platform_and_period() {
        let p = Uuid::from_u128(1);
        let q = Uuid::from_u128(2);
        let needs = [
            ActivityNeed {
                platform: p,
                entered_on: d("2026-01-05"),
                days_to_first_review: Some(2.0),
            },
            ActivityNeed {
                platform: p,
                entered_on: d("2026-01-06"),
                days_to_first_review: Some(6.0),
            },
            ActivityNeed {
                platform: p,
                entered_on: d("2026-02-06"),
                days_to_first_review: None,
            },
            ActivityNeed {
                platform: q,
                entered_on: d("2026-01-06"),
                days_to_first_review: Some(1.0),
            },
        ];
        let ev = |on: &str, fact| ActivityEvent {
            platform: p,
            on: d(on),
            fact,
        };
        let events = [
            ev("2026-01-07", ActivityFact::DecisionAccepted),
            ev("2026-01-08", ActivityFact::DecisionRejected),
            ev("2026-01-08", ActivityFact::DecisionRejected),
            ev("2026-01-07", ActivityFact::NeedMatched),
            ev("2026-02-01", ActivityFact::NeedFulfilled),
            ev(
                "2026-01-09",
                ActivityFact::Proposal {
                    status: "decided_go".into(),
                },
            ),
            ev("2026-01-09", ActivityFact::CourseRequestSent),
            ev("2026-02-09", ActivityFact::CourseRequestAnswered),
        ];
        let rows = activity_rows(
            &[p, q],
            &periods(d("2026-01-01"), d("2026-02-28"), Interval::Month),
            &needs,
            &events,
        );
        assert_eq!(rows.len(), 4);
        let jan = &rows[0];
        assert_eq!(
            (jan.needs_entered, jan.needs_reviewed, jan.needs_matched),
            (2, 2, 1)
        );
        assert_eq!(jan.median_days_to_first_review, Some(4.0));
        assert_eq!(jan.acceptance_rate, Some(1.0 / 3.0));
        assert_eq!(jan.proposals_by_status.get("decided_go"), Some(&1));
        assert_eq!(jan.course_requests_sent, 1);
        let feb = &rows[1];
        assert_eq!(
            (feb.needs_entered, feb.needs_reviewed, feb.needs_fulfilled),
            (1, 0, 1)
        );
        assert_eq!(feb.median_days_to_first_review, None);
        assert_eq!(feb.acceptance_rate, None);
        assert_eq!(feb.course_requests_answered, 1);
        assert_eq!(rows[2].platform, q);
        assert_eq!(rows[2].needs_entered, 1);
    }

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}

/// A text cell for a CSV export that spreadsheets will not run as a formula: a cell that starts
/// with `=`, `+`, `-`, `@`, tab or carriage return gets a leading apostrophe (OWASP's advice for
/// CSV injection), so a competence label like `=HYPERLINK(...)` shows as text. Only text cells
/// go through this; numbers are written as numbers.
pub fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod spreadsheet_tests {
    use super::spreadsheet_safe;

    #[test]
    fn formula_starts_are_neutralised_and_plain_text_is_kept() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(spreadsheet_safe(formula), format!("'{formula}"));
        }
        for plain in ["Svetsning", "CNC-operatör", "", "1438"] {
            assert_eq!(spreadsheet_safe(plain), plain);
        }
    }
}

/// One recorded pilot status (see `platform::PilotStatus`), as the report reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PilotEntry {
    pub municipality: String,
    pub status: String,
    pub note: Option<String>,
    pub as_of: NaiveDate,
}

/// How far one municipality had come in the pilot at the end of the report's period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PilotRow {
    pub municipality: String,
    /// The latest status on or before the period's end; none if nothing was recorded by then.
    pub status: Option<String>,
    pub note: Option<String>,
    pub as_of: Option<NaiveDate>,
    /// How many statuses were recorded for days inside the period.
    pub changes_in_period: u32,
}

/// The pilot status of each of `municipalities` at `to`, with how often it changed in
/// `from..=to`. `entries` are in recording order (oldest first); on the same day the later
/// recording wins.
pub fn pilot_rows(
    municipalities: &[String],
    entries: &[PilotEntry],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<PilotRow> {
    municipalities
        .iter()
        .map(|code| {
            let mine: Vec<&PilotEntry> = entries
                .iter()
                .filter(|e| &e.municipality == code && e.as_of <= to)
                .collect();
            // `max_by_key` keeps the last of equal days: the later recording.
            let latest = mine.iter().max_by_key(|e| e.as_of);
            PilotRow {
                municipality: code.clone(),
                status: latest.map(|e| e.status.clone()),
                note: latest.and_then(|e| e.note.clone()),
                as_of: latest.map(|e| e.as_of),
                changes_in_period: u32::try_from(mine.iter().filter(|e| e.as_of >= from).count())
                    .unwrap_or(u32::MAX),
            }
        })
        .collect()
}

/// An activity row's pilot columns: of the platform's municipalities, how many stood at each
/// stage at the period's end, how many had no status yet, and how many statuses were recorded
/// in the period. A fixed shape (one count per stage), so spreadsheets can sum them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PilotSummary {
    /// One count per [`PilotStage`](crate::platform::PilotStage), in `PilotStage::ALL` order.
    pub by_stage: Vec<(crate::platform::PilotStage, u32)>,
    pub unrecorded: u32,
    pub changes_in_period: u32,
}

/// Sums pilot rows (see [`pilot_rows`]) into an activity row's pilot columns. A status outside
/// the known stages (none is stored; the type allows it) counts as unrecorded.
pub fn pilot_summary(rows: &[PilotRow]) -> PilotSummary {
    use crate::platform::PilotStage;
    let at = |stage: PilotStage| {
        count(
            rows.iter()
                .filter(|r| r.status.as_deref() == Some(stage.as_str()))
                .count(),
        )
    };
    let by_stage: Vec<(PilotStage, u32)> = PilotStage::ALL.iter().map(|s| (*s, at(*s))).collect();
    let known: u32 = by_stage.iter().map(|(_, n)| n).sum();
    PilotSummary {
        unrecorded: count(rows.len()).saturating_sub(known),
        changes_in_period: rows.iter().map(|r| r.changes_in_period).sum(),
        by_stage,
    }
}

#[cfg(test)]
mod pilot_tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn the_pilot_row_shows_the_status_at_the_period_end() {
        let entry = |code: &str, status: &str, as_of: &str| PilotEntry {
            municipality: code.into(),
            status: status.into(),
            note: None,
            as_of: day(as_of),
        };
        let entries = [
            entry("1438", "starting", "2026-02-01"),
            entry("1438", "working", "2026-06-01"),
            entry("1438", "established", "2027-02-01"),
        ];
        let rows = pilot_rows(
            &["1438".into(), "1460".into()],
            &entries,
            day("2026-03-01"),
            day("2026-12-31"),
        );
        assert_eq!(rows[0].status.as_deref(), Some("working"));
        assert_eq!(rows[0].changes_in_period, 1);
        assert_eq!(rows[1].status, None);
    }

    #[test]
    fn the_pilot_summary_counts_each_stage_and_the_unrecorded() {
        let row = |status: Option<&str>, changes: u32| PilotRow {
            municipality: "1438".into(),
            status: status.map(str::to_owned),
            note: None,
            as_of: None,
            changes_in_period: changes,
        };
        let summary = pilot_summary(&[
            row(Some("working"), 2),
            row(Some("working"), 0),
            row(Some("established"), 1),
            row(None, 0),
        ]);
        let stages: Vec<(&str, u32)> = summary
            .by_stage
            .iter()
            .map(|(s, n)| (s.as_str(), *n))
            .collect();
        assert_eq!(
            stages,
            [
                ("not_started", 0),
                ("starting", 0),
                ("working", 2),
                ("established", 1)
            ]
        );
        assert_eq!(summary.unrecorded, 1);
        assert_eq!(summary.changes_in_period, 3);
    }
}
