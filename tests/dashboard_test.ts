import { equal, match, ok } from "node:assert/strict";
import { createTestApp, getJson } from "./fixtures.ts";

Deno.test("GET /dashboard is a page with no inline script under a strict CSP, its assets served locally", async () => {
  using t = createTestApp();
  const page = await t.app.request("/dashboard");
  equal(page.status, 200);
  const csp = page.headers.get("content-security-policy")!;
  match(csp, /default-src 'none'/);
  match(csp, /script-src 'self'(;|$)/, "no 'unsafe-inline', no 'unsafe-eval'");
  match(csp, /connect-src 'self'/);
  const html = await page.text();
  const scripts = [...html.matchAll(/<script\b([^>]*)>([^<]*)<\/script>/g)];
  equal(scripts.length, 5);
  for (const [, attributes, body] of scripts) {
    match(attributes!, /src="\/assets\/[a-z.-]+\.js"/);
    equal(body, "", "no inline script");
  }
  equal(/https?:\/\//.test(html), false, "nothing from another origin");
  for (const [, src] of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
    const asset = await t.app.request(src!);
    equal(asset.status, 200, src);
    match(asset.headers.get("content-type")!, /^text\/(javascript|css)/, src);
    ok((await asset.arrayBuffer()).byteLength > 500, src);
  }
});

Deno.test("GET /assets/:name answers 404 for anything but the dashboard's files", async () => {
  using t = createTestApp();
  for (const name of ["nope.js", "..%2Fdeno.json", "%2E%2E%2Fserver%2Fmain.ts"]) {
    const { status, body } = await getJson(t.app, `/assets/${name}`);
    equal(status, 404, name);
    match(body.error, /No asset/);
  }
});
