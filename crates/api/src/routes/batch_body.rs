//! Batch bodies, shared by `POST /api/v1/offers/batch` and `POST /api/v1/needs/batch`: a JSON
//! array or CSV with a header row, decoded into numbered rows. A cell that cannot be read is
//! reported as `rows[n].column` (1-based) and the reading goes on, so one answer names every
//! bad row of the batch; each handler only turns a CSV row into its own input.

use actix_web::HttpRequest;
use broker_domain::error::FieldError;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The rows of a batch, each with the 1-based row it starts on, and the cells that could not
/// be read.
#[derive(Debug)]
pub struct BatchRows<T> {
    pub rows: Vec<(usize, T)>,
    pub errors: Vec<FieldError>,
}

/// What one batch endpoint accepts.
#[derive(Debug, Clone, Copy)]
pub struct BatchFormat {
    /// What the rows are, in the plural (`offers`, `needs`), for the messages.
    pub items: &'static str,
    /// Rows per request at most.
    pub max_rows: usize,
    /// The CSV columns known; any other header is refused.
    pub csv_columns: &'static [&'static str],
}

/// Decodes a batch by its content type: a JSON array of `T`, or CSV whose data rows
/// `read_csv_row` turns into inputs (it may add a row to the input before it, as an offer's
/// further instances do). An empty batch and one over the limit are refused.
pub fn decode<T: DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
    format: &BatchFormat,
    read_csv_row: impl FnMut(&mut CsvRow<'_>, &mut Vec<(usize, T)>),
) -> Result<BatchRows<T>, ApiError> {
    let content_type = crate::extract::content_type(req).unwrap_or_default();
    let batch = if content_type.starts_with("text/csv") {
        read_csv(body, format.csv_columns, read_csv_row)?
    } else if content_type.starts_with("application/json") {
        let rows: Vec<T> = crate::extract::decode(body)?;
        BatchRows {
            rows: rows
                .into_iter()
                .enumerate()
                .map(|(i, r)| (i + 1, r))
                .collect(),
            errors: Vec::new(),
        }
    } else {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send application/json (an array of {}) or text/csv",
            format.items
        )));
    };
    if batch.rows.is_empty() && batch.errors.is_empty() {
        return Err(ApiError::field("rows", "the batch is empty"));
    }
    if batch.rows.len() > format.max_rows {
        return Err(ApiError::field(
            "rows",
            format!("at most {} {} per batch", format.max_rows, format.items),
        ));
    }
    Ok(batch)
}

/// Reads CSV with a header row of `columns`. A data row that is unreadable, or has a cell
/// breaking the input rules every field shares, is reported and skipped; the others go to
/// `read_row`.
fn read_csv<T>(
    body: &[u8],
    columns: &[&str],
    mut read_row: impl FnMut(&mut CsvRow<'_>, &mut Vec<(usize, T)>),
) -> Result<BatchRows<T>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::Malformed(format!("CSV header: {e}")))?
        .clone();
    if let Some(unknown) = headers.iter().find(|h| !columns.contains(h)) {
        return Err(ApiError::field(
            format!("header.{unknown}"),
            format!("unknown column; known columns: {}", columns.join(", ")),
        ));
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row_no = i + 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(FieldError::new(
                    format!("rows[{row_no}]"),
                    format!("unreadable CSV row: {e}"),
                ));
                continue;
            }
        };
        let mut row = CsvRow {
            headers: &headers,
            record: &record,
            row_no,
            errors: Vec::new(),
        };
        for (name, value) in headers.iter().zip(record.iter()) {
            if let Some(problem) = crate::extract::string_problem(value) {
                row.errors
                    .push(FieldError::new(format!("rows[{row_no}].{name}"), problem));
            }
        }
        if row.errors.is_empty() {
            read_row(&mut row, &mut rows);
        }
        errors.append(&mut row.errors);
    }
    Ok(BatchRows { rows, errors })
}

/// One CSV data row being read; cells that cannot be read are collected, not fatal.
#[derive(Debug)]
pub struct CsvRow<'a> {
    headers: &'a csv::StringRecord,
    record: &'a csv::StringRecord,
    row_no: usize,
    errors: Vec<FieldError>,
}

impl CsvRow<'_> {
    /// The 1-based number of the data row (the header not counted).
    pub fn number(&self) -> usize {
        self.row_no
    }

    /// Whether a cell of this row could not be read.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// A cell's text, trimmed; `None` when the column is absent or the cell empty.
    pub fn text(&self, column: &str) -> Option<String> {
        self.headers
            .iter()
            .position(|h| h == column)
            .and_then(|p| self.record.get(p))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// A `;`-separated list cell (`CNC-fräsning; mätteknik`), empty items dropped.
    pub fn list(&self, column: &str) -> Vec<String> {
        self.text(column)
            .map(|v| {
                v.split(';')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A cell parsed as `T`; one that does not parse is reported as "`raw` is not `expected`".
    pub fn parsed<T: std::str::FromStr>(&mut self, column: &str, expected: &str) -> Option<T> {
        let raw = self.text(column)?;
        let parsed = raw.parse().ok();
        if parsed.is_none() {
            self.report(column, format!("`{raw}` is not {expected}"));
        }
        parsed
    }

    /// A cell parsed as `T`; one that does not parse is reported with `problem`.
    pub fn parsed_or_report<T: std::str::FromStr>(
        &mut self,
        column: &str,
        problem: &str,
    ) -> Option<T> {
        let parsed = self.text(column)?.parse().ok();
        if parsed.is_none() {
            self.report(column, problem.to_owned());
        }
        parsed
    }

    /// A yes/no cell (`true`/`false`, `1`/`0`, `yes`/`no`); empty is no.
    pub fn flag(&mut self, column: &str) -> bool {
        match self
            .text(column)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                self.report(column, format!("`{other}` is not true or false"));
                false
            }
        }
    }

    fn report(&mut self, column: &str, problem: String) {
        self.errors.push(FieldError::new(
            format!("rows[{}].{column}", self.row_no),
            problem,
        ));
    }
}
