import fc from "fast-check";
import { expect, it } from "vitest";
import { countdownLabel, timeLabel } from "../../dashboard/format.js";
import { backendSnapshot, createFakeBalancer } from "./fake-balancer.js";
import { mount, useFakeClock } from "./render.js";

const T0 = new Date(2025, 0, 1, 14, 3, 7, 250).getTime();

useFakeClock(T0);

it("formats clock times on a 24-hour clock with milliseconds, with Intl", () => {
  expect(timeLabel(T0)).toBe("14:03:07.250");
  expect(timeLabel(T0, "de")).toBe("14:03:07,250");
  expect(timeLabel(new Date(2025, 0, 1, 0, 3, 7, 5).getTime())).toBe("00:03:07.005");
});

it("formats countdowns in the locale's units, minutes and seconds from a minute on", () => {
  expect(countdownLabel(T0 + 29_001, T0)).toBe("30 s");
  expect(countdownLabel(T0 + 65_000, T0)).toBe("1 m 5 s");
  expect(countdownLabel(T0 + 30_000, T0, "de")).toBe("30 Sek.");
  expect(countdownLabel(T0 + 65_000, T0, "de")).toBe("1 Min. 5 Sek.");
});

it("never shows a negative countdown and always shows the whole seconds left, rounded up", () => {
  fc.assert(
    fc.property(fc.integer({ min: -1e7, max: 59_000 }), (left) => {
      expect(countdownLabel(T0 + left, T0)).toBe(`${Math.max(0, Math.ceil(left / 1000))} s`);
    }),
  );
});

it("shows a German dashboard's countdowns and clock times in German when mounted with that locale", () => {
  const lb = createFakeBalancer([
    backendSnapshot({ name: "ptu", state: "cooling", until: T0 + 30_000, reason: "rate-limit" }),
  ]);
  const mounted = mount(lb, undefined, { locale: "de" });
  expect(mounted.text('[data-backend="ptu"] .countdown')).toBe("30 Sek.");
  expect(mounted.text('[data-backend="ptu"] .reason')).toBe("rate limit · back at 14:03:37");
});
