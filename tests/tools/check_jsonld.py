"""Expands a JSON-LD document with pyld (no network: remote contexts are refused) and prints a
JSON summary of the schema.org Course / CourseInstance properties found, for the e2e tests."""

import json
import sys

from pyld import jsonld

SDO = "https://schema.org/"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"


def refuse_remote(url, options=None):
    raise jsonld.JsonLdError(
        f"remote context {url} refused: the document must be self-contained",
        "jsonld.LoadDocumentError",
        code="loading document failed",
    )


def types(node):
    return [t[len(SDO):] if t.startswith(SDO) else t for t in node.get("@type", [])]


def main(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    jsonld.set_document_loader(refuse_remote)
    expanded = jsonld.expand(doc)
    nodes = {n["@id"]: n for n in jsonld.flatten(doc) if "@id" in n}

    def refs(node, prop):
        return [nodes.get(v["@id"], v) if "@id" in v else v for v in node.get(SDO + prop, [])]

    def value(node, prop):
        vals = node.get(SDO + prop, [])
        return vals[0].get("@value") if vals else None

    courses = [n for n in nodes.values() if "Course" in types(n)]
    summary = {
        "expanded_top_level_types": [types(n) for n in expanded],
        "courses": len(courses),
        "course_ids": [c["@id"] for c in courses],
        "course_names": sorted(value(c, "name") or "" for c in courses),
        "missing": [],
        "instances": 0,
        "course_modes": [],
        "start_date_types": [],
        "end_dates": 0,
        "locations": [],
        "number_of_items": None,
        "list_items": 0,
    }
    for node in nodes.values():
        if "ItemList" in types(node):
            summary["number_of_items"] = value(node, "numberOfItems")
            summary["list_items"] = len(node.get(SDO + "itemListElement", []))
    for c in courses:
        name = value(c, "name")
        for prop in ("name", "provider", "teaches", "offers", "hasCourseInstance", "educationalLevel"):
            if not c.get(SDO + prop):
                summary["missing"].append(f"{name}: {prop}")
        for p in refs(c, "provider"):
            if not value(p, "name"):
                summary["missing"].append(f"{name}: provider name")
        for o in refs(c, "offers"):
            if "Offer" not in types(o) or not value(o, "category"):
                summary["missing"].append(f"{name}: Offer with category")
        for inst in refs(c, "hasCourseInstance"):
            summary["instances"] += 1
            if "CourseInstance" not in types(inst):
                summary["missing"].append(f"{name}: instance type")
            for prop in ("courseMode", "location", "startDate"):
                if not inst.get(SDO + prop):
                    summary["missing"].append(f"{name}: instance {prop}")
            summary["course_modes"].append(value(inst, "courseMode"))
            summary["start_date_types"].extend(v.get("@type") for v in inst.get(SDO + "startDate", []))
            summary["end_dates"] += len(inst.get(SDO + "endDate", []))
            summary["locations"].extend(t for loc in refs(inst, "location") for t in types(loc))
    summary["start_date_types"] = sorted(set(summary["start_date_types"]))
    summary["course_modes"] = sorted(set(m for m in summary["course_modes"] if m))
    summary["locations"] = sorted(set(summary["locations"]))
    print(json.dumps(summary))


if __name__ == "__main__":
    main(sys.argv[1])
