import { format } from "node:util";

import { afterEach, beforeEach, vi } from "vitest";

export interface CapturedLogs {
  /** The captured lines of the running test, oldest first. */
  readonly lines: string[];
}

/**
 * For each test of the calling describe block (or file): captures the console.error and console.warn
 * lines matching `pattern`, by default the server's `[session] ...` logs. Tests that break a store or
 * provoke a race on purpose make the server log exactly those; captured, they stay out of the run's
 * output and can be asserted on, so a run that passes prints no error. Lines that do not match still
 * print, and the captured ones are printed after a test that failed.
 */
export function captureLogs(pattern: RegExp = /^\[session\] /): CapturedLogs {
  const lines: string[] = [];
  const restore: Array<() => void> = [];
  beforeEach(() => {
    lines.length = 0;
    for (const method of ["error", "warn"] as const) {
      // A test that spies on it itself asserts on what it logs.
      if (vi.isMockFunction(console[method])) continue;
      const original = console[method];
      const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        const text = format(...args);
        if (pattern.test(text)) lines.push(text);
        else original.apply(console, args);
      });
      restore.push(() => spy.mockRestore());
    }
  });
  afterEach((context) => {
    for (const undo of restore.splice(0)) undo();
    if (context.task.result?.state === "fail" && lines.length > 0) {
      console.error(`Logs captured during "${context.task.name}":\n${lines.join("\n")}`);
    }
  });
  return { lines };
}
