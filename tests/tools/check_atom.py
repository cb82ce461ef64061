"""Parses an Atom feed with feedparser and prints a JSON summary for the e2e tests."""

import json
import sys

import feedparser


def main(path):
    with open(path, "rb") as f:
        parsed = feedparser.parse(f.read())
    feed = parsed.feed
    print(json.dumps({
        "bozo": int(parsed.bozo),
        "bozo_exception": str(parsed.get("bozo_exception", "")),
        "version": parsed.version,
        "id": feed.get("id"),
        "title": feed.get("title"),
        "updated": feed.get("updated"),
        "author": feed.get("author"),
        "language": feed.get("language"),
        "links": [{"rel": l.get("rel"), "href": l.get("href"), "type": l.get("type")} for l in feed.get("links", [])],
        "entries": [
            {
                "id": e.get("id"),
                "title": e.get("title"),
                "updated": e.get("updated"),
                "published": e.get("published"),
                "author": e.get("author"),
                "link": e.get("link"),
                "summary": e.get("summary"),
            }
            for e in parsed.entries
        ],
    }))


if __name__ == "__main__":
    main(sys.argv[1])
