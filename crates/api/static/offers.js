/*! Kompetensmäklare offer widget. No dependencies, no global CSS.
 *
 * Paste where the list should appear:
 *   <div data-kompetens-offers data-municipality="1485" data-lang="sv" data-limit="5"></div>
 *   <script src="https://<broker-host>/embed/offers.js" async></script>
 *
 * Optional attributes: data-region, data-cluster, data-competence, data-q, data-delivery,
 * data-level, data-include-distance ("true"), data-heading (own heading text),
 * data-fallback-href (where the fallback link points; default: the service's HTML page of the
 * same offers, /offers),
 * data-api (base URL of the service; defaults to where this script was loaded from).
 *
 * Renders into a shadow root (class names are prefixed and scoped, so no CSS leaks either way),
 * in Swedish, Norwegian Bokmål or English. Anything already inside the element stays as the
 * fallback (put a link to https://<broker-host>/offers?municipality=... there, so it shows even
 * when this script cannot be loaded); an empty element gets such a link. While loading, and whenever the service cannot
 * be reached (error or 8 s timeout), that fallback is what the visitor sees.
 * `window.KompetensOffers.render()` renders elements added later.
 */
(function () {
  "use strict";
  var TEXT = {
    sv: { heading: "Aktuella utbildningar", distance: "Distans", starts: "Start", none: "Inga utbildningar just nu.", all: "Visa alla utbildningar", demand: "Efterfrågad här", demandTitle: "{n} arbetsgivarbehov ({p} personer) i regionen efterfrågar detta", list: "Utbildningar" },
    nb: { heading: "Aktuelle utdanninger", distance: "Nettbasert", starts: "Oppstart", none: "Ingen utdanninger akkurat nå.", all: "Vis alle utdanninger", demand: "Etterspurt her", demandTitle: "{n} behov hos arbeidsgivere ({p} personer) i regionen etterspør dette", list: "Utdanninger" },
    en: { heading: "Current courses", distance: "Distance", starts: "Starts", none: "No courses right now.", all: "Show all courses", demand: "In demand here", demandTitle: "{n} employer needs ({p} people) in the region ask for this", list: "Courses" }
  };
  var LOCALE = { sv: "sv-SE", nb: "nb-NO", en: "en-GB" };
  var TIMEOUT_MS = 8000;
  var CSS =
    ":host{display:block}" +
    ".km-root{font:inherit;color:inherit}" +
    ".km-root .km-heading{font-size:1.1em;margin:0 0 .4em}" +
    ".km-root .km-list{list-style:none;margin:0;padding:0}" +
    ".km-root .km-item{padding:.6em 0;border-bottom:1px solid rgba(0,0,0,.12)}" +
    ".km-root .km-title{font-weight:600;color:inherit}" +
    ".km-root .km-meta{font-size:.9em;opacity:.85;margin:.15em 0 0}" +
    ".km-root .km-badge{display:inline-block;font-size:.75em;padding:0 .4em;border-radius:.3em;background:#fde9a9;color:#5c4400;margin-left:.4em}" +
    ".km-root .km-sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}";

  var currentScript = document.currentScript;
  function apiBase(el) {
    var own = el.getAttribute("data-api");
    if (own) return own.replace(/\/+$/, "");
    if (currentScript && currentScript.src) return new URL(currentScript.src, location.href).origin;
    var s = document.querySelector('script[src*="/embed/offers.js"]');
    return s ? new URL(s.src, location.href).origin : "";
  }
  function langOf(el) {
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
    ["municipality", "region", "cluster", "competence", "q", "delivery", "level", "include-distance"].forEach(function (k) {
      var v = el.getAttribute("data-" + k);
      if (v) p.set(k.replace("-", "_"), v);
    });
    var limit = parseInt(el.getAttribute("data-limit") || "5", 10);
    p.set("limit", String(Math.min(Math.max(limit || 5, 1), 50)));
    p.set("lang", l);
    if (!el.getAttribute("data-q") && !el.getAttribute("data-competence")) p.set("sort", "start_date");
    return p.toString();
  }
  // The run to show: the next one in the asked municipality, else the next one, else the first.
  function pickInstance(offer, municipality) {
    var today = new Date().toISOString().slice(0, 10);
    var all = offer.instances || [];
    var upcoming = all.filter(function (i) { return i.start >= today; });
    var here = upcoming.filter(function (i) { return municipality && i.municipality && municipality.split(",").indexOf(i.municipality.code) >= 0; });
    return here[0] || upcoming[0] || all[0] || null;
  }
  function item(o, t, l, base, municipality) {
    var li = node("li", "km-item");
    li.setAttribute("data-offer-id", o.id);
    var a = node("a", "km-title", o.title);
    a.href = o.link || (base + "/api/v1/public/offers/" + o.id);
    a.rel = "noopener";
    li.appendChild(a);
    if (o.demand && o.demand.open_needs > 0) {
      var detail = t.demandTitle.replace("{n}", o.demand.open_needs).replace("{p}", o.demand.headcount);
      var badge = node("span", "km-badge", t.demand);
      badge.title = detail;
      // The numbers as text too: a title attribute is invisible to most screen readers.
      var spoken = node("span", "km-sr", " (" + detail + ")");
      badge.appendChild(spoken);
      li.appendChild(badge);
    }
    var inst = pickInstance(o, municipality);
    var meta = node("p", "km-meta");
    var parts = [];
    if (o.provider && o.provider.name) parts.push(document.createTextNode(o.provider.name));
    if (inst) parts.push(document.createTextNode(inst.municipality ? inst.municipality.name : t.distance));
    if (inst && inst.start) {
      var time = node("time", null, t.starts + " " + formatDate(inst.start, l));
      time.setAttribute("datetime", inst.start);
      parts.push(time);
    }
    parts.forEach(function (p, i) {
      if (i > 0) meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(p);
    });
    li.appendChild(meta);
    return li;
  }
  function render(el) {
    if (el.getAttribute("data-kompetens-rendered")) return;
    el.setAttribute("data-kompetens-rendered", "1");
    var l = langOf(el), t = TEXT[l], base = apiBase(el), qs = query(el, l);
    var listingUrl = base + "/api/v1/public/offers?" + qs;
    // People follow the fallback: the HTML page of the same offers, all of them, not raw JSON.
    var pageParams = new URLSearchParams(qs);
    pageParams.delete("limit");
    var pageUrl = base + "/offers?" + pageParams.toString();
    // The fallback lives in the light DOM and shows through a <slot> until the list is ready.
    if (!el.children.length) {
      el.textContent = "";
      var fallback = node("a", null, t.all);
      fallback.href = el.getAttribute("data-fallback-href") || pageUrl;
      fallback.setAttribute("data-kompetens-fallback", "");
      el.appendChild(fallback);
    }
    if (!el.attachShadow) return; // Very old browser: the fallback is all it gets.
    var root = el.attachShadow({ mode: "open" });
    var slot = document.createElement("slot");
    root.appendChild(slot);
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, TIMEOUT_MS);
    fetch(listingUrl, { headers: { Accept: "application/json" }, signal: controller ? controller.signal : undefined })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) {
        clearTimeout(timer);
        var section = node("section", "km-root");
        section.setAttribute("lang", l);
        var heading = node("h2", "km-heading", el.getAttribute("data-heading") || t.heading);
        heading.id = "km-heading";
        section.setAttribute("aria-labelledby", heading.id);
        section.appendChild(heading);
        var items = data.items || [];
        if (!items.length) {
          section.appendChild(node("p", "km-meta", t.none));
        } else {
          var list = node("ul", "km-list");
          list.setAttribute("aria-label", t.list);
          items.forEach(function (o) { list.appendChild(item(o, t, l, base, el.getAttribute("data-municipality"))); });
          section.appendChild(list);
        }
        var style = node("style", null, CSS);
        root.replaceChildren ? root.replaceChildren(style, section) : (root.removeChild(slot), root.appendChild(style), root.appendChild(section));
        el.setAttribute("data-kompetens-state", "ready");
      })
      .catch(function () {
        clearTimeout(timer);
        // Unreachable service: the slot keeps showing the fallback link.
        el.setAttribute("data-kompetens-state", "unavailable");
      });
  }
  function renderAll() {
    var els = document.querySelectorAll("[data-kompetens-offers]");
    for (var i = 0; i < els.length; i++) render(els[i]);
  }
  window.KompetensOffers = { render: renderAll };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", renderAll);
  else renderAll();
})();
