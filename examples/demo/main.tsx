import { render } from "preact";
import { setupWorker } from "msw/browser";
import { mountDashboard } from "../../dashboard/index.js";
import { createLoadBalancer } from "../../src/index.js";
import { App } from "./App.js";
import { simulatedBackends } from "./backends.js";
import { createClient } from "./client.js";
import { backendHandler } from "./handlers.js";

async function main(): Promise<void> {
  const worker = setupWorker(...simulatedBackends.map(backendHandler));
  await worker.start({
    serviceWorker: { url: new URL("mockServiceWorker.js", document.baseURI).pathname },
    onUnhandledRequest: "bypass",
    quiet: true,
  });

  const lb = createLoadBalancer({
    backends: simulatedBackends.map(({ name, url, priority }) => ({ name, url, priority })),
  });
  render(<App client={createClient(lb.fetch)} />, document.getElementById("app")!);
  mountDashboard(lb);
  document.documentElement.dataset.ready = "true";
}

void main();
