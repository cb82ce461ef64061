#!/usr/bin/env python3
"""A short real flow through a Python client generated from openapi/openapi.json
(openapi-python-client): a municipal contact enters a need, reads its suggestions, a broker
decides one, and anyone lists public offers. Every answer is parsed by the generated models, so
a contract that differs from what the server sends fails here.

Usage: client_flow.py <generated-package-dir> <base-url> <contact-token> <broker-token>
Prints a one-line summary; exits non-zero on any failure.
"""

import sys

sys.path.insert(0, sys.argv[1])

from kompetens_client import AuthenticatedClient, Client  # noqa: E402
from kompetens_client.api.matches import decide_match, get_match  # noqa: E402
from kompetens_client.api.needs import create_need, get_need, list_need_matches  # noqa: E402
from kompetens_client.api.public import list_public_offers  # noqa: E402
from kompetens_client.models import (  # noqa: E402
    DecisionRequest,
    MatchDecision,
    MatchDto,
    NeedDto,
    NeedInput,
    NeedMatches,
    NeedPurpose,
    PublicOfferPage,
    RequirementInput,
)


def expect(value, kind, what):
    if not isinstance(value, kind):
        raise SystemExit(f"{what}: expected {kind.__name__}, got {value!r}")
    return value


def main():
    _, _, base, contact_token, broker_token = sys.argv
    contact = AuthenticatedClient(base_url=base, token=contact_token, raise_on_unexpected_status=True)
    broker = AuthenticatedClient(base_url=base, token=broker_token, raise_on_unexpected_status=True)
    anyone = Client(base_url=base, raise_on_unexpected_status=True)

    need = expect(
        create_need.sync(
            client=contact,
            body=NeedInput(
                municipality="1438",
                title="Svetsare till verkstaden",
                purpose=NeedPurpose.RECRUITMENT,
                headcount=3,
                competences=[RequirementInput(label="svetsning MIG/MAG")],
            ),
        ),
        NeedDto,
        "create need",
    )
    matches = expect(list_need_matches.sync(need.id, client=contact), NeedMatches, "need matches")
    if not matches.items:
        raise SystemExit("the need got no suggestions")
    best = matches.items[0]
    suggestion = expect(get_match.sync(best.id, client=broker), MatchDto, "get match")
    decided = expect(
        decide_match.sync(
            suggestion.id,
            client=broker,
            body=DecisionRequest(decision=MatchDecision.ACCEPT, version=suggestion.version),
        ),
        MatchDto,
        "decide match",
    )
    after = expect(get_need.sync(need.id, client=contact), NeedDto, "need after the decision")
    offers = expect(
        list_public_offers.sync(client=anyone, municipality="1485", limit="5"),
        PublicOfferPage,
        "public offers",
    )
    if not offers.items:
        raise SystemExit("no public offers listed")
    print(
        f"need {need.id} ({len(matches.items)} suggestions); "
        f"match {decided.id} {decided.status}; need now {after.status}; "
        f"{offers.total} public offers in 1485"
    )


if __name__ == "__main__":
    main()
