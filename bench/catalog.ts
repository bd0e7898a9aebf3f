/** What the bench compares: every server it can start, the throughput rows and the lost-writes servers. */
import type { ServerSpec } from "./apps";
import type { ThroughputRow } from "./throughput";

/** A server the bench can start. */
export interface ServerEntry {
  spec: ServerSpec;
  /** What it is, as the tables print it. */
  label: string;
  /** Server processes that may share its store in the lost-writes runs (a Worker runs as one). */
  maxProcesses: number;
}

/** Every server the bench can start, by key. */
export const SERVERS: Record<string, ServerEntry> = {
  bare: { spec: { kind: "bare" }, label: "Remix Express handler alone, no session", maxProcesses: 1 },
  template: { spec: { kind: "template" }, label: "Remix's Express template server, no session", maxProcesses: 1 },
  "stack-sqlite": { spec: { kind: "stack", store: "sqlite" }, label: "this stack, SQLite", maxProcesses: 2 },
  "stack-cookie": { spec: { kind: "stack", store: "cookie" }, label: "this stack, cookie", maxProcesses: 2 },
  "stack-redis": { spec: { kind: "stack", store: "redis" }, label: "this stack, Redis", maxProcesses: 2 },
  "express-session-sqlite": {
    spec: { kind: "express-session", store: "sqlite" },
    label: "express-session + better-sqlite3-session-store",
    maxProcesses: 2,
  },
  "express-session-redis": {
    spec: { kind: "express-session", store: "redis" },
    label: "express-session + connect-redis",
    maxProcesses: 2,
  },
  "always-commit-sqlite": {
    spec: { kind: "always-commit", store: "sqlite" },
    label: "always-commit, SQLite",
    maxProcesses: 2,
  },
  "worker-bare": {
    spec: { kind: "bare-worker" },
    label: "Remix Workers handler alone, no session (workerd)",
    maxProcesses: 1,
  },
  "worker-durable-object": {
    spec: { kind: "worker", store: "durable-object" },
    label: "this stack's Worker, Durable Object (workerd)",
    maxProcesses: 1,
  },
  "worker-kv": {
    spec: { kind: "worker", store: "kv" },
    label: "this stack's Worker, Workers KV (workerd)",
    maxProcesses: 1,
  },
  "worker-cookie": {
    spec: { kind: "worker", store: "cookie" },
    label: "this stack's Worker, cookie (workerd)",
    maxProcesses: 1,
  },
};

/** Whether a server runs in workerd (and needs the Worker builds). */
export const isWorker = (key: string) =>
  SERVERS[key].spec.kind === "worker" || SERVERS[key].spec.kind === "bare-worker";

const TEMPLATE_ROW = "template-read-no-cookie";
const WORKER_BASELINE_ROW = "worker-bare-read-no-cookie";

const row = (
  server: string,
  action: "read" | "write",
  label: string,
  options: { withSession?: boolean; baseline?: string } = {},
): ThroughputRow => {
  const withSession = options.withSession ?? true;
  return {
    id: `${server}-${action}${withSession ? "" : "-no-cookie"}`,
    label,
    server,
    action,
    withSession,
    baseline: options.baseline ?? TEMPLATE_ROW,
  };
};

/**
 * The throughput table, in order. Costs are taken against the template server (row 2), what a user
 * runs without this stack; row 1, the handler with nothing around it, is the physical limit. The
 * Worker rows are taken against Remix's plain Worker handler in the same runtime.
 */
export const ROWS: ThroughputRow[] = [
  row("bare", "read", "Remix Express handler alone, no session (physical limit)", { withSession: false }),
  row("template", "read", "Remix's Express template server, no session (baseline)", { withSession: false }),
  row("stack-sqlite", "read", "this stack, SQLite: session read, unchanged"),
  row("stack-sqlite", "read", "this stack, no session cookie", { withSession: false }),
  row("stack-cookie", "read", "this stack, cookie: session read, unchanged"),
  row("stack-redis", "read", "this stack, Redis: session read, unchanged"),
  row("express-session-sqlite", "read", "express-session + SQLite: read, unchanged"),
  row("express-session-redis", "read", "express-session + connect-redis: read, unchanged"),
  row("always-commit-sqlite", "read", "always-commit, SQLite: read, committed anyway"),
  // Each write row next to its peer on the same store, so the pair is measured close together.
  row("stack-sqlite", "write", "this stack, SQLite: one key written"),
  row("express-session-sqlite", "write", "express-session + SQLite: one key written"),
  row("always-commit-sqlite", "write", "always-commit, SQLite: one key written"),
  row("stack-redis", "write", "this stack, Redis: one key written"),
  row("express-session-redis", "write", "express-session + connect-redis: one key written"),
  row("stack-cookie", "write", "this stack, cookie: one key written"),
  row("worker-bare", "read", "Remix Workers handler alone, no session (Worker baseline)", {
    withSession: false,
    baseline: WORKER_BASELINE_ROW,
  }),
  row("worker-durable-object", "read", "this stack's Worker, Durable Object: session read, unchanged", {
    baseline: WORKER_BASELINE_ROW,
  }),
  row("worker-durable-object", "write", "this stack's Worker, Durable Object: one key written", {
    baseline: WORKER_BASELINE_ROW,
  }),
];

/** Servers whose lost writes are counted. */
export const LOST_WRITES_SERVERS = [
  "stack-cookie",
  "stack-sqlite",
  "stack-redis",
  "express-session-sqlite",
  "express-session-redis",
  "always-commit-sqlite",
  "worker-cookie",
  "worker-kv",
  "worker-durable-object",
];

/** This stack's servers that must never lose a write, whatever the timing. */
export const NEVER_LOSE_WRITES = ["stack-sqlite", "stack-redis", "worker-durable-object"];
