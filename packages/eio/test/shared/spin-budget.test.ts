import { describe, expect, it } from "vitest";
import { SpinBudget } from "../../src/shared/spin-budget.js";

describe("SpinBudget (the adaptive idle spin)", () => {
  it("halves after wake-ups that came late, down to the minimum", () => {
    const b = new SpinBudget(0.002, 0.05);
    expect(b.ms).toBe(0.05);
    for (let i = 0; i < 10; i++) {
      b.missed(100);
      b.wokeAt(101); // 1 ms after the spin: far beyond the longest spin
    }
    expect(b.ms).toBe(0.002);
  });

  it("doubles when a wake-up came soon after a missed spin, and is back at the maximum after a spin that paid", () => {
    const b = new SpinBudget(0.002, 0.05);
    b.wasted();
    b.wasted();
    expect(b.ms).toBe(0.0125);
    b.missed(100);
    b.wokeAt(100.01); // 10 µs later: a longer spin would have caught it
    expect(b.ms).toBe(0.025);
    b.wasted();
    b.wasted();
    b.paid();
    expect(b.ms).toBe(0.05);
  });

  it("at the minimum, one spin in 32 is a full one (a probe), then back to the minimum", () => {
    const b = new SpinBudget(0.002, 0.05);
    for (let i = 0; i < 10; i++) b.wasted();
    const spins = Array.from({ length: 64 }, () => b.ms);
    expect(spins.filter((ms) => ms === 0.05)).toHaveLength(2);
    expect(spins.filter((ms) => ms === 0.002)).toHaveLength(62);
  });

  it("after 4 missed spins in a row, a wake-up soon after the spin halves it; a spin that paid starts the count again", () => {
    const b = new SpinBudget(0.002, 0.05);
    for (let i = 0; i < 3; i++) {
      b.missed(100);
      b.wokeAt(100.01); // soon after: stays at the maximum
    }
    expect(b.ms).toBe(0.05);
    b.missed(100);
    b.wokeAt(100.01); // the fourth miss in a row: the spin was in the way
    expect(b.ms).toBe(0.025);
    b.missed(100);
    b.wokeAt(100.01);
    expect(b.ms).toBe(0.0125);
    b.paid();
    b.missed(100);
    b.wokeAt(100.01);
    expect(b.ms).toBe(0.05);
  });

  it("a wake-up with no missed spin before it changes nothing", () => {
    const b = new SpinBudget(0.002, 0.05);
    b.wokeAt(5);
    expect(b.ms).toBe(0.05);
  });
});
