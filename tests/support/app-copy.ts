import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const REPOSITORY = path.resolve(".");

// What `remix build`, `remix dev` and `tsx server.ts` read; node_modules is linked, not copied.
const APP_FILES = [
  "app",
  "server",
  "session",
  "public",
  "server.ts",
  "package.json",
  "remix.config.js",
  "remix.env.d.ts",
  "tsconfig.json",
  "postcss.config.js",
  ".gitignore",
];

/**
 * A temporary copy of the app's sources, for tests that build or edit it: their builds and edits
 * never touch the working tree, whose build/ the other tests serve. Remove it with `removeAppCopy`.
 */
export function copyApp(): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "app-copy-"));
  const skipped = ["public/build", "data", "build"].map((folder) => path.join(REPOSITORY, folder));
  for (const file of APP_FILES) {
    fs.cpSync(path.join(REPOSITORY, file), path.join(copy, file), {
      recursive: true,
      filter: (source) => !skipped.some((folder) => source === folder || source.startsWith(folder + path.sep)),
    });
  }
  fs.symlinkSync(path.join(REPOSITORY, "node_modules"), path.join(copy, "node_modules"), "dir");
  return copy;
}

export function removeAppCopy(copy: string): void {
  fs.rmSync(copy, { recursive: true, force: true });
}
