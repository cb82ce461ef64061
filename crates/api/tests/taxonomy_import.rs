//! `broker taxonomy import-esco` and `import-esco-occupations` on a fresh database (SQLite by
//! default, PostgreSQL when `BROKER_TEST_DATABASE_URL` is set), with the ESCO-format fixtures in
//! `crates/matching/fixtures/esco/`.

#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

#[path = "../benches/support/esco_synth.rs"]
mod esco_synth;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use broker_api::matcher::build_taxonomy;
use broker_api::taxonomy_import::{
    ImportError, import_occupations_files, import_skills, import_skills_file,
};
use broker_matching::esco::{self, uri_to_uuid};
use broker_store::repo::taxonomy::{self, ConceptRecord, LabelRecord};
use broker_store::{Store, testing};
use uuid::Uuid;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../matching/fixtures/esco")
        .join(name)
}

fn skill(n: u32) -> Uuid {
    uri_to_uuid(&format!("http://data.europa.eu/esco/skill/0000-a{n}"))
}

fn occupation(n: u32) -> Uuid {
    uri_to_uuid(&format!("http://data.europa.eu/esco/occupation/0000-o{n}"))
}

async fn fresh() -> (Store, testing::TestDatabase) {
    let db = testing::fresh_database().await.expect("database");
    let store = Store::connect(&db.url).await.expect("connect and migrate");
    (store, db)
}

async fn concept(store: &Store, id: Uuid) -> ConceptRecord {
    taxonomy::get(store.conn(), id).await.expect("concept")
}

fn labels(c: &ConceptRecord, lang: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = c
        .labels
        .iter()
        .filter(|l| l.lang == lang)
        .map(|l| (l.text.clone(), l.preferred))
        .collect();
    out.sort();
    out
}

fn label(text: &str, preferred: bool) -> (String, bool) {
    (text.to_owned(), preferred)
}

/// A temporary file holding `text` (kept alive by the returned guard).
fn temp_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("skills.csv");
    std::fs::write(&path, text).expect("write temp file");
    (dir, path)
}

#[tokio::test]
async fn two_languages_merge_into_one_concept_per_uri() {
    let (store, _db) = fresh().await;
    let sv = import_skills_file(&store, &fixture("skills_sv.csv"), "sv", true)
        .await
        .expect("sv import");
    assert_eq!(
        (sv.read, sv.created, sv.updated, sv.unchanged, sv.deprecated),
        (30, 30, 0, 0, 0),
        "{sv}"
    );
    assert_eq!(sv.version, 1);
    let en = import_skills_file(&store, &fixture("skills_en.csv"), "en", true)
        .await
        .expect("en import");
    assert_eq!(
        (en.read, en.created, en.updated, en.unchanged, en.deprecated),
        (30, 0, 30, 0, 0),
        "the English file adds labels to the same 30 concepts: {en}"
    );
    assert_eq!(en.version, 2);
    assert_eq!(
        en.to_string(),
        "ESCO skills (en): 30 read, 0 created, 30 updated, 0 unchanged, 0 deprecated; taxonomy version 2"
    );

    let all = taxonomy::all(store.conn()).await.expect("all");
    assert_eq!(all.len(), 30, "one row per conceptUri, not per language");
    let mig = concept(&store, skill(2)).await;
    assert_eq!(
        mig.esco_uri.as_deref(),
        Some("http://data.europa.eu/esco/skill/0000-a2")
    );
    assert_eq!(mig.kind, broker_domain::taxonomy::ConceptKind::Competence);
    assert_eq!(
        labels(&mig, "sv"),
        vec![
            label("MAG-svetsning", false),
            label("MIG-svetsning", false),
            label("MIG/MAG-svetsning", true),
            label("MIGMAG", false),
        ],
        "alternative labels one per line, hidden labels kept as alternatives"
    );
    assert_eq!(
        labels(&mig, "en"),
        vec![
            label("MAG welding", false),
            label("MIG welding", false),
            label("MIG/MAG welding", true),
            label("MIGMAG", false),
            label("gas metal arc welding", false),
        ]
    );
    assert_eq!(
        mig.description.as_deref(),
        Some("Description of MIG/MAG welding, with a comma."),
        "the English description wins"
    );
    assert_eq!((mig.created_in_version, mig.changed_in_version), (1, 2));
    let obsolete = concept(&store, skill(30)).await;
    assert!(obsolete.deprecated, "status `obsolete` imports deprecated");

    // Both languages resolve to the same concept in the engine's taxonomy.
    let tax = build_taxonomy(&all);
    for text in ["MIG/MAG-svetsning", "gas metal arc welding", "MIG welding"] {
        assert_eq!(
            tax.resolve_best(text).map(|r| r.concept_id),
            Some(skill(2)),
            "{text}"
        );
    }

    // The same file again changes nothing.
    let again = import_skills_file(&store, &fixture("skills_en.csv"), "en", true)
        .await
        .expect("re-import");
    assert_eq!((again.updated, again.unchanged), (0, 30), "{again}");
    let changed = taxonomy::changed_since(store.conn(), en.version, 100, 0)
        .await
        .expect("changed since");
    assert_eq!(
        changed.total, 0,
        "an unchanged re-import changes no concept"
    );
}

#[tokio::test]
async fn a_vanished_concept_is_deprecated_kept_and_still_resolves() {
    let (store, _db) = fresh().await;
    import_skills_file(&store, &fixture("skills_sv.csv"), "sv", true)
        .await
        .expect("sv import");
    let before = taxonomy::current_version(store.conn())
        .await
        .expect("version");
    // The next release drops TIG-svetsning (a3) in favour of a new concept (a31) that carries
    // its preferred label, and drops läsa ritningar (a4) without a successor.
    let mut skills = esco::read_skills(
        std::fs::read_to_string(fixture("skills_sv.csv"))
            .expect("fixture")
            .as_bytes(),
    )
    .expect("parse");
    let tig = skills
        .iter()
        .position(|s| s.uri.ends_with("/0000-a3"))
        .expect("a3 in the fixture");
    let mut successor = skills.remove(tig);
    successor.uri = "http://data.europa.eu/esco/skill/0000-a31".to_owned();
    successor.alt_labels = vec!["TIG".to_owned()];
    skills.push(successor);
    skills.retain(|s| !s.uri.ends_with("/0000-a4"));
    let report = import_skills(&store, &skills, "sv", true, "test release")
        .await
        .expect("re-import");
    assert_eq!(
        (report.created, report.deprecated, report.unchanged),
        (1, 2, 28),
        "{report}"
    );
    assert_eq!(report.version, before + 1, "a new taxonomy version");
    assert_eq!(
        taxonomy::current_version(store.conn())
            .await
            .expect("version"),
        before + 1
    );

    let old_tig = concept(&store, skill(3)).await;
    assert!(old_tig.deprecated, "kept, not deleted");
    assert_eq!(
        old_tig.replaced_by,
        Some(skill(31)),
        "the new concept took over its label"
    );
    let drawings = concept(&store, skill(4)).await;
    assert!(drawings.deprecated);
    assert_eq!(drawings.replaced_by, None, "no successor is guessed");
    assert_eq!(
        taxonomy::all(store.conn()).await.expect("all").len(),
        31,
        "nothing was deleted"
    );

    let changed = taxonomy::changed_since(store.conn(), before, 100, 0)
        .await
        .expect("changed since");
    let ids: HashSet<Uuid> = changed.items.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        HashSet::from([skill(3), skill(4), skill(31)]),
        "exactly the deprecated and the new concepts changed"
    );
    assert_eq!(changed.total, 3);

    // Deprecated concepts still resolve: to their replacement when known, else to themselves.
    let tax = build_taxonomy(&taxonomy::all(store.conn()).await.expect("all"));
    assert_eq!(
        tax.resolve_best("volframsvetsning").map(|r| r.concept_id),
        Some(skill(31)),
        "an old alternative label leads to the replacement"
    );
    assert_eq!(
        tax.resolve_best("ritningsläsning").map(|r| r.concept_id),
        Some(skill(4))
    );
    assert!(tax.is_deprecated(skill(4)));
}

#[tokio::test]
async fn no_deprecate_keeps_concepts_missing_from_a_partial_file() {
    let (store, _db) = fresh().await;
    import_skills_file(&store, &fixture("skills_en.csv"), "en", true)
        .await
        .expect("en import");
    let csv = std::fs::read_to_string(fixture("skills_en.csv")).expect("fixture");
    let skills = esco::read_skills(csv.as_bytes()).expect("parse");
    let partial: Vec<_> = skills.into_iter().take(5).collect();
    let report = import_skills(&store, &partial, "en", false, "partial")
        .await
        .expect("partial import");
    assert_eq!((report.unchanged, report.deprecated), (5, 0), "{report}");
    assert!(!concept(&store, skill(20)).await.deprecated);
}

#[tokio::test]
async fn occupations_link_their_essential_and_optional_skills() {
    let (store, _db) = fresh().await;
    import_skills_file(&store, &fixture("skills_en.csv"), "en", true)
        .await
        .expect("skills");
    let report = import_occupations_files(
        &store,
        &fixture("occupations_en.csv"),
        &fixture("occupationSkillRelations_en.csv"),
        "en",
    )
    .await
    .expect("occupations");
    assert_eq!(
        (report.read, report.created, report.skipped_relations),
        (4, 4, 0),
        "{report}"
    );
    let welder = concept(&store, occupation(1)).await;
    assert_eq!(
        welder.kind,
        broker_domain::taxonomy::ConceptKind::Occupation
    );
    assert!(labels(&welder, "en").contains(&label("welder", true)));
    let mut essential = vec![skill(1), skill(2), skill(4)];
    essential.sort();
    let mut optional = vec![skill(3), skill(14), skill(17)];
    optional.sort();
    assert_eq!(welder.essential, essential);
    assert_eq!(welder.optional, optional);

    // The engine matches an occupation-stated need on these links.
    let tax = build_taxonomy(&taxonomy::all(store.conn()).await.expect("all"));
    let found = tax
        .resolve_occupation("welding operator")
        .expect("resolves");
    assert_eq!(found.concept_id, occupation(1));
    let occ = tax.occupation(occupation(1)).expect("occupation");
    assert_eq!(occ.essential, essential);

    // Importing the same files again changes nothing.
    let again = import_occupations_files(
        &store,
        &fixture("occupations_en.csv"),
        &fixture("occupationSkillRelations_en.csv"),
        "en",
    )
    .await
    .expect("again");
    assert_eq!((again.created, again.unchanged), (0, 4), "{again}");
}

#[tokio::test]
async fn relations_to_unknown_skills_are_counted_not_invented() {
    let (store, _db) = fresh().await;
    let report = import_occupations_files(
        &store,
        &fixture("occupations_en.csv"),
        &fixture("occupationSkillRelations_en.csv"),
        "en",
    )
    .await
    .expect("occupations without skills");
    assert_eq!((report.created, report.skipped_relations), (4, 18));
    assert!(
        report
            .to_string()
            .contains("18 relations to unknown skills")
    );
    assert!(concept(&store, occupation(1)).await.essential.is_empty());
}

/// Every way a file can be broken, with the words the error must contain.
const BROKEN_FILES: &[(&str, &str, &[&str])] = &[
    (
        "a required value is empty",
        "conceptUri,preferredLabel,altLabels\nhttp://x/1,welding,\nhttp://x/2,,\"a\nb\"\n",
        &["row 2", "preferredLabel", "empty"],
    ),
    (
        "a row has too many fields",
        "conceptUri,preferredLabel,altLabels\nhttp://x/1,welding,\nhttp://x/2,cutting,a,b\n",
        &["row 2", "malformed CSV"],
    ),
    (
        "a required column is missing",
        "conceptType,preferredLabel\nKnowledgeSkillCompetence,welding\n",
        &["conceptUri", "missing required column"],
    ),
];

#[tokio::test]
async fn malformed_files_name_the_row_and_column_and_change_nothing() {
    let (store, _db) = fresh().await;
    import_skills_file(&store, &fixture("skills_sv.csv"), "sv", true)
        .await
        .expect("sv import");
    let before = taxonomy::all(store.conn()).await.expect("all");
    let version = taxonomy::current_version(store.conn())
        .await
        .expect("version");
    for (what, text, words) in BROKEN_FILES {
        let (_dir, path) = temp_file(text);
        let err = import_skills_file(&store, &path, "sv", true)
            .await
            .expect_err(what);
        assert!(matches!(err, ImportError::Format { .. }), "{what}: {err:?}");
        let message = err.to_string();
        assert!(message.contains("skills.csv"), "{what}: {message}");
        for w in *words {
            assert!(message.contains(w), "{what}: `{w}` not in `{message}`");
        }
    }
    // Invalid bytes in the middle of the file.
    let mut bytes = b"conceptUri,preferredLabel\nhttp://x/1,welding\nhttp://x/2,".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, b'\n']);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("skills.csv");
    std::fs::write(&path, bytes).expect("write");
    let err = import_skills_file(&store, &path, "sv", true)
        .await
        .expect_err("invalid UTF-8");
    assert!(err.to_string().contains("row 2"), "{err}");

    let bad_relation = "occupationUri,relationType,skillType,skillUri\nhttp://o/1,essential,knowledge,http://s/1\nhttp://o/1,mandatory,knowledge,http://s/2\n";
    let (_dir, relations) = temp_file(bad_relation);
    let err = import_occupations_files(&store, &fixture("occupations_en.csv"), &relations, "en")
        .await
        .expect_err("bad relation type");
    let message = err.to_string();
    assert!(
        message.contains("row 2")
            && message.contains("relationType")
            && message.contains("mandatory"),
        "{message}"
    );
    let missing = import_skills_file(&store, Path::new("/nonexistent/skills.csv"), "sv", true)
        .await
        .expect_err("missing file");
    assert!(matches!(missing, ImportError::Read { .. }), "{missing:?}");
    assert!(matches!(
        import_skills_file(&store, &fixture("skills_sv.csv"), "de", true).await,
        Err(ImportError::Lang(_))
    ));

    assert_eq!(
        taxonomy::all(store.conn()).await.expect("all"),
        before,
        "no concept changed"
    );
    assert_eq!(
        taxonomy::current_version(store.conn())
            .await
            .expect("version"),
        version,
        "no version was opened"
    );
}

#[tokio::test]
async fn a_write_failure_half_way_rolls_the_whole_import_back() {
    let (store, _db) = fresh().await;
    import_skills_file(&store, &fixture("skills_sv.csv"), "sv", true)
        .await
        .expect("sv import");
    let before = taxonomy::all(store.conn()).await.expect("all");
    // A concept without an ESCO URI already holds the id the new URI maps to, so inserting the
    // new concept fails after the import has opened a version and updated the 30 known ones.
    let new_uri = "http://data.europa.eu/esco/skill/0000-a99";
    let squatter = ConceptRecord {
        id: uri_to_uuid(new_uri),
        kind: broker_domain::taxonomy::ConceptKind::Competence,
        esco_uri: None,
        key: Some("local-squatter".to_owned()),
        field: None,
        labels: vec![LabelRecord {
            lang: "sv".to_owned(),
            text: "lokalt begrepp".to_owned(),
            preferred: true,
        }],
        essential: vec![],
        optional: vec![],
        description: None,
        deprecated: false,
        replaced_by: None,
        created_in_version: 1,
        changed_in_version: 1,
    };
    taxonomy::insert_many(store.conn(), std::slice::from_ref(&squatter))
        .await
        .expect("squatter");
    let version = taxonomy::current_version(store.conn())
        .await
        .expect("version");
    let csv = std::fs::read_to_string(fixture("skills_en.csv")).expect("fixture");
    let mut skills = esco::read_skills(csv.as_bytes()).expect("parse");
    let mut extra = skills[0].clone();
    extra.uri = new_uri.to_owned();
    extra.preferred_label = "brand new skill".to_owned();
    skills.push(extra);
    let err = import_skills(&store, &skills, "en", true, "conflicting release")
        .await
        .expect_err("the insert conflicts");
    assert!(matches!(err, ImportError::Store(_)), "{err:?}");

    let mut after = taxonomy::all(store.conn()).await.expect("all");
    after.retain(|c| c.id != squatter.id);
    assert_eq!(
        after, before,
        "the 30 label updates made before the failure were rolled back"
    );
    assert_eq!(
        taxonomy::current_version(store.conn())
            .await
            .expect("version"),
        version,
        "the version opened by the failed import is gone"
    );
}

#[tokio::test]
async fn imports_larger_than_one_insert_batch_keep_every_concept() {
    // 1,000 concepts span three insert batches; the second language updates all of them.
    let (store, _db) = fresh().await;
    let sv = esco::read_skills(esco_synth::skills_csv(1_000, "sv").as_bytes()).expect("sv");
    let en = esco::read_skills(esco_synth::skills_csv(1_000, "en").as_bytes()).expect("en");
    assert!(
        sv.iter().map(|s| s.alt_labels.len()).sum::<usize>() > 3_000,
        "several alternative labels per concept"
    );
    let first = import_skills(&store, &sv, "sv", true, "synthetic sv")
        .await
        .expect("sv");
    assert_eq!(first.created, 1_000, "{first}");
    let second = import_skills(&store, &en, "en", true, "synthetic en")
        .await
        .expect("en");
    assert_eq!((second.updated, second.created), (1_000, 0), "{second}");
    let all = taxonomy::all(store.conn()).await.expect("all");
    assert_eq!(all.len(), 1_000);
    let sample = all
        .iter()
        .find(|c| c.esco_uri.as_deref() == Some(esco_synth::concept_uri(777).as_str()))
        .expect("concept 777");
    let expected_sv = sv
        .iter()
        .find(|s| s.uri == esco_synth::concept_uri(777))
        .expect("sv row");
    let expected_en = en
        .iter()
        .find(|s| s.uri == esco_synth::concept_uri(777))
        .expect("en row");
    for (lang, row) in [("sv", expected_sv), ("en", expected_en)] {
        let mut want: Vec<(String, bool)> = std::iter::once(label(&row.preferred_label, true))
            .chain(
                row.alt_labels
                    .iter()
                    .chain(&row.hidden_labels)
                    .map(|a| label(a, false)),
            )
            .collect();
        want.sort();
        want.dedup_by(|a, b| a.0.to_lowercase() == b.0.to_lowercase());
        assert_eq!(labels(sample, lang), want, "{lang}");
    }
    assert_eq!(sample.description, expected_en.description);
}

fn broker(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_broker"))
        .args(args)
        .env("BROKER_DATABASE_URL", database_url)
        .env("BROKER_LOG_FORMAT", "pretty")
        .output()
        .expect("run broker")
}

#[test]
fn the_cli_imports_and_prints_its_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let path = |name: &str| fixture(name).display().to_string();

    let sv = broker(
        &url,
        &[
            "taxonomy",
            "import-esco",
            &path("skills_sv.csv"),
            "--lang",
            "sv",
        ],
    );
    let stdout = String::from_utf8_lossy(&sv.stdout);
    assert!(
        sv.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&sv.stderr)
    );
    assert_eq!(
        stdout.trim(),
        "ESCO skills (sv): 30 read, 30 created, 0 updated, 0 unchanged, 0 deprecated; taxonomy version 1"
    );

    let en = broker(
        &url,
        &[
            "taxonomy",
            "import-esco",
            &path("skills_en.csv"),
            "--lang",
            "en",
        ],
    );
    assert!(en.status.success());
    assert_eq!(
        String::from_utf8_lossy(&en.stdout).trim(),
        "ESCO skills (en): 30 read, 0 created, 30 updated, 0 unchanged, 0 deprecated; taxonomy version 2"
    );

    let occupations = broker(
        &url,
        &[
            "taxonomy",
            "import-esco-occupations",
            &path("occupations_en.csv"),
            &path("occupationSkillRelations_en.csv"),
            "--lang",
            "en",
        ],
    );
    assert!(occupations.status.success());
    assert_eq!(
        String::from_utf8_lossy(&occupations.stdout).trim(),
        "ESCO occupations (en): 4 read, 4 created, 0 updated, 0 unchanged, 0 deprecated; taxonomy version 3"
    );

    let (_broken_dir, broken) =
        temp_file("conceptUri,preferredLabel\nhttp://x/1,welding\nhttp://x/2,\n");
    let failed = broker(
        &url,
        &[
            "taxonomy",
            "import-esco",
            &broken.display().to_string(),
            "--lang",
            "sv",
        ],
    );
    assert!(!failed.status.success(), "a broken file fails the command");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("row 2") && stderr.contains("preferredLabel"),
        "{stderr}"
    );
    let bad_lang = broker(
        &url,
        &[
            "taxonomy",
            "import-esco",
            &path("skills_sv.csv"),
            "--lang",
            "fi",
        ],
    );
    assert!(!bad_lang.status.success());
    assert!(String::from_utf8_lossy(&bad_lang.stderr).contains("--lang"));
}
