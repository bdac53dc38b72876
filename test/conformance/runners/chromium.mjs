// Headless Chromium (run with Node 24, which strips the types of test/support/chromium.ts): the page
// imports the built package by name through an import map, and its own origin serves the backends.
import { readFile } from "node:fs/promises";
import { launchChromium } from "../../support/chromium.ts";
import { closedOrigin, serveWithNodeHttp } from "./node-server.mjs";
import { suiteUrl } from "./suite-path.mjs";

const root = new URL("../../../", import.meta.url);
const files = {
  "/": [new URL("test/conformance/runners/chromium-page.html", root), "text/html"],
  "/suite.js": [new URL(suiteUrl), "text/javascript"],
  "/package/dist/index.js": [new URL("dist/index.js", root), "text/javascript"],
};

function serveStaticOr(handler) {
  return (request) => {
    const file = files[new URL(request.url).pathname];
    if (file === undefined) return handler(request);
    return readFile(file[0]).then((body) => new Response(body, { headers: { "content-type": file[1] } }));
  };
}

let failed = 1;
let browser;
let server;
try {
  const { handleBackendRequest } = await import(suiteUrl);
  server = await serveWithNodeHttp(serveStaticOr(handleBackendRequest));
  browser = await launchChromium();
  const page = await browser.newPage();
  page.on("console", (message) => message.type() === "log" && console.log(message.text()));
  page.on("pageerror", (error) => console.log(`page error: ${error.stack ?? error}`));
  const runtime = `chromium ${browser.version()}`;
  await page.goto(
    `${server.url}/?runtime=${encodeURIComponent(runtime)}&closed=${encodeURIComponent(await closedOrigin())}`,
  );
  const summary = await (
    await page.waitForFunction(() => window.conformanceSummary, undefined, { timeout: 300_000 })
  ).jsonValue();
  if (summary.error !== undefined)
    console.log(`the suite could not run in the page: ${summary.error}\n0 passed, 1 failed`);
  failed = summary.failed;
} catch (error) {
  console.error("the Chromium runner could not start:", error);
  console.log("0 passed, 1 failed");
} finally {
  await browser?.close();
  server?.close();
}
process.exit(failed === 0 ? 0 : 1);
