import { options, type VNode } from "preact";
import { afterEach, beforeEach, expect, it } from "vitest";
import { BackendRow } from "../../dashboard/components/BackendRow.js";
import type { RowState } from "../../dashboard/store.js";
import type { LoadBalancerEvent } from "../../src/index.js";
import { backendSnapshot, createFakeBalancer } from "./fake-balancer.js";
import { advance, mount, nextFrame, useFakeClock } from "./render.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
// Preact's (mangled) render hook, called before each component renders.
type RenderHook = { __r?: (vnode: VNode) => void };
const hooks = options as RenderHook;
const previous = hooks.__r;
const renders = new Map<string, number>();

useFakeClock(T0);

beforeEach(() => {
  renders.clear();
  hooks.__r = (vnode) => {
    if (vnode.type === BackendRow) {
      const name = (vnode.props as unknown as { row: { peek(): RowState } }).row.peek().backend.name;
      renders.set(name, (renders.get(name) ?? 0) + 1);
    }
    previous?.(vnode);
  };
});

afterEach(() => {
  hooks.__r = previous;
});

it("re-renders only the row of the backend that changed, and not a row whose backend did not", () => {
  const a = backendSnapshot({ name: "a" });
  const b = backendSnapshot({ name: "b", priority: 2 });
  const lb = createFakeBalancer([a, b]);
  const mounted = mount(lb);
  expect(renders).toEqual(
    new Map([
      ["a", 1],
      ["b", 1],
    ]),
  );

  const cooling = { ...a, state: "cooling", until: T0 + 30_000, reason: "rate-limit" } as typeof a;
  lb.setBackends([cooling, b]);
  // A burst of events: one frame, one render of the changed row.
  for (let i = 0; i < 5; i++)
    lb.emit({ type: "probe", at: T0, backend: cooling, deployment: null } as unknown as LoadBalancerEvent);
  nextFrame();
  expect(mounted.get('[data-backend="a"]').dataset.state).toBe("cooling");
  expect(renders).toEqual(
    new Map([
      ["a", 2],
      ["b", 1],
    ]),
  );

  // The countdown ticks re-render the cooling row only.
  advance(1000);
  expect(mounted.text('[data-backend="a"] .countdown')).toBe("29 s");
  expect(renders.get("b")).toBe(1);
  expect(renders.get("a")).toBe(3);
});

it("re-renders only the row of the backend whose pacing changed when a paced event comes", () => {
  const a = backendSnapshot({ name: "a" });
  const b = backendSnapshot({ name: "b" });
  const lb = createFakeBalancer([a, b]);
  const mounted = mount(lb);
  const paced = {
    ...a,
    pacing: {
      allowed: 2,
      reserved: 2,
      remainingRequests: 2,
      remainingTokens: null,
      reservedTokens: 0,
      basis: "headers",
    },
  } as typeof a;
  lb.setBackends([paced, b]);
  lb.emit({ type: "paced", at: T0, backend: paced, deployment: null, allowed: 2, basis: "headers" });
  nextFrame();
  expect(mounted.text('[data-backend="a"] .pacing')).toBe("2 of 2 in flight · from headers");
  expect(renders).toEqual(
    new Map([
      ["a", 2],
      ["b", 1],
    ]),
  );
});
