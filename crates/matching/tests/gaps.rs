//! "Nothing fits" must be said: needs whose competences no course teaches get no course
//! suggestion above the threshold, while needs that a course does teach still get it.
//!
//! The world: the mini taxonomy of `common` and 30 offers in Swedish, Norwegian and English
//! (vocational courses, care, IT, language, and the translation-memory workshop). The
//! gap needs are written as employers write them: one or two competences in their own words,
//! often sharing a generic word ("software", "utbildning", "grundläggande", "arbetsmiljö") with
//! some offer, and a description that mentions training, staff and dates.

mod common;

use std::sync::Arc;

use broker_matching::{
    Delivery, Engine, Geography, Lang, MatchOptions, MunicipalityGeo, NeedDoc, Reach, Reason,
    Requirement, SuggestionKind, offer_relevance,
};
use common::*;

fn world() -> Engine {
    use Delivery::*;
    let gbg = |start: &str| vec![on_site(start, "1480", Some(12))];
    let web = |start: &str| vec![remote(start, Some(30))];
    let offers = vec![
        offer(
            1,
            "MIG/MAG-svetsning grundkurs",
            "Grundläggande svetsning med MIG/MAG och ritningsläsning för industrin.",
            &[MIG_MAG, WELDING, BLUEPRINT],
            Some(3),
            OnSite,
            gbg("2027-02-01"),
        ),
        offer(
            2,
            "TIG-svetsning fördjupning",
            "Fördjupning i TIG-svetsning av rostfritt och aluminium.",
            &[TIG, WELDING],
            Some(4),
            OnSite,
            gbg("2027-03-15"),
        ),
        offer(
            3,
            "CNC-operatör grundutbildning",
            "CNC-bearbetning, ritningsläsning och kvalitetskontroll.",
            &[CNC, BLUEPRINT, QUALITY],
            Some(3),
            OnSite,
            gbg("2027-02-20"),
        ),
        offer(
            4,
            "CNC-programmering",
            "Programmering av fleroperationsmaskiner.",
            &[CNC_PROG],
            Some(4),
            Blended,
            gbg("2027-04-01"),
        ),
        offer(
            5,
            "Truckkort A+B",
            "Truckkörning med motvikts- och skjutstativtruck, arbetsmiljö.",
            &[FORKLIFT, SAFETY],
            Some(2),
            OnSite,
            gbg("2027-02-10"),
        ),
        offer(
            6,
            "Lastbil C-körkort",
            "Utbildning till lastbilschaufför med första hjälpen.",
            &[HEAVY_TRUCK, FIRST_AID],
            Some(3),
            OnSite,
            gbg("2027-03-01"),
        ),
        offer(
            7,
            "Undersköterskeutbildning",
            "Omvårdnad, läkemedelshantering, basala hygienrutiner och demensvård.",
            &[PERSONAL_CARE, MEDICATION, HYGIENE, DEMENTIA],
            Some(4),
            OnSite,
            gbg("2027-01-20"),
        ),
        offer(
            8,
            "Demensvård webbkurs",
            "Kurs i demensvård på distans.",
            &[DEMENTIA],
            Some(3),
            Distance,
            web("2027-02-01"),
        ),
        offer(
            9,
            "Hydraulik för mekaniker",
            "Hydraulik och arbetsmiljö i verkstaden.",
            &[HYDRAULICS, SAFETY],
            Some(3),
            OnSite,
            gbg("2027-05-01"),
        ),
        offer(
            10,
            "Kranförarutbildning",
            "Utbildning för kran och travers enligt AFS.",
            &[CRANE],
            Some(3),
            OnSite,
            gbg("2027-02-01"),
        ),
        offer(
            11,
            "Kundservice i butik",
            "Bemötande och kundservice.",
            &[CUSTOMER_SERVICE],
            Some(2),
            Distance,
            web("2027-02-01"),
        ),
        offer(
            12,
            "Workshop: use translation memory software",
            "Hands-on workshop on translation memory software and terminology management for translators.",
            &[],
            Some(5),
            Distance,
            web("2027-03-01"),
        ),
        offer(
            13,
            "Excel för ekonomer",
            "Kalkylprogram, pivottabeller och diagram i praktiken.",
            &[],
            Some(4),
            Distance,
            web("2027-02-15"),
        ),
        offer(
            14,
            "Introduction to project management software",
            "Planning tools, Gantt charts and reporting software for small teams.",
            &[],
            Some(5),
            Distance,
            web("2027-04-01"),
        ),
        offer(
            15,
            "Svenska för yrkeslivet",
            "Svenska som andraspråk med inriktning mot arbetsplatsens kommunikation.",
            &[],
            Some(2),
            OnSite,
            gbg("2027-02-01"),
        ),
        offer(
            16,
            "Heta arbeten",
            "Certifiering för heta arbeten enligt Brandskyddsföreningen.",
            &[SAFETY],
            Some(2),
            OnSite,
            gbg("2027-02-05"),
        ),
        offer(
            17,
            "Första hjälpen och HLR",
            "Första hjälpen, hjärt-lungräddning och krisstöd på arbetsplatsen.",
            &[FIRST_AID],
            Some(2),
            OnSite,
            gbg("2027-01-25"),
        ),
        offer(
            18,
            "Livsmedelshygien",
            "Egenkontroll och hygien i storkök och livsmedelsindustri.",
            &[HYGIENE],
            Some(2),
            Distance,
            web("2027-02-01"),
        ),
        offer(
            19,
            "Sveising for nybegynnere",
            "Grunnleggende sveising og MIG/MAG-sveising.",
            &[WELDING, MIG_MAG],
            Some(2),
            Distance,
            web("2027-03-01"),
        ),
        offer(
            20,
            "Grundläggande elteknik för industrin",
            "Ellära, mätteknik och elsäkerhet i industriella miljöer.",
            &[],
            Some(3),
            OnSite,
            gbg("2027-03-01"),
        ),
        offer(
            21,
            "Lagerlogistik",
            "Plock, pack, lagersystem och inventering.",
            &[],
            Some(2),
            OnSite,
            gbg("2027-02-01"),
        ),
        offer(
            22,
            "Python programming for data analysis",
            "Python, pandas and visualisation for analysts.",
            &[],
            Some(5),
            Distance,
            web("2027-02-01"),
        ),
        offer(
            23,
            "Ledarskap för arbetsledare",
            "Coachande ledarskap, arbetsrätt och arbetsmiljöansvar.",
            &[],
            Some(5),
            Blended,
            gbg("2027-03-01"),
        ),
        offer(
            24,
            "Lean produktion",
            "Ständiga förbättringar och flödeseffektivitet i tillverkande industri.",
            &[QUALITY],
            Some(4),
            OnSite,
            gbg("2027-04-01"),
        ),
        offer(
            25,
            "Matlagning för storkök",
            "Matlagning, menyplanering och specialkost i storkök.",
            &[],
            Some(3),
            OnSite,
            gbg("2027-02-01"),
        ),
        offer(
            26,
            "Barnskötare för vuxna",
            "Barns utveckling, lek och pedagogik i förskolan.",
            &[],
            Some(3),
            OnSite,
            gbg("2027-01-30"),
        ),
        offer(
            27,
            "Digital marknadsföring",
            "Sökordsoptimering, annonsering och analys på webben.",
            &[],
            Some(4),
            Distance,
            web("2027-03-01"),
        ),
        offer(
            28,
            "Arbetsmiljö och säkerhet för skyddsombud",
            "Grundläggande arbetsmiljöutbildning för skyddsombud och chefer.",
            &[SAFETY],
            Some(3),
            Distance,
            web("2027-02-01"),
        ),
        offer(
            29,
            "Office software basics",
            "Word processing, spreadsheets and e-mail software for beginners.",
            &[],
            Some(2),
            Distance,
            web("2027-02-01"),
        ),
        offer(
            30,
            "Målning och lackering",
            "Industrilackering, blästring och ytbehandling av metall.",
            &[],
            Some(3),
            OnSite,
            gbg("2027-03-01"),
        ),
    ];
    let mut e = Engine::new(Arc::new(taxonomy()), geography());
    for o in offers {
        e.upsert_offer(o);
    }
    e
}

fn employer_need(n: u128, title: &str, requirements: Vec<Requirement>) -> NeedDoc {
    let mut need = need(n, title, "1480", requirements);
    need.description =
        "Vi behöver utbildning för personalen under våren, gärna på orten.".to_owned();
    need.headcount = 3;
    need.needed_by = Some(date("2027-06-01"));
    need
}

/// Needs for competences no offer of [`world`] teaches, several sharing a generic word with an
/// offer.
fn gap_needs() -> Vec<NeedDoc> {
    let labels: [&[&str]; 34] = [
        &["applying chromatography software"],
        &["hovslagning"],
        &["biodling för nybörjare"],
        &["programmering av industrirobotar i livsmedelsindustrin"],
        &["tandvårdsassistans"],
        &["grundläggande fiskodling"],
        &["redovisning och bokföring"],
        &["arbetsmiljö för yrkesdykare"],
        &["bageri och konditori"],
        &["skogsmaskinförare"],
        &[
            "elinstallation lågspänning",
            "behörighet för elinstallatörer",
        ],
        &["säker hantering av sprängämnen"],
        &["projektledning inom bygg"],
        &["UX design for web applications"],
        &["machine learning with deep neural networks"],
        &["cloud infrastructure software"],
        &["kinesiska för exportföretag"],
        &["frisör"],
        &["trädgårdsanläggning"],
        &["rörläggning och VVS"],
        &["sömnad och textil"],
        &["musikproduktion"],
        &["fartygsbefäl klass VII"],
        &["underhåll av flygplan"],
        &["arbetsrätt för fackliga förtroendevalda"],
        &["teckenspråk"],
        &["laboratorieteknik kromatografi"],
        &["djursjukvård"],
        &["massage och friskvård"],
        &["regnskap og økonomistyring"],
        &["barnehagepedagogikk for assistenter"],
        &["fiskeoppdrett"],
        &["legal translation of contracts"],
        &["accounting software for payroll"],
    ];
    let mut needs: Vec<NeedDoc> = labels
        .iter()
        .enumerate()
        .map(|(i, ls)| employer_need(500 + i as u128, ls[0], ls.iter().map(|l| must(l)).collect()))
        .collect();
    // A concept of the taxonomy that no offer teaches, and one more craft.
    needs.push(employer_need(600, "Kockar", vec![must_id(COOKING)]));
    // (A deprecated concept is no gap: it stands for its replacement, which offers teach.)
    needs.push(employer_need(
        601,
        "Glasblåsare",
        vec![must("glasblåsning")],
    ));
    needs
}

/// Needs that an offer teaches, in the need's own words: (need, the offer that teaches it).
fn taught_needs() -> Vec<(NeedDoc, u128)> {
    let cases: [(&str, u128); 14] = [
        ("MIG/MAG-svetsning", 1),
        ("TIG-svetsning", 2),
        ("CNC-programmering", 4),
        ("truckkörning", 5),
        ("demensvård", 8),
        ("hydraulik", 9),
        ("travers", 10),
        ("kundservice", 11),
        ("translation memory software", 12),
        ("pivottabeller i Excel", 13),
        ("project management software", 14),
        ("Python data analysis", 22),
        ("industrilackering", 30),
        ("svenska som andraspråk", 15),
    ];
    cases
        .iter()
        .enumerate()
        .map(|(i, (label, offer))| {
            (
                employer_need(700 + i as u128, label, vec![must(label)]),
                *offer,
            )
        })
        .collect()
}

#[test]
fn needs_no_course_teaches_get_no_course_suggestion() {
    let e = world();
    let opts = MatchOptions::new(today());
    let needs = gap_needs();
    assert!(needs.len() >= 30);
    let mut suggested = Vec::new();
    for n in &needs {
        let s = e.suggest_offers(n, &opts);
        if let Some(first) = s.first() {
            suggested.push(format!(
                "{:?} -> {} ({:.3}: {})",
                n.title, first.target_id, first.score, first.explanation
            ));
        }
    }
    let share = 1.0 - suggested.len() as f64 / needs.len() as f64;
    println!(
        "gap needs: n={} no course fits {share:.3}\n{}",
        needs.len(),
        suggested.join("\n")
    );
    // Just below the 0.972 measured on 2026-11-29 (35 of 36; the product target is 0.90 on a
    // held-out set): the best-guess concept of a label must explain enough of its words.
    assert!(
        share >= 0.95,
        "only {share:.2} of gap needs got no course:\n{}",
        suggested.join("\n")
    );
}

#[test]
fn needs_a_course_teaches_still_get_it() {
    let e = world();
    let opts = MatchOptions::new(today());
    let cases = taught_needs();
    let mut missed = Vec::new();
    let mut at1 = 0;
    for (n, offer) in &cases {
        let s = e.suggest_offers(n, &opts);
        let ids: Vec<u128> = s.iter().map(|s| s.target_id.as_u128()).collect();
        if ids.first() == Some(offer) {
            at1 += 1;
        }
        if !ids.iter().take(5).any(|i| i == offer) {
            missed.push(format!("{:?}: expected {offer}, got {ids:?}", n.title));
        }
    }
    assert!(missed.is_empty(), "recall@5 misses:\n{}", missed.join("\n"));
    assert!(
        at1 * 10 >= cases.len() * 9,
        "right course first for {at1} of {}",
        cases.len()
    );
}

#[test]
fn one_shared_generic_word_is_no_evidence() {
    // The example: only "software" is shared.
    let e = world();
    let n = employer_need(
        1,
        "Lab staff",
        vec![must("applying chromatography software")],
    );
    let s = e.suggest_offers(&n, &MatchOptions::new(today()));
    assert!(s.is_empty(), "{s:#?}");
    // Not even with the threshold at 0: the offer shows no evidence of teaching the must-have.
    let mut all = MatchOptions::new(today());
    all.min_score = 0.0;
    assert!(
        e.suggest_offers(&n, &all)
            .iter()
            .all(|s| s.target_id.as_u128() != 12)
    );
}

#[test]
fn explanations_name_the_words_that_matched() {
    let e = world();
    let n = employer_need(2, "Översättare", vec![must("translation memory tools")]);
    let s = e.suggest_offers(&n, &MatchOptions::new(today()));
    let first = s.first().map(|s| {
        (
            s.target_id.as_u128(),
            s.explanation.clone(),
            s.evidence.clone(),
        )
    });
    let Some((12, explanation, evidence)) = first else {
        panic!("the translation-memory workshop first: {s:#?}")
    };
    assert!(
        explanation.contains(
            "words of “translation memory tools” found in the course: “translation”, “memory”"
        ),
        "{explanation}"
    );
    assert!(!explanation.contains("“tools”"), "{explanation}");
    assert!(evidence.matched_words.contains(&"translation".to_owned()));
    assert!(!evidence.matched_words.contains(&"tools".to_owned()));
}

#[test]
fn a_typo_in_a_free_text_label_is_tolerated_and_shown() {
    let e = world();
    // "travesr": one transposition from "travers".
    let n = employer_need(3, "Traversförare", vec![must("travesr")]);
    let s = e.suggest_offers(&n, &MatchOptions::new(today()));
    assert_eq!(s.first().map(|s| s.target_id.as_u128()), Some(10), "{s:#?}");
    assert!(
        s[0].explanation.contains("“travesr” (≈)"),
        "{}",
        s[0].explanation
    );
    // Short words are not fuzzed: "kran" vs "kram".
    let n = employer_need(4, "Kram", vec![must("kram")]);
    assert!(e.suggest_offers(&n, &MatchOptions::new(today())).is_empty());
}

#[test]
fn a_need_without_competences_in_common_scores_zero_whatever_the_logistics() {
    // With the threshold at 0 an offer sharing no concept and no label words is still no
    // suggestion, and any suggestion made scores at most its relevance.
    let e = world();
    let mut all = MatchOptions::new(today());
    all.min_score = 0.0;
    all.max_results = 100;
    for n in gap_needs() {
        for s in e.suggest_offers(&n, &all) {
            let rel = offer_relevance(&s.factors);
            assert!(s.score <= rel + 1e-9, "{s:#?}");
        }
    }
}

fn border_world() -> Engine {
    let m = |code: &str, name: &str, region: &str, cluster: &str| MunicipalityGeo {
        code: code.to_owned(),
        region: region.to_owned(),
        clusters: vec![cluster.to_owned()],
        name: Some(name.to_owned()),
        sub_region: None,
    };
    let geo = Geography::new(vec![
        m("1438", "Dals-Ed", "fyrbodal", "dalsland"),
        m("1460", "Bengtsfors", "fyrbodal", "dalsland"),
        m("1488", "Trollhättan", "fyrbodal", "trestad"),
        m("3101", "Halden", "ostfold", "halden"),
    ]);
    let mut e = Engine::new(Arc::new(taxonomy()), geo);
    let welding = |n: u128, instances| {
        offer(
            n,
            "MIG/MAG-svetsning",
            "Svetsning MIG/MAG.",
            &[MIG_MAG, WELDING],
            Some(3),
            Delivery::OnSite,
            instances,
        )
    };
    e.upsert_offer(welding(1, vec![on_site("2027-02-01", "3101", Some(10))]));
    e.upsert_offer(welding(2, vec![on_site("2027-02-01", "1488", Some(10))]));
    e.upsert_offer(welding(3, vec![on_site("2027-02-01", "1460", Some(10))]));
    e.upsert_offer(offer(
        4,
        "MIG/MAG-svetsning på distans",
        "Svetsning MIG/MAG.",
        &[MIG_MAG, WELDING],
        Some(3),
        Delivery::Distance,
        vec![remote("2027-02-01", Some(10))],
    ));
    e
}

#[test]
fn an_on_site_course_beyond_the_platforms_reach_is_not_suggested() {
    let e = border_world();
    let n = need(1, "Svetsare", "1438", vec![must_id(MIG_MAG)]);
    let at = |reach: Reach| {
        let mut o = MatchOptions::new(today());
        o.reach = reach;
        let mut ids: Vec<u128> = e
            .suggest_offers(&n, &o)
            .iter()
            .map(|s| s.target_id.as_u128())
            .collect();
        ids.sort_unstable();
        ids
    };
    // Halden (Norway) is outside Dals-Ed's region: not suggested by default.
    assert_eq!(at(Reach::default()), vec![2, 3, 4]);
    assert_eq!(at(Reach::Region), vec![2, 3, 4]);
    // No sub-regions in this geography: sub_region reaches the region.
    assert_eq!(at(Reach::SubRegion), vec![2, 3, 4]);
    assert_eq!(at(Reach::Cluster), vec![3, 4]);
    assert_eq!(at(Reach::Municipality), vec![4]);
    assert_eq!(at(Reach::Anywhere), vec![1, 2, 3, 4]);
}

#[test]
fn explanations_name_places_and_speak_the_asked_language() {
    let e = border_world();
    let mut n = need(1, "Svetsare", "1438", vec![must_id(MIG_MAG)]);
    n.needed_by = Some(date("2027-03-01"));
    n.headcount = 2;
    let mut o = MatchOptions::new(today());
    o.reach = Reach::Cluster;
    let s = e.suggest_offers(&n, &o);
    let bengtsfors = s.iter().find(|s| s.target_id.as_u128() == 3);
    let Some(b) = bengtsfors else {
        panic!("Bengtsfors offer suggested: {s:#?}")
    };
    assert!(
        b.explanation
            .contains("on site in Bengtsfors, in the same cluster"),
        "{}",
        b.explanation
    );
    assert!(!b.explanation.contains("1460"), "{}", b.explanation);
    assert!(b.evidence.reasons.contains(&Reason::OnSite {
        municipality: "1460".into(),
        proximity: broker_matching::Proximity::Cluster
    }));
    let sv = e.explain(&b.evidence.reasons, Lang::Sv);
    assert!(
        sv.contains("lär ut 1 av 1 obligatoriska kompetenser: MIG/MAG-svetsning"),
        "{sv}"
    );
    assert!(
        sv.contains("på plats i Bengtsfors, i samma kommunkluster"),
        "{sv}"
    );
    assert!(
        sv.contains("startar 2027-02-01, före behovsdatumet 2027-03-01"),
        "{sv}"
    );
    assert!(sv.contains("10 platser för 2 personer"), "{sv}");
    let nb = e.explain(&b.evidence.reasons, Lang::Nb);
    assert!(
        nb.contains("lærer bort 1 av 1 obligatoriske kompetanser: MIG/MAG-sveising"),
        "{nb}"
    );
    assert!(
        nb.contains("på stedet i Bengtsfors, i samme kommuneklynge"),
        "{nb}"
    );
    let en = e.explain(&b.evidence.reasons, Lang::En);
    assert!(
        en.contains("teaches 1 of 1 must-have competences: MIG/MAG welding"),
        "{en}"
    );
    // Asking for a language when matching renders the stored explanation in it.
    o.lang = Some(Lang::Nb);
    let s = e.suggest_offers(&n, &o);
    assert!(s.iter().all(|s| s.kind == SuggestionKind::Offer));
    assert!(s.iter().any(|s| s.explanation == nb), "{s:#?}");
}

#[test]
fn a_requirement_resolved_to_a_concept_the_offer_lacks_still_counts_by_its_words() {
    // The offer's own labels resolved to no concept (or another one); its text names the skill.
    let mut e = Engine::new(Arc::new(taxonomy()), geography());
    e.upsert_offer(offer(
        1,
        "Kurs i MIG/MAG-svetsning",
        "MIG/MAG-svetsning för nybörjare i verkstad.",
        &[],
        Some(3),
        Delivery::OnSite,
        vec![on_site("2027-02-01", "1480", Some(10))],
    ));
    let n = employer_need(1, "Svetsare", vec![must("MIG/MAG-svetsning")]);
    let s = e.suggest_offers(&n, &MatchOptions::new(today()));
    assert_eq!(s.first().map(|s| s.target_id.as_u128()), Some(1), "{s:#?}");
    assert!(
        s[0].evidence.covered_must.is_empty(),
        "no concept in common"
    );
    assert!(
        s[0].explanation.contains(
            "words of “MIG/MAG-svetsning” found in the course: “mig”, “mag”, “svetsning”"
        ),
        "{}",
        s[0].explanation
    );
}
