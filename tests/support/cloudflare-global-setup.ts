import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import type { TestProject } from "vitest/node";

import { buildCloudflare, type CloudflareBuild } from "../../harness/cloudflare-build";

declare module "vitest" {
  export interface ProvidedContext {
    /** This run's Pages and Workers builds (tests/support/cloudflare-global-setup.ts). */
    cloudflareBuilds: { pages: CloudflareBuild; workers: CloudflareBuild };
  }
}

/**
 * Runs once per `vitest run` that selects a test of the "cloudflare" project: builds the Pages project
 * and the Worker into a folder of this run's own, hands them to the tests (`inject("cloudflareBuilds")`)
 * and removes them at the end. The project's build folders are never touched, so a run never serves
 * another run's half-written build, and no build waits for another.
 */
export default async function buildCloudflareOnce(project: TestProject): Promise<() => void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloudflare-builds-"));
  const removeBuilds = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const [pages, workers] = await Promise.all([
      buildCloudflare("pages", path.join(dir, "pages")),
      buildCloudflare("workers", path.join(dir, "workers")),
    ]);
    project.provide("cloudflareBuilds", { pages, workers });
  } catch (error) {
    removeBuilds();
    throw error;
  }
  return removeBuilds;
}
