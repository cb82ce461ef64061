// Loads partner test pages in Debian's headless chromium (playwright-core, no browser download)
// and prints what the offer widget rendered as JSON. Started by tests/tests/browser.rs:
//   node widget.js <page-url> <api-unreachable-page-url> <script-unreachable-page-url> <screenshot.png>
"use strict";
const { chromium } = require("playwright-core");

async function main() {
  const [pageUrl, downUrl, scriptDownUrl, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  const out = {};
  try {
    const page = await browser.newPage({ viewport: { width: 800, height: 700 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(pageUrl);
    const widget = page.locator("#widget");
    await widget.locator("li.km-item").first().waitFor({ timeout: 15000 });
    out.state = await widget.getAttribute("data-kompetens-state");
    // Playwright's CSS locators pierce open shadow roots.
    out.items = await widget.locator("li.km-item").evaluateAll((lis) =>
      lis.map((li) => ({
        id: li.getAttribute("data-offer-id"),
        title: li.querySelector(".km-title").textContent,
        href: li.querySelector(".km-title").getAttribute("href"),
        meta: li.querySelector(".km-meta").textContent,
        datetime: (li.querySelector("time") || { getAttribute: () => null }).getAttribute("datetime"),
      }))
    );
    out.heading = await widget.locator("h2").textContent();
    out.listLabel = await widget.locator("ul").getAttribute("aria-label");
    out.inShadow = await page.evaluate(() => {
      const el = document.getElementById("widget");
      return !!el.shadowRoot && el.shadowRoot.querySelectorAll("li").length > 0 && document.querySelectorAll("li.km-item").length === 0;
    });
    // The widget's styles must not reach the host page.
    out.hostStyle = await page.evaluate(() => {
      const probe = document.getElementById("outside");
      const s = getComputedStyle(probe);
      return { opacity: s.opacity, fontWeight: s.fontWeight };
    });
    out.errors = errors;
    await page.screenshot({ path: screenshot, fullPage: true });

    const down = await browser.newPage();
    await down.goto(downUrl);
    const fallbackWidget = down.locator("#widget");
    await down.waitForFunction(() => document.getElementById("widget").getAttribute("data-kompetens-state") === "unavailable", null, { timeout: 20000 });
    const link = fallbackWidget.locator("a[data-kompetens-fallback]");
    out.fallback = {
      state: await fallbackWidget.getAttribute("data-kompetens-state"),
      visible: await link.isVisible(),
      text: await link.textContent(),
      href: await link.getAttribute("href"),
      items: await fallbackWidget.locator("li").count(),
    };

    const scriptDown = await browser.newPage();
    await scriptDown.goto(scriptDownUrl);
    const plainLink = scriptDown.locator("#widget a");
    out.scriptDown = {
      visible: await plainLink.isVisible(),
      text: await plainLink.textContent(),
      href: await plainLink.getAttribute("href"),
    };
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
