// Types of debian-deps.mjs (plain JavaScript: it runs before anything is installed), for the
// TypeScript tests that import it.
export type Purpose = "test" | "bench" | "start";
export interface Probes {
  hasProgram(name: string): boolean;
  isRoot: boolean;
  hasAptGet: boolean;
}
export type Plan =
  | { action: "none" }
  | { action: "install"; missing: string[]; packages: string[]; commands: string[][]; message: string }
  | { action: "stop"; missing: string[]; packages: string[]; message: string };
export const PROGRAMS: Record<string, { package: string; why: string }>;
export const NEEDS: Record<Purpose, string[]>;
export function systemProbes(env?: NodeJS.ProcessEnv): Probes;
export function aptCommands(packages: string[]): string[][];
export function plan(purpose: Purpose, probes: Probes): Plan;
export function provide(
  purpose: Purpose,
  io?: { probe?: () => Probes; run?: (command: string[], env: Record<string, string>) => void; log?: (message: string) => void },
): Plan;
