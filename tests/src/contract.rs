//! Every response the suite receives through [`crate::TestApp::send`] is checked against the
//! OpenAPI document: the operation must declare the status, and a JSON body must conform to the
//! schema declared for that status and media type. A drift between code and contract fails the
//! test that saw it.
//!
//! The checker understands exactly the JSON Schema keywords the generated document uses and
//! panics on any other constraint keyword, so a schema is never half-checked in silence.

use std::sync::OnceLock;

use serde_json::{Map, Value};

/// The generated document (the same one `openapi/openapi.json` is checked against).
fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        serde_json::from_str(&broker_api::openapi::spec_json()).unwrap_or(Value::Null)
    })
}

/// Keywords that only annotate; they constrain nothing.
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "example",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "contentMediaType",
    "contentEncoding",
    "discriminator",
];

/// Checks one response; returns what is wrong with it, if anything.
pub fn check(
    method: &str,
    path: &str,
    status: u16,
    content_type: &str,
    body: &Value,
) -> Option<String> {
    let spec = spec();
    let Some((template, item)) = find_path(spec, path) else {
        // Routes outside the contract (the docs page, the spec itself, unknown routes).
        return None;
    };
    let op = item.get(method.to_ascii_lowercase())?;
    let responses = op.get("responses")?.as_object()?;
    let Some(response) = responses
        .get(&status.to_string())
        .or_else(|| responses.get(&format!("{}XX", status / 100)))
        .or_else(|| responses.get("default"))
    else {
        return Some(format!(
            "{method} {template}: status {status} is not declared (declared: {})",
            responses.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    };
    let response = resolve(spec, response);
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let content = response.get("content").and_then(Value::as_object);
    let content = content.filter(|c| !c.is_empty())?;
    let Some(declared) = content.get(&media) else {
        return Some(format!(
            "{method} {template} {status}: media type `{media}` is not declared (declared: {})",
            content.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    };
    if !(media == "application/json" || media.ends_with("+json")) {
        return None;
    }
    let schema = declared.get("schema")?;
    let mut errors = Vec::new();
    validate(spec, schema, body, "$", &mut errors);
    if errors.is_empty() {
        None
    } else {
        errors.truncate(10);
        Some(format!(
            "{method} {template} {status} does not conform to its schema:\n  {}",
            errors.join("\n  ")
        ))
    }
}

/// The path item whose template matches `path` (query string removed).
fn find_path<'a>(spec: &'a Value, path: &str) -> Option<(&'a str, &'a Value)> {
    let path = path.split('?').next().unwrap_or_default();
    let paths = spec.get("paths")?.as_object()?;
    if let Some((template, item)) = paths.get_key_value(path) {
        return Some((template.as_str(), item));
    }
    let parts: Vec<&str> = path.split('/').collect();
    paths.iter().find_map(|(template, item)| {
        let t: Vec<&str> = template.split('/').collect();
        (t.len() == parts.len()
            && t.iter()
                .zip(&parts)
                .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p))
        .then_some((template.as_str(), item))
    })
}

/// Follows a local `$ref`.
fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|pointer| spec.pointer(pointer))
            .unwrap_or(&Value::Null),
        None => value,
    }
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        other => panic!("contract check: unknown type `{other}`"),
    }
}

fn validate(spec: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema_obj: &Map<String, Value> = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => {
            errors.push(format!("{at}: no value is allowed here"));
            return;
        }
        Value::Object(o) => o,
        other => panic!("contract check: schema at {at} is not an object: {other}"),
    };
    for (keyword, arg) in schema_obj {
        match keyword.as_str() {
            "$ref" => {
                let target = resolve(spec, schema);
                assert!(!target.is_null(), "contract check: dangling $ref {arg}");
                validate(spec, target, value, at, errors);
            }
            "type" => {
                let ok = match arg {
                    Value::String(t) => type_matches(t, value),
                    Value::Array(ts) => ts
                        .iter()
                        .any(|t| t.as_str().is_some_and(|t| type_matches(t, value))),
                    _ => panic!("contract check: odd `type` at {at}"),
                };
                if !ok {
                    errors.push(format!("{at}: expected type {arg}, got {}", short(value)));
                }
            }
            "enum" => {
                if !arg.as_array().is_some_and(|vs| vs.contains(value)) {
                    errors.push(format!("{at}: {} is not one of {arg}", short(value)));
                }
            }
            "const" => {
                if arg != value {
                    errors.push(format!("{at}: {} is not {arg}", short(value)));
                }
            }
            "properties" => {
                if let (Some(props), Some(obj)) = (arg.as_object(), value.as_object()) {
                    for (name, sub) in props {
                        if let Some(v) = obj.get(name) {
                            validate(spec, sub, v, &format!("{at}.{name}"), errors);
                        }
                    }
                }
            }
            "required" => {
                if let (Some(names), Some(obj)) = (arg.as_array(), value.as_object()) {
                    for name in names.iter().filter_map(Value::as_str) {
                        if !obj.contains_key(name) {
                            errors.push(format!("{at}: required property `{name}` is missing"));
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(obj) = value.as_object() {
                    let known = schema_obj.get("properties").and_then(Value::as_object);
                    for (name, v) in obj {
                        if known.is_some_and(|k| k.contains_key(name)) {
                            continue;
                        }
                        match arg {
                            Value::Bool(false) => {
                                errors.push(format!("{at}: property `{name}` is not declared"));
                            }
                            Value::Bool(true) => {}
                            sub => validate(spec, sub, v, &format!("{at}.{name}"), errors),
                        }
                    }
                }
            }
            "propertyNames" => {
                if let Some(obj) = value.as_object() {
                    for name in obj.keys() {
                        validate(
                            spec,
                            arg,
                            &Value::String(name.clone()),
                            &format!("{at}[key]"),
                            errors,
                        );
                    }
                }
            }
            "items" => {
                if let Some(items) = value.as_array() {
                    for (i, v) in items.iter().enumerate() {
                        validate(spec, arg, v, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            "prefixItems" => {
                if let (Some(subs), Some(items)) = (arg.as_array(), value.as_array()) {
                    for (i, (sub, v)) in subs.iter().zip(items).enumerate() {
                        validate(spec, sub, v, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            "allOf" => {
                for sub in arg.as_array().into_iter().flatten() {
                    validate(spec, sub, value, at, errors);
                }
            }
            "anyOf" | "oneOf" => {
                let subs = arg.as_array().cloned().unwrap_or_default();
                let passing = subs
                    .iter()
                    .filter(|sub| {
                        let mut e = Vec::new();
                        validate(spec, sub, value, at, &mut e);
                        e.is_empty()
                    })
                    .count();
                let ok = if keyword == "oneOf" {
                    passing == 1
                } else {
                    passing >= 1
                };
                if !ok {
                    errors.push(format!(
                        "{at}: {} of the {} `{keyword}` alternatives match {}",
                        passing,
                        subs.len(),
                        short(value)
                    ));
                }
            }
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                if let (Some(limit), Some(n)) = (arg.as_f64(), value.as_f64()) {
                    let ok = match keyword.as_str() {
                        "minimum" => n >= limit,
                        "maximum" => n <= limit,
                        "exclusiveMinimum" => n > limit,
                        _ => n < limit,
                    };
                    if !ok {
                        errors.push(format!("{at}: {n} breaks {keyword} {limit}"));
                    }
                }
            }
            "minLength" | "maxLength" => {
                if let (Some(limit), Some(s)) = (arg.as_u64(), value.as_str()) {
                    let len = s.chars().count() as u64;
                    let ok = if keyword == "minLength" {
                        len >= limit
                    } else {
                        len <= limit
                    };
                    if !ok {
                        errors.push(format!("{at}: length {len} breaks {keyword} {limit}"));
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let (Some(limit), Some(a)) = (arg.as_u64(), value.as_array()) {
                    let len = a.len() as u64;
                    let ok = if keyword == "minItems" {
                        len >= limit
                    } else {
                        len <= limit
                    };
                    if !ok {
                        errors.push(format!("{at}: {len} items break {keyword} {limit}"));
                    }
                }
            }
            "format" => {
                if let Some(s) = value.as_str()
                    && !format_matches(arg.as_str().unwrap_or_default(), s)
                {
                    errors.push(format!("{at}: `{s}` is not a {arg}"));
                }
            }
            k if ANNOTATIONS.contains(&k) => {}
            other => panic!("contract check: keyword `{other}` at {at} is not understood"),
        }
    }
}

/// The formats the document uses; others (`int32`, `double`, ...) are annotations here.
fn format_matches(format: &str, s: &str) -> bool {
    match format {
        "uuid" => uuid::Uuid::parse_str(s).is_ok(),
        "date" => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        "date-time" => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
        _ => true,
    }
}

fn short(value: &Value) -> String {
    let s = value.to_string();
    if s.chars().count() > 80 {
        format!("{}...", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}
