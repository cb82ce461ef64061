/*! Kompetensmäklare offer widget. No dependencies, no global CSS.
 *
 * Paste where the list should appear:
 *   <div data-kompetens-offers data-municipality="1485" data-lang="sv" data-limit="5"></div>
 *   <script src="https://<broker-host>/embed/offers.js" async></script>
 *
 * Optional attributes: data-region, data-cluster, data-competence, data-q, data-delivery,
 * data-api (base URL of the service; defaults to where this script was loaded from).
 * Renders into a shadow root, in Swedish, Norwegian Bokmål or English. If the service cannot be
 * reached, a plain link to the listing stays in place.
 */
(function () {
  "use strict";
  var TEXT = {
    sv: { heading: "Aktuella utbildningar", distance: "Distans", starts: "Start", provider: "Anordnare", none: "Inga utbildningar just nu.", all: "Visa alla utbildningar", demand: "Efterfrågad här", loading: "Hämtar utbildningar…" },
    nb: { heading: "Aktuelle utdanninger", distance: "Nettbasert", starts: "Oppstart", provider: "Tilbyder", none: "Ingen utdanninger akkurat nå.", all: "Vis alle utdanninger", demand: "Etterspurt her", loading: "Henter utdanninger…" },
    en: { heading: "Current courses", distance: "Distance", starts: "Starts", provider: "Provider", none: "No courses right now.", all: "Show all courses", demand: "In demand here", loading: "Loading courses…" }
  };
  var LOCALE = { sv: "sv-SE", nb: "nb-NO", en: "en-GB" };
  var CSS =
    ":host{display:block;font:inherit;color:inherit}" +
    ".km-list{list-style:none;margin:0;padding:0}" +
    ".km-item{padding:.6em 0;border-bottom:1px solid rgba(0,0,0,.12)}" +
    ".km-title{font-weight:600}" +
    ".km-meta{font-size:.9em;opacity:.85}" +
    ".km-badge{display:inline-block;font-size:.75em;padding:0 .4em;border-radius:.3em;background:#fde9a9;color:#5c4400;margin-left:.4em}" +
    "h2{font-size:1.1em;margin:0 0 .4em}";

  var currentScript = document.currentScript;
  function apiBase(el) {
    if (el.getAttribute("data-api")) return el.getAttribute("data-api").replace(/\/$/, "");
    if (currentScript && currentScript.src) return new URL(currentScript.src).origin;
    var s = document.querySelector('script[src*="/embed/offers.js"]');
    return s ? new URL(s.src, location.href).origin : "";
  }
  function lang(el) {
    var l = (el.getAttribute("data-lang") || document.documentElement.lang || "sv").toLowerCase().slice(0, 2);
    if (l === "no" || l === "nn") l = "nb";
    return TEXT[l] ? l : "sv";
  }
  function node(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function formatDate(iso, l) {
    try {
      return new Date(iso + "T00:00:00Z").toLocaleDateString(LOCALE[l], { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
    } catch (e) {
      return iso;
    }
  }
  function query(el, l) {
    var p = new URLSearchParams();
    var map = { municipality: "municipality", region: "region", cluster: "cluster", competence: "competence", q: "q", delivery: "delivery" };
    Object.keys(map).forEach(function (k) {
      var v = el.getAttribute("data-" + k);
      if (v) p.set(map[k], v);
    });
    var limit = parseInt(el.getAttribute("data-limit") || "5", 10);
    p.set("limit", String(Math.min(Math.max(limit || 5, 1), 50)));
    p.set("lang", l);
    p.set("sort", "start_date");
    return p.toString();
  }
  function render(el) {
    if (el.getAttribute("data-kompetens-rendered")) return;
    el.setAttribute("data-kompetens-rendered", "1");
    var l = lang(el), t = TEXT[l], base = apiBase(el), qs = query(el, l);
    var listingUrl = base + "/api/v1/public/offers?" + qs;
    // The fallback stays in the light DOM until the list is ready, so a failed load still links on.
    var fallback = node("a", null, t.all);
    fallback.href = listingUrl;
    el.textContent = "";
    el.appendChild(fallback);
    var root = el.attachShadow ? el.attachShadow({ mode: "open" }) : el;
    var style = node("style", null, CSS);
    var section = node("section");
    section.setAttribute("aria-busy", "true");
    section.setAttribute("lang", l);
    var heading = node("h2", null, t.heading);
    heading.id = "km-h-" + Math.random().toString(36).slice(2);
    section.setAttribute("aria-labelledby", heading.id);
    section.appendChild(heading);
    var status = node("p", "km-meta", t.loading);
    status.setAttribute("role", "status");
    section.appendChild(status);
    root.appendChild(style);
    root.appendChild(section);
    if (root !== el) root.appendChild(document.createElement("slot"));
    fetch(listingUrl, { headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) {
        section.removeChild(status);
        var items = data.items || [];
        if (!items.length) {
          section.appendChild(node("p", "km-meta", t.none));
        } else {
          var list = node("ul", "km-list");
          items.forEach(function (o) {
            var li = node("li", "km-item");
            li.setAttribute("data-offer-id", o.id);
            var a = node("a", "km-title", o.title);
            a.href = o.link || (base + "/api/v1/public/offers/" + o.id);
            a.rel = "noopener";
            li.appendChild(a);
            if (o.demand && o.demand.open_needs > 0) li.appendChild(node("span", "km-badge", t.demand));
            var inst = (o.instances || [])[0];
            var where = inst ? (inst.distance && !inst.municipality ? t.distance : (inst.municipality ? inst.municipality.name : t.distance)) : "";
            var parts = [];
            if (o.provider && o.provider.name) parts.push(o.provider.name);
            if (where) parts.push(where);
            if (inst && inst.start) parts.push(t.starts + " " + formatDate(inst.start, l));
            li.appendChild(node("div", "km-meta", parts.join(" · ")));
            list.appendChild(li);
          });
          section.appendChild(list);
        }
        section.setAttribute("aria-busy", "false");
        // The list is in place: the light-DOM fallback link is no longer shown through the slot.
        if (root !== el) el.removeChild(fallback);
      })
      .catch(function () {
        // Unreachable service: keep the plain link, drop the shadow content so the link shows.
        if (root !== el) {
          while (root.firstChild) root.removeChild(root.firstChild);
          root.appendChild(document.createElement("slot"));
        }
        el.setAttribute("data-kompetens-error", "1");
      });
  }
  function renderAll() {
    var els = document.querySelectorAll("[data-kompetens-offers]");
    for (var i = 0; i < els.length; i++) render(els[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", renderAll);
  else renderAll();
})();
