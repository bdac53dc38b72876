import { afterEach, expect, it, vi } from "vitest";
import { createFakeBalancer } from "./fake-balancer.js";
import { mount, type Mounted } from "./render.js";

let mounted: Mounted | undefined;

afterEach(() => {
  mounted?.unmount();
  mounted = undefined;
  vi.unstubAllGlobals();
});

const viewport = (narrow: boolean) =>
  vi.stubGlobal("matchMedia", (query: string) => ({
    matches: narrow && query === "(max-width: 1000px)",
    media: query,
  }));

it("starts collapsed when it floats over a page 1000 px wide or less, so it does not cover the content", () => {
  viewport(true);
  mounted = mount(createFakeBalancer());
  expect(mounted.get("button.collapse").getAttribute("aria-expanded")).toBe("false");
  expect(mounted.get(".body").hidden).toBe(true);
  expect(mounted.text(".summary")).toBe("1 backend · all available");
});

it("starts expanded on a wide page, and inside an element whatever the width", () => {
  viewport(false);
  mounted = mount(createFakeBalancer());
  expect(mounted.get("button.collapse").getAttribute("aria-expanded")).toBe("true");
  mounted.unmount();

  viewport(true);
  const element = document.createElement("div");
  document.body.append(element);
  mounted = mount(createFakeBalancer(), element);
  expect(mounted.get("button.collapse").getAttribute("aria-expanded")).toBe("true");
  element.remove();
});
