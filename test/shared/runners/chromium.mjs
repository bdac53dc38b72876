// Headless Chromium (run with Node 24, which strips the types of test/support/chromium.ts): each peer is
// a page of one origin importing the built package by name through an import map; the cases run in Node
// and drive the pages.
import { readFile } from "node:fs/promises";
import { launchChromium } from "../../support/chromium.ts";
import { serveWithNodeHttp } from "../../conformance/runners/node-server.mjs";
import { sharedBundles } from "./bundle-paths.mjs";

const root = new URL("../../../", import.meta.url);

/** The page, the built package (dist/) and the bundled suite (test-results/shared/), nothing else. */
function serveStatic(request) {
  const { pathname } = new URL(request.url);
  const file =
    pathname === "/"
      ? new URL("test/shared/runners/chromium-peer.html", root)
      : /^\/package\/dist\/[\w.-]+\.js$/.test(pathname)
        ? new URL(pathname.slice("/package/".length), root)
        : /^\/suite\/[\w.-]+\.js$/.test(pathname)
          ? new URL(pathname.slice("/suite/".length), new URL(sharedBundles.suite))
          : undefined;
  if (file === undefined) return new Response("not found", { status: 404 });
  const type = pathname === "/" ? "text/html" : "text/javascript";
  return readFile(file).then(
    (body) => new Response(body, { headers: { "content-type": type } }),
    () => new Response("not found", { status: 404 }),
  );
}

let failed = 1;
let browser;
let server;
try {
  const { runTests, broadcastCases, peerClient } = await import(sharedBundles.suite);
  server = await serveWithNodeHttp(serveStatic);
  browser = await launchChromium();
  const context = await browser.newContext();
  const spawn = async () => {
    const page = await context.newPage();
    page.on("pageerror", (error) => console.log(`page error: ${error.stack ?? error}`));
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => window.peerReady === true, undefined, { timeout: 10_000 });
    const { peer, onAnswer } = peerClient(
      (command) =>
        page
          .evaluate((c) => window.peerCall(c), command)
          .then(onAnswer, (error) => onAnswer({ id: command.id, error: String(error) })),
      () => page.close(),
    );
    return peer;
  };
  const tests = broadcastCases({ name: `chromium ${browser.version()} pages`, spawn });
  console.log(`shared-state suite on chromium ${browser.version()}: ${tests.length} tests`);
  ({ failed } = await runTests(tests, (line) => console.log(line)));
} catch (error) {
  console.error("the Chromium runner could not start:", error);
  console.log("0 passed, 1 failed");
} finally {
  await browser?.close();
  server?.close();
}
process.exit(failed === 0 ? 0 : 1);
