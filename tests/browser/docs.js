// Uses the API reference at /docs as a person would, in Debian's headless chromium
// (playwright-core): authorise with a bearer token, try an operation, read the answer. Prints
// what it saw as JSON. Started by tests/tests/browser.rs:
//   node docs.js <base-url> <token>
"use strict";
const { chromium } = require("playwright-core");

async function main() {
  const [base, token] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  const out = { foreignRequests: [], errors: [] };
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const origin = new URL(base).origin;
    page.on("request", (r) => {
      const url = r.url();
      if (!url.startsWith(origin) && !url.startsWith("data:")) out.foreignRequests.push(url);
    });
    page.on("pageerror", (e) => out.errors.push(String(e)));
    await page.goto(base + "/docs");
    await page.locator(".opblock").first().waitFor({ timeout: 20000 });
    out.operations = await page.locator(".opblock").count();
    out.title = await page.locator(".info .title").first().textContent();

    // Authorise with the bearer token.
    await page.locator("button.authorize").first().click();
    await page.locator(".modal-ux input[type=text], .modal-ux input[type=password]").first().fill(token);
    await page.locator(".modal-ux button.authorize").first().click();
    await page.locator(".modal-ux button.btn-done, .modal-ux .close-modal").first().click();

    // Try "list needs".
    const op = page.locator("#operations-needs-listNeeds");
    await op.locator(".opblock-summary").first().click();
    await op.locator("button.try-out__btn").click();
    await op.locator("button.execute").click();
    const status = op.locator(".live-responses-table tbody .response-col_status").first();
    await status.waitFor({ timeout: 20000 });
    out.tryItStatus = (await status.textContent()).trim();
    out.tryItBody = await op.locator(".live-responses-table .microlight").first().textContent();
    out.curl = (await op.locator(".curl-command .curl").first().textContent()).slice(0, 2000);
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
