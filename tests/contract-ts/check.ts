// Compiled with `tsc --strict --noEmit` by .ci/run against types generated from
// openapi/openapi.json by openapi-typescript: a client written against the contract must
// type-check. The assertions are about the contract's shapes, not about behaviour.
import type { components, operations } from "./generated/api";

type Schemas = components["schemas"];

// Requests are built from the documented shapes.
const need: Schemas["NeedInput"] = {
  municipality: "1438",
  title: "Svetsare",
  purpose: "recruitment",
  headcount: 3,
  competences: [{ label: "svetsning MIG/MAG", importance: "must_have" }],
};

const decision: Schemas["DecisionRequest"] = { decision: "accept", version: 1 };

// Suggestions carry their factors as a list and their evidence as an open object.
function describe(match: Schemas["MatchDto"]): string {
  const factors = match.factors.map((f) => `${f.name} ${f.score.toFixed(2)} x ${f.weight}`);
  const evidence: Schemas["MatchDto"]["evidence"] = { reasons: [], shared: ["svetsning"] };
  return `${match.explanation}: ${factors.join(", ")} (${Object.keys(evidence).length})`;
}

// Free-form objects accept the values the server sends.
const detail: Schemas["NeedEventDto"]["detail"] = { from: "open", to: "matched" };
const payload: Schemas["WebhookDeliveryDto"]["payload"] = { action: "need.create", topics: ["municipality:1438"] };

// Error answers are problems with named fields.
type CreateNeed = operations["createNeed"];
function fieldsOf(problem: CreateNeed["responses"][422]["content"]["application/problem+json"]): string[] {
  return (problem.errors ?? []).map((e) => e.field);
}

// A list answer pages its items.
type Needs = operations["listNeeds"]["responses"][200]["content"]["application/json"];
function titles(page: Needs): string[] {
  return page.items.map((n) => `${n.title} (${n.status})`);
}

export { need, decision, describe, detail, payload, fieldsOf, titles };
