#!/usr/bin/env python3
"""Validates the demo data set in this directory (taxonomy, organisations, people, offers, needs).

Mirrors the serde structs in crates/api/src/demo_data.rs and documents the content rules:
- every file parses as JSON and has only the fields the structs define (with the right types);
- every reference resolves (competence/occupation keys, organisation, provider kind, people);
- organisation numbers carry valid check digits:
  SE: 10 digits, last digit = Luhn check digit over the first 9;
  NO: 9 digits, last digit = mod-11 check digit with weights 3,2,7,6,5,4,3,2
      (r = sum % 11; check = 11 - r; 11 -> 0; 10 -> invalid number);
- municipality codes are among the 14 Fyrbodal + 12 Østfold codes;
- dates are YYYY-MM-DD and ordered (deadline < start < end);
- minimum counts are met.
Run: python3 validate.py  (exit status 1 on any error)
"""
import datetime as dt
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
FYRBODAL = {"1460": "Bengtsfors", "1438": "Dals-Ed", "1439": "Färgelanda", "1484": "Lysekil",
            "1461": "Mellerud", "1430": "Munkedal", "1421": "Orust", "1427": "Sotenäs",
            "1486": "Strömstad", "1435": "Tanum", "1488": "Trollhättan", "1485": "Uddevalla",
            "1487": "Vänersborg", "1492": "Åmål"}
OSTFOLD = {"3101": "Halden", "3103": "Moss", "3105": "Sarpsborg", "3107": "Fredrikstad",
           "3110": "Hvaler", "3112": "Råde", "3114": "Våler", "3116": "Skiptvet",
           "3118": "Indre Østfold", "3120": "Rakkestad", "3122": "Marker", "3124": "Aremark"}
MUNIS = {**FYRBODAL, **OSTFOLD}
FIELDS = {"health_care", "industry_welding", "construction", "transport_logistics", "it",
          "hospitality", "teaching", "general"}
ORG_KINDS = {"employer", "education_provider", "municipality", "employer_organisation", "employee_organisation",
             "public_agency", "other"}
ROLES = {"municipal_contact", "broker", "provider_contact", "employer_contact", "steering_group",
         "coordination_team", "competence_group"}
SUPPORT_TOOLS = {"rekas", "syv_online", "validering_vast"}
OFFER_STATUS = {"published", "draft", "archived"}
NEED_STATUS = {"open", "draft", "in_review"}
PURPOSES = {"recruitment", "upskilling", "reskilling", "validation"}
DELIVERY = {"on_site", "distance", "blended"}

errors, warnings = [], []


def err(msg):
    errors.append(msg)


def warn(msg):
    warnings.append(msg)


def load(name):
    path = os.path.join(HERE, name)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        err(f"{name}: missing")
    except json.JSONDecodeError as e:
        err(f"{name}: invalid JSON: {e}")
    return None


# --- type checking against the serde structs -------------------------------------------------
# spec: field -> (type, required). Types: "str", "int", "bool", "date", ("list", t), ("obj", spec)
# Option<T> fields are not required and may be null; #[serde(default)] fields may be absent.
def check_obj(where, obj, spec):
    if not isinstance(obj, dict):
        err(f"{where}: expected object")
        return
    for k in obj:
        if k not in spec:
            err(f"{where}: unknown field {k!r}")
    for k, (typ, required) in spec.items():
        if k not in obj:
            if required:
                err(f"{where}: missing required field {k!r}")
            continue
        v = obj[k]
        if v is None:
            if required:
                err(f"{where}: field {k!r} must not be null")
            continue
        check_val(f"{where}.{k}", v, typ)


def check_val(where, v, typ):
    if typ == "str":
        ok = isinstance(v, str)
    elif typ == "int":
        ok = isinstance(v, int) and not isinstance(v, bool)
    elif typ == "bool":
        ok = isinstance(v, bool)
    elif typ == "date":
        ok = isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) is not None
        if ok:
            try:
                dt.date.fromisoformat(v)
            except ValueError:
                ok = False
    elif isinstance(typ, tuple) and typ[0] == "list":
        if not isinstance(v, list):
            err(f"{where}: expected list")
            return
        for i, x in enumerate(v):
            check_val(f"{where}[{i}]", x, typ[1])
        return
    elif isinstance(typ, tuple) and typ[0] == "obj":
        check_obj(where, v, typ[1])
        return
    else:
        raise ValueError(typ)
    if not ok:
        err(f"{where}: expected {typ}, got {v!r}")


LANG = ("obj", {"preferred": ("str", True), "alternative": (("list", "str"), False)})
LABELS = ("obj", {"sv": (LANG, False), "nb": (LANG, False), "en": (LANG, False)})
COMPETENCE = {"key": ("str", True), "esco_uri": ("str", False), "field": ("str", False),
              "labels": (LABELS, True)}
OCCUPATION = {**COMPETENCE, "essential": (("list", "str"), False), "optional": (("list", "str"), False)}
ORGANISATION = {"key": ("str", True), "name": ("str", True), "kind": ("str", True),
                "country": ("str", True), "org_number": ("str", False),
                "municipality": ("str", False), "website": ("str", False)}
PERSON = {"key": ("str", True), "name": ("str", True), "email": ("str", False),
          "phone": ("str", False), "organisation": ("str", False),
          "roles": (("list", "str"), False), "municipalities": (("list", "str"), False),
          "areas": (("list", "str"), False), "area_text": (("list", "str"), False)}
INSTANCE = ("obj", {"start": ("date", True), "end": ("date", False), "municipality": ("str", False),
                    "distance": ("bool", False), "pace_percent": ("int", False),
                    "seats": ("int", False), "application_deadline": ("date", False)})
OFFER = {"key": ("str", True), "provider": ("str", True), "language": ("str", False),
         "title": ("str", True), "description": ("str", False),
         "competences": (("list", "str"), False), "level": ("int", False),
         "delivery": ("str", True), "cost_minor": ("int", False), "currency": ("str", False),
         "validation_offered": ("bool", False), "link": ("str", False),
         "support_tools": (("list", "str"), False), "status": ("str", True),
         "instances": (("list", INSTANCE), False)}
REQUIREMENT = ("obj", {"key": ("str", False), "label": ("str", True),
                       "must_have": ("bool", False), "level": ("int", False)})
NEED = {"key": ("str", True), "municipality": ("str", True), "employer": ("str", False),
        "entered_by": ("str", False), "title": ("str", True), "description": ("str", False),
        "purpose": ("str", True), "headcount": ("int", True), "needed_by": ("date", False),
        "wanted_level": ("int", False), "occupation": ("str", False),
        "delivery": (("obj", {"on_site": ("bool", True), "distance": ("bool", True),
                              "part_time": ("bool", True)}), False),
        "competences": (("list", REQUIREMENT), False), "status": ("str", True)}


# --- check digits ------------------------------------------------------------------------------
def luhn_check_digit(first9):
    total = 0
    for i, ch in enumerate(first9):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def valid_se_org_number(s):
    digits = s.replace("-", "")
    if not re.fullmatch(r"\d{6}-?\d{4}", s) or len(digits) != 10:
        return False
    return luhn_check_digit(digits[:9]) == int(digits[9])


def mod11_check_digit(first8):
    weights = [3, 2, 7, 6, 5, 4, 3, 2]
    r = sum(int(c) * w for c, w in zip(first8, weights)) % 11
    check = 11 - r
    if check == 11:
        return 0
    if check == 10:
        return None  # no valid number with these first 8 digits
    return check


def valid_no_org_number(s):
    digits = s.replace(" ", "")
    if not re.fullmatch(r"\d{9}", digits):
        return False
    c = mod11_check_digit(digits[:8])
    return c is not None and c == int(digits[8])


def date(s):
    return dt.date.fromisoformat(s) if s else None


def unique_keys(name, items):
    c = Counter(x.get("key") for x in items if isinstance(x, dict))
    for k, n in c.items():
        if n > 1:
            err(f"{name}: duplicate key {k!r}")


def main():
    tax = load("taxonomy.json")
    orgs = load("organisations.json")
    people = load("people.json")
    offers = load("offers.json")
    needs = load("needs.json")

    comp_keys, occ_keys = set(), set()
    # ---- taxonomy
    if tax is not None:
        check_obj("taxonomy", tax, {"competences": (("list", ("obj", COMPETENCE)), True),
                                    "occupations": (("list", ("obj", OCCUPATION)), True)})
        comps = tax.get("competences", [])
        occs = tax.get("occupations", [])
        unique_keys("taxonomy.competences", comps)
        unique_keys("taxonomy.occupations", occs)
        comp_keys = {c["key"] for c in comps}
        occ_keys = {o["key"] for o in occs}
        if len(comps) < 160:
            err(f"taxonomy: {len(comps)} competences < 160")
        if len(occs) < 32:
            err(f"taxonomy: {len(occs)} occupations < 32")
        seen = {lang: {} for lang in ("sv", "nb", "en")}
        # An ESCO import adopts the starter concept carrying a URI: two carrying one would make
        # which of them is adopted depend on file order.
        uri_owner = {}
        for kind, items in (("competence", comps), ("occupation", occs)):
            for c in items:
                k = c["key"]
                if not re.fullmatch(r"[a-z][a-z0-9_]*", k):
                    err(f"{kind} {k}: key is not snake_case")
                if c.get("field") not in FIELDS:
                    err(f"{kind} {k}: field {c.get('field')!r} not allowed")
                uri = c.get("esco_uri")
                if uri is not None and not uri.startswith("http://data.europa.eu/esco/"):
                    err(f"{kind} {k}: esco_uri {uri!r} is not an ESCO URI")
                if uri is not None:
                    if uri in uri_owner:
                        err(f"{kind} {k}: esco_uri {uri!r} is already {uri_owner[uri]}'s")
                    uri_owner.setdefault(uri, k)
                for lang in ("sv", "nb", "en"):
                    lab = c["labels"].get(lang)
                    if not lab:
                        err(f"{kind} {k}: missing {lang} labels")
                        continue
                    alts = lab.get("alternative", [])
                    # The names people use in needs and course catalogues; more than ten in
                    # one language is more likely noise than coverage.
                    if kind == "competence" and not (0 <= len(alts) <= 10):
                        warn(f"{kind} {k}: {len(alts)} alternative {lang} labels")
                    for text in [lab["preferred"], *alts]:
                        norm = text.strip().casefold()
                        other = seen[lang].get(norm)
                        if other and other != k:
                            err(f"{lang} label {text!r} used by both {other} and {k}")
                        seen[lang][norm] = k
        for o in occs:
            ess, opt = o.get("essential", []), o.get("optional", [])
            if not 3 <= len(ess) <= 6:
                err(f"occupation {o['key']}: {len(ess)} essential competences (want 3-6)")
            if not 1 <= len(opt) <= 4:
                err(f"occupation {o['key']}: {len(opt)} optional competences (want 1-4)")
            for k in ess + opt:
                if k not in comp_keys:
                    err(f"occupation {o['key']}: unknown competence {k!r}")
            if set(ess) & set(opt):
                err(f"occupation {o['key']}: competence both essential and optional")

    # ---- organisations
    org_by_key = {}
    if orgs is not None:
        if not isinstance(orgs, list):
            err("organisations.json: expected a list")
            orgs = []
        for o in orgs:
            check_obj(f"organisation {o.get('key')}", o, ORGANISATION)
        unique_keys("organisations", orgs)
        org_by_key = {o["key"]: o for o in orgs}
        numbers = Counter()
        for o in orgs:
            k = o["key"]
            if o["kind"] not in ORG_KINDS:
                err(f"organisation {k}: kind {o['kind']!r} not allowed")
            if o["country"] not in ("SE", "NO"):
                err(f"organisation {k}: country {o['country']!r}")
            m = o.get("municipality")
            if m is not None:
                if m not in MUNIS:
                    err(f"organisation {k}: unknown municipality {m}")
                elif (o["country"] == "SE") != (m in FYRBODAL):
                    err(f"organisation {k}: municipality {m} is in the other country")
            n = o.get("org_number")
            if n is not None:
                numbers[n.replace("-", "").replace(" ", "")] += 1
                ok = valid_se_org_number(n) if o["country"] == "SE" else valid_no_org_number(n)
                if not ok:
                    err(f"organisation {k}: org_number {n} fails the {o['country']} check digit rule")
            w = o.get("website")
            if w is not None and not w.startswith("https://"):
                err(f"organisation {k}: website must start with https://")
        for n, c in numbers.items():
            if c > 1:
                err(f"org_number {n} used {c} times")
        if len(orgs) < 40:
            err(f"organisations: {len(orgs)} < 40")

    # ---- people
    person_keys = set()
    if people is not None:
        if not isinstance(people, list):
            err("people.json: expected a list")
            people = []
        for p in people:
            check_obj(f"person {p.get('key')}", p, PERSON)
        unique_keys("people", people)
        person_keys = {p["key"] for p in people}
        for p in people:
            k = p["key"]
            if p.get("organisation") is not None and p["organisation"] not in org_by_key:
                err(f"person {k}: unknown organisation {p['organisation']!r}")
            for r in p.get("roles", []):
                if r not in ROLES:
                    err(f"person {k}: unknown role {r!r}")
            for m in p.get("municipalities", []):
                if m not in MUNIS:
                    err(f"person {k}: unknown municipality {m}")
            for a in p.get("areas", []):
                if a not in comp_keys:
                    err(f"person {k}: unknown competence {a!r} in areas")
            e = p.get("email")
            if e is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.example", e):
                err(f"person {k}: email {e!r} must use an .example domain")
            ph = p.get("phone")
            if ph is not None and not re.fullmatch(r"\+46 \d{2} \d{3} \d{2} \d{2}|\+47 \d{3} \d{2} \d{3}", ph):
                err(f"person {k}: phone {ph!r} not in +46 70 123 45 67 / +47 912 34 567 style")
        if len(people) < 30:
            err(f"people: {len(people)} < 30")
        contacts = {m for p in people if "municipal_contact" in p.get("roles", [])
                    for m in p.get("municipalities", [])}
        for m in ("1485", "1435", "1438", "1460"):
            if m not in contacts:
                err(f"no municipal contact for pilot municipality {m}")

    # ---- offers
    if offers is not None:
        if not isinstance(offers, list):
            err("offers.json: expected a list")
            offers = []
        for o in offers:
            check_obj(f"offer {o.get('key')}", o, OFFER)
        unique_keys("offers", offers)
        status = Counter(o["status"] for o in offers)
        for o in offers:
            k = o["key"]
            prov = org_by_key.get(o["provider"])
            if prov is None:
                err(f"offer {k}: unknown provider {o['provider']!r}")
            elif prov["kind"] != "education_provider":
                err(f"offer {k}: provider {o['provider']} is a {prov['kind']}")
            lang = o.get("language")
            if lang not in ("sv", "nb"):
                err(f"offer {k}: language {lang!r}")
            if prov is not None and lang is not None:
                if (prov["country"] == "SE") != (lang == "sv"):
                    err(f"offer {k}: language {lang} does not match provider country {prov['country']}")
            if not o.get("competences"):
                err(f"offer {k}: no competences")
            for c in o.get("competences", []):
                if c not in comp_keys:
                    err(f"offer {k}: unknown competence {c!r}")
            lvl = o.get("level")
            if lvl is not None and not 2 <= lvl <= 6:
                err(f"offer {k}: level {lvl} outside EQF 2..6")
            if o["delivery"] not in DELIVERY:
                err(f"offer {k}: delivery {o['delivery']!r}")
            cost, cur = o.get("cost_minor"), o.get("currency")
            if cost is not None and cost < 0:
                err(f"offer {k}: negative cost")
            if cost is not None and cur not in ("SEK", "NOK"):
                err(f"offer {k}: cost without currency")
            if cur is not None and cur != ("SEK" if lang == "sv" else "NOK"):
                err(f"offer {k}: currency {cur} does not match language {lang}")
            if o.get("link") is not None and not re.fullmatch(r"https://[^/\s]+\.example(/\S*)?", o["link"]):
                err(f"offer {k}: link {o['link']!r} must be https://….example/…")
            for t in o.get("support_tools", []):
                if t not in SUPPORT_TOOLS:
                    err(f"offer {k}: unknown support tool {t!r}")
            if o["status"] not in OFFER_STATUS:
                err(f"offer {k}: status {o['status']!r}")
            insts = o.get("instances", [])
            if o["status"] == "published" and not insts:
                err(f"offer {k}: published without instances")
            for i, ins in enumerate(insts):
                w = f"offer {k} instance {i}"
                start, end, dl = date(ins["start"]), date(ins.get("end")), date(ins.get("application_deadline"))
                if not dt.date(2027, 1, 10) <= start <= dt.date(2027, 10, 1):
                    err(f"{w}: start {start} outside 2027-01-10..2027-10-01")
                if end is not None and end <= start:
                    err(f"{w}: end {end} not after start {start}")
                if dl is not None and dl >= start:
                    err(f"{w}: deadline {dl} not before start {start}")
                m = ins.get("municipality")
                if m is not None:
                    if m not in MUNIS:
                        err(f"{w}: unknown municipality {m}")
                    elif (lang == "sv") != (m in FYRBODAL):
                        err(f"{w}: municipality {m} is in the other region")
                if m is None and not ins.get("distance"):
                    err(f"{w}: no municipality and not distance")
                pace = ins.get("pace_percent")
                if pace is not None and not 25 <= pace <= 100:
                    err(f"{w}: pace {pace}")
                seats = ins.get("seats")
                if seats is not None and not 5 <= seats <= 40:
                    err(f"{w}: seats {seats}")
        if len(offers) < 35:
            err(f"offers: {len(offers)} < 35")
        if status["draft"] < 1 or status["archived"] < 1:
            warn(f"offers: status mix {dict(status)}")

    # ---- needs
    if needs is not None:
        if not isinstance(needs, list):
            err("needs.json: expected a list")
            needs = []
        for n in needs:
            check_obj(f"need {n.get('key')}", n, NEED)
        unique_keys("needs", needs)
        for n in needs:
            k = n["key"]
            m = n["municipality"]
            if m not in MUNIS:
                err(f"need {k}: unknown municipality {m}")
            emp = n.get("employer")
            if emp is not None:
                if emp not in org_by_key:
                    err(f"need {k}: unknown employer {emp!r}")
                elif (org_by_key[emp]["country"] == "SE") != (m in FYRBODAL):
                    err(f"need {k}: employer {emp} is in the other country")
            if n.get("entered_by") is not None and n["entered_by"] not in person_keys:
                err(f"need {k}: unknown person {n['entered_by']!r}")
            if n.get("occupation") is not None and n["occupation"] not in occ_keys:
                err(f"need {k}: unknown occupation {n['occupation']!r}")
            if n["purpose"] not in PURPOSES:
                err(f"need {k}: purpose {n['purpose']!r}")
            if not 1 <= n["headcount"] <= 30:
                err(f"need {k}: headcount {n['headcount']}")
            nb = date(n.get("needed_by"))
            if nb is not None and not dt.date(2027, 2, 1) <= nb <= dt.date(2027, 12, 31):
                err(f"need {k}: needed_by {nb} outside 2027-02..2027-12")
            lvl = n.get("wanted_level")
            if lvl is not None and not 2 <= lvl <= 6:
                err(f"need {k}: wanted_level {lvl}")
            if n["status"] not in NEED_STATUS:
                err(f"need {k}: status {n['status']!r}")
            for r in n.get("competences", []):
                if r.get("key") is not None and r["key"] not in comp_keys:
                    err(f"need {k}: unknown competence {r['key']!r}")
                if not r["label"].strip():
                    err(f"need {k}: empty label")
            if not n.get("competences") and n.get("occupation") is None:
                err(f"need {k}: neither competences nor occupation")
        if len(needs) < 30:
            err(f"needs: {len(needs)} < 30")

    counts = {
        "competences": len(tax["competences"]) if tax else 0,
        "occupations": len(tax["occupations"]) if tax else 0,
        "organisations": len(orgs or []), "people": len(people or []),
        "offers": len(offers or []), "needs": len(needs or []),
    }
    print("counts:", ", ".join(f"{k}={v}" for k, v in counts.items()))
    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("ERROR:", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
