import { expect, it } from "vitest";
import { backendSnapshot, createFakeBalancer } from "./fake-balancer.js";
import { advance, mount, useFakeClock } from "./render.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

useFakeClock(T0);

it("lists deployments under their backend, a cooling one with its reason and a countdown that ticks", () => {
  const lb = createFakeBalancer([
    backendSnapshot({
      name: "ptu",
      deployments: [
        {
          name: "gpt-4o",
          state: "cooling",
          until: T0 + 12_000,
          reason: "rate-limit",
          consecutiveFailures: 0,
          pacing: null,
        },
        { name: "gpt-4o-mini", state: "available", until: null, reason: null, consecutiveFailures: 0, pacing: null },
      ],
    }),
    backendSnapshot({ name: "paygo", priority: 2 }),
  ]);
  const mounted = mount(lb);
  const ptu = '[data-backend="ptu"]';
  expect(mounted.get(ptu).dataset.state).toBe("available");
  expect(mounted.all(`${ptu} .deployment`).map((row) => row.dataset.deployment)).toEqual(["gpt-4o", "gpt-4o-mini"]);
  const cooling = `${ptu} [data-deployment="gpt-4o"]`;
  expect(mounted.get(cooling).dataset.state).toBe("cooling");
  expect(mounted.text(`${cooling} .state`)).toBe("cooling · 12 s");
  expect(mounted.text(`${cooling} .reason`)).toMatch(/^rate limit · back at /);
  expect(mounted.text(`${ptu} [data-deployment="gpt-4o-mini"] .state`)).toBe("available");
  expect(mounted.all('[data-backend="paygo"] .deployment')).toHaveLength(0);
  expect(mounted.text(".summary")).toBe("2 backends · 1 out of rotation");

  advance(2000);
  expect(mounted.text(`${cooling} .countdown`)).toBe("10 s");
});
