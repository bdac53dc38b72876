import { AzureOpenAI } from "openai";
import { createLoadBalancer, type LoadBalancer } from "../../../src/index.js";
import { simulatedBackends } from "../backends.js";
import { serveSimulatedBackends } from "./backends.js";

/** The demo's server side: the OpenAI SDK through the balancer against the simulated backends on real sockets. */
export interface DemoBalancer {
  readonly lb: LoadBalancer;
  /** `count` chat completions at once. */
  burst(count: number): Promise<void>;
  close(): void;
}

/** Starts the backends, the balancer, and a steady trickle of requests so the dashboard has something to show. */
export async function startDemoBalancer(requestsPerSecond = 2): Promise<DemoBalancer> {
  const served = await serveSimulatedBackends(simulatedBackends);
  const lb = createLoadBalancer({
    backends: simulatedBackends.map(({ name, priority }) => ({ name, url: served.urls.get(name)!, priority })),
  });
  const client = new AzureOpenAI({
    endpoint: served.urls.get("ptu-swedencentral")!,
    apiKey: "demo",
    apiVersion: "2024-10-21",
    deployment: "gpt-4o-mini",
    fetch: lb.fetch,
    maxRetries: 0,
  });
  const one = async (): Promise<void> => {
    // A 429 or a failure is the dashboard's to show; the demo only keeps sending.
    await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Why a PTU first?" }] })
      .catch(() => {});
  };
  const steady = setInterval(() => void one(), 1000 / requestsPerSecond);
  return {
    lb,
    burst: async (count) => {
      await Promise.all(Array.from({ length: count }, one));
    },
    close() {
      clearInterval(steady);
      served.close();
    },
  };
}
