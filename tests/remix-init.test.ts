import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

interface InitResult {
  appName: string;
  env: { created: boolean; secretAdded: boolean };
  removed: string[];
}
type InitScript = ((options: { rootDirectory: string; packageManager?: string }) => Promise<InitResult>) & {
  STACK_ONLY_PATHS: string[];
};

// Loaded the way create-remix loads it: with `require`, from a folder whose package.json says CommonJS.
const init = createRequire(import.meta.url)("../remix.init/index.js") as InitScript;

const REPOSITORY = path.resolve(".");
const temporaryFolders: string[] = [];

/** A copy of the committed tree (what a template download holds) in a folder with the given name. */
function copyOfCheckout(folderName: string): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "remix-init-test-"));
  temporaryFolders.push(parent);
  const root = path.join(parent, folderName);
  fs.mkdirSync(root);
  const archive = execFileSync("git", ["archive", "--format=tar", "HEAD"], {
    cwd: REPOSITORY,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync("tar", ["-x", "-C", root], { input: archive });
  // The script under test and its inputs come from the working tree, so an uncommitted change is tested too.
  for (const file of ["remix.init/index.js", "remix.init/package.json", ".env.example", "package.json"]) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.copyFileSync(path.join(REPOSITORY, file), path.join(root, file));
  }
  for (const file of init.STACK_ONLY_PATHS) {
    // Make sure every stack-only path exists in the copy, committed yet or not, so removal is proven.
    const target = path.join(root, file);
    if (fs.existsSync(target)) continue;
    if (path.extname(file)) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, "// stand-in\n");
    } else {
      fs.mkdirSync(target, { recursive: true });
      fs.writeFileSync(path.join(target, "stand-in"), "");
    }
  }
  return root;
}

function readJson(file: string): Record<string, unknown> & { packages?: Record<string, { name?: string }> } {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function secretIn(envText: string): string | undefined {
  return envText.match(/^SESSION_SECRET=(.*)$/m)?.[1];
}

async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await run();
  } finally {
    console.log = log;
  }
}

afterEach(() => {
  for (const folder of temporaryFolders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

describe("remix.init", () => {
  it("writes .env from .env.example with a fresh 64-hex-digit SESSION_SECRET and every other line kept", async () => {
    const root = copyOfCheckout("my-app");
    await quietly(() => init({ rootDirectory: root, packageManager: "npm" }));

    const env = fs.readFileSync(path.join(root, ".env"), "utf8");
    const example = fs.readFileSync(path.join(root, ".env.example"), "utf8");
    expect(secretIn(env)).toMatch(/^[0-9a-f]{64}$/);
    expect(env.replace(/^SESSION_SECRET=.*$/m, "SESSION_SECRET=")).toBe(example);
    expect(fs.statSync(path.join(root, ".env")).mode & 0o077).toBe(0);
  });

  it("gives every new app its own secret", async () => {
    const first = copyOfCheckout("app-one");
    const second = copyOfCheckout("app-two");
    await quietly(() => init({ rootDirectory: first }));
    await quietly(() => init({ rootDirectory: second }));
    const secretOf = (root: string) => secretIn(fs.readFileSync(path.join(root, ".env"), "utf8"));
    expect(secretOf(first)).not.toBe(secretOf(second));
  });

  it("names the app after its folder in package.json and package-lock.json", async () => {
    const root = copyOfCheckout("My Shop_2");
    const result = await quietly(() => init({ rootDirectory: root }));

    expect(result.appName).toBe("my-shop_2");
    expect(readJson(path.join(root, "package.json")).name).toBe("my-shop_2");
    const lock = readJson(path.join(root, "package-lock.json"));
    expect(lock.name).toBe("my-shop_2");
    expect(lock.packages?.[""]?.name).toBe("my-shop_2");
    // Nothing else in package.json changes.
    const original = readJson(path.join(REPOSITORY, "package.json"));
    expect({ ...readJson(path.join(root, "package.json")), name: original.name }).toEqual(original);
  });

  it("removes the stack's own files and keeps the app, its tests and its docs", async () => {
    const root = copyOfCheckout("my-app");
    const result = await quietly(() => init({ rootDirectory: root }));

    expect(result.removed.sort()).toEqual([...init.STACK_ONLY_PATHS].sort());
    for (const file of init.STACK_ONLY_PATHS) expect(fs.existsSync(path.join(root, file)), file).toBe(false);
    for (const kept of [
      "app/root.tsx",
      "server.ts",
      "server/config.ts",
      "session/core/store.ts",
      "tests/support/server.ts",
      ".env.example",
    ]) {
      expect(fs.existsSync(path.join(root, kept)), kept).toBe(true);
    }
  });

  it("can run twice: the second run keeps the secret and the name and removes nothing more", async () => {
    const root = copyOfCheckout("twice");
    await quietly(() => init({ rootDirectory: root }));
    const envAfterFirst = fs.readFileSync(path.join(root, ".env"), "utf8");

    const second = await quietly(() => init({ rootDirectory: root }));
    expect(second.env).toEqual({ created: false, secretAdded: false });
    expect(second.removed).toEqual([]);
    expect(fs.readFileSync(path.join(root, ".env"), "utf8")).toBe(envAfterFirst);
    expect(readJson(path.join(root, "package.json")).name).toBe("twice");
  });

  it("fills in an empty SESSION_SECRET of an existing .env and leaves its other settings alone", async () => {
    const root = copyOfCheckout("my-app");
    fs.writeFileSync(path.join(root, ".env"), "PORT=4000\nSESSION_SECRET=\n");
    const result = await quietly(() => init({ rootDirectory: root }));

    const env = fs.readFileSync(path.join(root, ".env"), "utf8");
    expect(result.env).toEqual({ created: false, secretAdded: true });
    expect(env).toMatch(/^PORT=4000$/m);
    expect(secretIn(env)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("fails naming the step when .env.example is missing, before touching .env", async () => {
    const root = copyOfCheckout("my-app");
    fs.rmSync(path.join(root, ".env.example"));
    await expect(quietly(() => init({ rootDirectory: root }))).rejects.toThrow(
      /remix\.init could not write \.env from \.env\.example: .*\.env\.example does not exist/,
    );
    expect(fs.existsSync(path.join(root, ".env"))).toBe(false);
  });

  it("fails naming the step when package.json is not valid JSON", async () => {
    const root = copyOfCheckout("my-app");
    fs.writeFileSync(path.join(root, "package.json"), "{ not json");
    await expect(quietly(() => init({ rootDirectory: root }))).rejects.toThrow(
      /remix\.init could not rename the app in package\.json: package\.json is not valid JSON/,
    );
  });

  it("fails with a clear message when the folder name makes no package name", async () => {
    const root = copyOfCheckout("___");
    await expect(quietly(() => init({ rootDirectory: root }))).rejects.toThrow(
      /remix\.init could not choose the app name: the folder name "___" gives no valid npm package name/,
    );
  });
});

describe("the create command the README and docs/template.md show", () => {
  const script = fs.readFileSync(path.join(REPOSITORY, "scripts/test-template.sh"), "utf8");
  const createRemix = /^CREATE_REMIX=(\S+)$/m.exec(script)?.[1];
  const remixVersion = /^REMIX_VERSION=(\S+)$/m.exec(script)?.[1];

  it.each(["README.md", "docs/template.md"])(
    "in %s works as written: no placeholder, an archive laid out as GitHub serves it, the versions scripts/test-template.sh tests",
    (file) => {
      const text = fs.readFileSync(path.join(REPOSITORY, file), "utf8");
      const block = [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
        .map((match) => match[1])
        .find((code) => code.includes("create-remix"));
      expect(block, `${file} has a sh block running create-remix`).toBeDefined();
      expect(block).not.toMatch(/<[^>]+>/);
      // create-remix strips one top-level folder from a .tar.gz, as GitHub's download has.
      const archive = /git archive --format=tar\.gz --prefix=[\w.-]+\/ -o (\S+\.tar\.gz) HEAD/.exec(block!);
      expect(archive, "the archive is made with git archive and a top-level folder").not.toBeNull();
      expect(block).toContain(
        `npx ${createRemix} my-app --template ./${path.basename(archive![1])} --remix-version ${remixVersion}`,
      );
    },
  );
});
