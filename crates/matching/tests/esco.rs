//! ESCO CSV parsing with fixtures in the exact ESCO export format.

use std::collections::HashSet;

use broker_matching::esco::{
    self, EscoError, concepts_from_skills, occupations_from, read_occupations, read_relations,
    read_skills, uri_to_uuid,
};
use broker_matching::{Lang, Taxonomy};

const SKILLS_EN: &str = include_str!("../fixtures/esco/skills_en.csv");
const SKILLS_SV: &str = include_str!("../fixtures/esco/skills_sv.csv");
const OCCUPATIONS_EN: &str = include_str!("../fixtures/esco/occupations_en.csv");
const RELATIONS_EN: &str = include_str!("../fixtures/esco/occupationSkillRelations_en.csv");

#[test]
fn reads_skills_with_multiline_alt_labels() -> Result<(), EscoError> {
    let en = read_skills(SKILLS_EN.as_bytes())?;
    assert_eq!(en.len(), 30);
    let mig = en
        .iter()
        .find(|s| s.uri.ends_with("0000-a2"))
        .ok_or(EscoError::MissingColumn { column: "test" })?;
    assert_eq!(mig.preferred_label, "MIG/MAG welding");
    assert_eq!(
        mig.alt_labels,
        ["gas metal arc welding", "MIG welding", "MAG welding"]
    );
    assert_eq!(mig.hidden_labels, ["MIGMAG"]);
    assert_eq!(mig.concept_type, "KnowledgeSkillCompetence");
    assert_eq!(mig.skill_type.as_deref(), Some("skill/competence"));
    assert_eq!(mig.status, "released");
    assert!(
        mig.modified
            .as_deref()
            .is_some_and(|m| m.starts_with("2023-08"))
    );
    assert_eq!(
        mig.description.as_deref(),
        Some("Description of MIG/MAG welding, with a comma.")
    );
    assert!(en.iter().any(|s| s.status == "obsolete"));
    Ok(())
}

#[test]
fn same_uris_in_both_languages() -> Result<(), EscoError> {
    let en = read_skills(SKILLS_EN.as_bytes())?;
    let sv = read_skills(SKILLS_SV.as_bytes())?;
    let a: HashSet<_> = en.iter().map(|s| s.uri.clone()).collect();
    let b: HashSet<_> = sv.iter().map(|s| s.uri.clone()).collect();
    assert_eq!(a, b);
    assert!(sv.iter().any(|s| s.preferred_label == "läsa ritningar"));
    Ok(())
}

#[test]
fn columns_are_found_by_name_in_any_order() -> Result<(), EscoError> {
    let csv =
        "preferredLabel,status,conceptUri,altLabels\n\"welding\",released,http://x/1,\"a\nb\"\n";
    let skills = read_skills(csv.as_bytes())?;
    assert_eq!(skills.len(), 1);
    assert_eq!(skills[0].uri, "http://x/1");
    assert_eq!(skills[0].alt_labels, ["a", "b"]);
    assert_eq!(skills[0].skill_type, None);
    Ok(())
}

#[test]
fn errors_name_row_and_column() {
    let missing_col = "conceptUri,altLabels\nhttp://x/1,a\n";
    match read_skills(missing_col.as_bytes()) {
        Err(EscoError::MissingColumn { column }) => assert_eq!(column, "preferredLabel"),
        other => panic!("unexpected {other:?}"),
    }
    let empty = "conceptUri,preferredLabel\nhttp://x/1,welding\nhttp://x/2,\n";
    match read_skills(empty.as_bytes()) {
        Err(e @ EscoError::EmptyValue { .. }) => {
            assert!(matches!(
                e,
                EscoError::EmptyValue {
                    row: 2,
                    column: "preferredLabel"
                }
            ));
            assert_eq!(
                e.to_string(),
                "row 2: required column `preferredLabel` is empty"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let ragged = "conceptUri,preferredLabel\nhttp://x/1,welding\nhttp://x/2,a,b\n";
    assert!(matches!(
        read_skills(ragged.as_bytes()),
        Err(EscoError::Csv { row: 2, .. })
    ));
    let bad_rel = "occupationUri,relationType,skillUri\nhttp://o/1,essential,http://s/1\nhttp://o/1,sometimes,http://s/2\n";
    assert!(matches!(
        read_relations(bad_rel.as_bytes()),
        Err(EscoError::InvalidValue {
            row: 2,
            column: "relationType",
            ..
        })
    ));
}

#[test]
fn occupations_and_relations_build_a_taxonomy() -> Result<(), EscoError> {
    let en = read_skills(SKILLS_EN.as_bytes())?;
    let sv = read_skills(SKILLS_SV.as_bytes())?;
    let occupations = read_occupations(OCCUPATIONS_EN.as_bytes())?;
    let relations = read_relations(RELATIONS_EN.as_bytes())?;
    assert_eq!(occupations.len(), 4);
    assert_eq!(
        occupations[0].alt_labels,
        ["welding operator", "welder-fitter"]
    );
    assert_eq!(relations.len(), 18);
    assert!(
        relations
            .iter()
            .all(|r| r.relation_type == "essential" || r.relation_type == "optional")
    );

    let concepts = concepts_from_skills(&[(Lang::En, en), (Lang::Sv, sv)]);
    assert_eq!(concepts.len(), 30);
    let occ = occupations_from(&[(Lang::En, occupations)], &relations);
    let welder = occ
        .iter()
        .find(|o| o.labels.iter().any(|l| l.text == "welder"))
        .cloned()
        .ok_or(EscoError::MissingColumn { column: "test" })?;
    assert_eq!(welder.essential.len(), 3);
    assert_eq!(welder.optional.len(), 3);

    let t = Taxonomy::build(concepts, occ);
    let mig = uri_to_uuid("http://data.europa.eu/esco/skill/0000-a2");
    assert_eq!(
        t.resolve_best("MIG/MAG-svetsning").map(|r| r.concept_id),
        Some(mig)
    );
    assert_eq!(
        t.resolve_best("gas metal arc welding")
            .map(|r| r.concept_id),
        Some(mig)
    );
    assert_eq!(
        t.resolve_best("MIGMAG").map(|r| r.concept_id),
        Some(mig),
        "hidden labels are searchable"
    );
    assert_eq!(
        t.resolve_best("ritningsläsning").map(|r| r.concept_id),
        Some(uri_to_uuid("http://data.europa.eu/esco/skill/0000-a4"))
    );
    assert!(t.is_deprecated(uri_to_uuid("http://data.europa.eu/esco/skill/0000-a30")));
    assert_eq!(
        t.resolve_occupation("welder-fitter").map(|r| r.concept_id),
        Some(welder.id)
    );
    Ok(())
}

#[test]
fn uri_ids_are_stable_and_distinct() {
    let a = uri_to_uuid("http://data.europa.eu/esco/skill/1");
    assert_eq!(a, esco::uri_to_uuid("http://data.europa.eu/esco/skill/1"));
    assert_ne!(a, uri_to_uuid("http://data.europa.eu/esco/skill/2"));
    assert_eq!(a.get_version_num(), 8);
}
