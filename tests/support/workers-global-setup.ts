import { ensureWorkersBuild } from "../../scripts/workers-local";

/**
 * Runs once per `vitest run` that selects a test of the "workers" project: builds the Worker
 * (build-workers/, public-workers/) when it is missing or older than its sources, before any of
 * those tests starts a server on it.
 */
export default function buildWorkerOnce(): void {
  ensureWorkersBuild();
}
