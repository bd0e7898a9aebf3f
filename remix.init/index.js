// First-run setup of an app created from this stack. create-remix@2 runs it once after installing
// the dependencies, calling the exported function with { packageManager, rootDirectory }, and then
// deletes this folder. Run it again by hand with `npx remix init` (it is safe to run twice).
//
// CommonJS on purpose: create-remix loads it with `require`.

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

/** Paths that only matter to the stack's own repository, removed from a new app. */
const STACK_ONLY_PATHS = [
  // The stack's CI script for its own machines; apps keep .github/workflows/ci.yml instead.
  ".ci",
  // Tests of this setup script and of the template itself: they need remix.init/, which is deleted.
  "tests/remix-init.test.ts",
  "tests/template",
  "scripts/test-template.sh",
  // The React Router 7 example is a separate app that shows the package outside this template.
  "examples",
];

/** A setup step failed; the message says which step and what to do. */
class InitError extends Error {
  constructor(step, cause) {
    super(`remix.init could not ${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "InitError";
  }
}

/** Runs every step; used by create-remix and by `npx remix init`. */
async function main({ rootDirectory, packageManager = "npm" }) {
  if (!rootDirectory) throw new InitError("start", "no rootDirectory was given");
  const root = path.resolve(rootDirectory);
  const appName = step("choose the app name", () => appNameFrom(root));

  step("rename the app in package.json", () => renamePackage(root, appName));
  const env = step("write .env from .env.example", () => writeEnvFile(root));
  const removed = step("remove the stack's own files", () => removeStackOnlyPaths(root));

  const run = packageManager === "npm" ? "npm run" : packageManager;
  console.log(
    [
      `Set up ${appName}:`,
      `  - package.json and package-lock.json name it "${appName}"`,
      env.created
        ? "  - .env holds a new random SESSION_SECRET (keep it out of git; .gitignore already does)"
        : env.secretAdded
          ? "  - .env existed; a new random SESSION_SECRET was added to it"
          : "  - .env existed and already sets SESSION_SECRET; left as it was",
      removed.length > 0
        ? `  - removed the stack's own files: ${removed.join(", ")}`
        : "  - no stack-only files left to remove",
      "",
      `Start developing with \`${run} dev\`; \`${run} build\` and \`${run} start\` run it in production mode.`,
    ].join("\n"),
  );
  return { appName, env, removed };
}

function step(description, action) {
  try {
    return action();
  } catch (error) {
    throw new InitError(description, error);
  }
}

/** The npm package name for the app, made from its folder's name the way create-remix does. */
function appNameFrom(root) {
  const folder = path.basename(root);
  const name = folder
    .trim()
    .toLowerCase()
    .replace(/\s+/g, "-")
    .replace(/^[._]+/, "")
    .replace(/[^a-z\d\-~._]+/g, "-")
    .replace(/^-+/, "")
    .replace(/-+$/, "");
  if (!/^[a-z\d\-~][a-z\d\-._~]*$/.test(name)) {
    throw new Error(
      `the folder name "${folder}" gives no valid npm package name; rename the folder and run \`npx remix init\``,
    );
  }
  return name;
}

function renamePackage(root, appName) {
  const packageFile = path.join(root, "package.json");
  if (!fs.existsSync(packageFile)) throw new Error(`${packageFile} does not exist`);
  updateJson(packageFile, (pkg) => {
    pkg.name = appName;
  });
  // npm keeps the root package's name in the lock file too; keep the two in step.
  const lockFile = path.join(root, "package-lock.json");
  if (fs.existsSync(lockFile)) {
    updateJson(lockFile, (lock) => {
      lock.name = appName;
      if (lock.packages && lock.packages[""]) lock.packages[""].name = appName;
    });
  }
}

function updateJson(file, change) {
  let data;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${path.basename(file)} is not valid JSON (${error.message})`);
  }
  change(data);
  fs.writeFileSync(file, JSON.stringify(data, null, 2) + "\n");
}

const SECRET_LINE = /^[ \t]*SESSION_SECRET[ \t]*=(.*)$/m;

/**
 * Creates .env from .env.example with a fresh SESSION_SECRET. An existing .env is kept as it is,
 * so running twice never changes the secret (that would sign every user out); only a missing or
 * empty SESSION_SECRET in it is filled in.
 */
function writeEnvFile(root) {
  const envFile = path.join(root, ".env");
  const secret = crypto.randomBytes(32).toString("hex");
  if (fs.existsSync(envFile)) {
    const current = fs.readFileSync(envFile, "utf8");
    const match = current.match(SECRET_LINE);
    if (match && unquote(match[1]) !== "") return { created: false, secretAdded: false };
    const next = match
      ? current.replace(SECRET_LINE, `SESSION_SECRET=${secret}`)
      : `${current}${current === "" || current.endsWith("\n") ? "" : "\n"}SESSION_SECRET=${secret}\n`;
    fs.writeFileSync(envFile, next, { mode: 0o600 });
    return { created: false, secretAdded: true };
  }
  const exampleFile = path.join(root, ".env.example");
  if (!fs.existsSync(exampleFile))
    throw new Error(`${exampleFile} does not exist; it lists the settings .env is made from`);
  const example = fs.readFileSync(exampleFile, "utf8");
  if (!SECRET_LINE.test(example)) throw new Error(".env.example has no SESSION_SECRET= line to fill in");
  fs.writeFileSync(envFile, example.replace(SECRET_LINE, `SESSION_SECRET=${secret}`), { mode: 0o600 });
  return { created: true, secretAdded: true };
}

function unquote(value) {
  const trimmed = value.replace(/\s+#.*$/, "").trim();
  return trimmed.replace(/^(["'])(.*)\1$/, "$2");
}

function removeStackOnlyPaths(root) {
  const removed = [];
  for (const relative of STACK_ONLY_PATHS) {
    const target = path.join(root, relative);
    if (!fs.existsSync(target)) continue;
    fs.rmSync(target, { recursive: true, force: true });
    removed.push(relative);
  }
  return removed;
}

module.exports = main;
module.exports.STACK_ONLY_PATHS = STACK_ONLY_PATHS;
module.exports.InitError = InitError;
