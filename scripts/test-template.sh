#!/usr/bin/env bash
# Creates apps from this stack the way users do, with create-remix, in both template forms that work
# offline: a .tar.gz laid out like GitHub's download of the repository (what `--template owner/repo`
# fetches, and the form the README shows), and a folder. remix.init must have run in both; the app
# from the archive is then proven whole: build, typecheck, lint, unit tests and a production start.
# Slow (two full npm installs), so it is not part of `npm test`; .ci/run and the GitHub workflow run
# it after `npm test`.
#
# Only committed files are used (git archive HEAD), as a template download from GitHub would hold.
# TEMPLATE_FROM=worktree takes the working tree's files instead (tracked and untracked, not ignored),
# to try a change before committing it. KEEP_TEMPLATE_TEST=1 keeps the temporary folder for inspection.
set -euo pipefail
cd "$(dirname "$0")/.."

CREATE_REMIX=create-remix@2.16.8
REMIX_VERSION=2.17.5
APP_NAME=template-test-app

WORK=$(mktemp -d "${TMPDIR:-/tmp}/template-test.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -- "-$SERVER_PID" 2>/dev/null || true; fi
  if [ "${KEEP_TEMPLATE_TEST:-}" = 1 ]; then echo "Kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

fail() {
  echo "template test FAILED: $*" >&2
  exit 1
}

# Runs one bounded step and reports its duration.
step() {
  local limit=$1 name=$2
  shift 2
  local started=$SECONDS
  echo "--- $name"
  if ! timeout --kill-after=10 "$limit" "$@"; then fail "$name (exit status above, limit ${limit}s)"; fi
  echo "--- $name: ok in $((SECONDS - started))s"
}

mkdir "$WORK/template"
if [ "${TEMPLATE_FROM:-}" = worktree ]; then
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
    tar --null -T - -c | tar -x -C "$WORK/template"
else
  git archive --format=tar HEAD | tar -x -C "$WORK/template"
fi
[ -f "$WORK/template/remix.init/index.js" ] || fail "the template has no remix.init/index.js"
# GitHub's download holds one top-level folder, which create-remix strips.
tar -czf "$WORK/stack.tar.gz" -C "$WORK" template

# Creates $WORK/<name> from the template form given and checks what remix.init did.
create_app() {
  local name=$1 template=$2
  # Not interactive, so create-remix takes the defaults: install with npm, run remix.init.
  step 1200 "create-remix from $template (copy, npm install, remix.init)" \
    npx --yes "$CREATE_REMIX" "$WORK/$name" --template "$template" --no-git-init --yes \
    --remix-version "$REMIX_VERSION" --show-install-output --no-motion

  echo "--- remix.init results in $name"
  (
    cd "$WORK/$name"
    [ ! -e remix.init ] || fail "remix.init/ is still there: create-remix did not run it"
    grep -Eq '^SESSION_SECRET=[0-9a-f]{64}$' .env || fail ".env has no generated SESSION_SECRET"
    [ "$(node -p 'require("./package.json").name')" = "$name" ] || fail "package.json is not named $name"
    [ "$(node -p 'require("./package-lock.json").name')" = "$name" ] || fail "package-lock.json is not named $name"
    for stack_only in .ci tests/remix-init.test.ts scripts/test-template.sh; do
      [ ! -e "$stack_only" ] || fail "$stack_only should have been removed"
    done
  )
  echo "--- remix.init results in $name: ok"
}

create_app "$APP_NAME" "$WORK/stack.tar.gz"
create_app "$APP_NAME-from-folder" "$WORK/template"

APP="$WORK/$APP_NAME"
cd "$APP"

step 600 "npm run build" npm run build
# The single-fetch build too: the unit tests run the commit rules against both (README, Single fetch).
step 600 "npm run build:single-fetch" npm run build:single-fetch
step 600 "npm run typecheck" npm run typecheck
step 600 "npm run lint" npm run lint
step 1200 "npm run test:unit" npm run test:unit

# Production start with nothing but the generated .env: production refuses to start without a
# secret, so a page served proves the server read .env.
echo "--- npm start"
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
env -u SESSION_SECRET -u SESSION_STORE PORT="$PORT" setsid npm start >"$WORK/start.log" 2>&1 &
SERVER_PID=$!
served=""
for _ in $(seq 120); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/"; then served=yes; break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.5
done
[ -n "$served" ] || { cat "$WORK/start.log" >&2; fail "npm start did not serve / on port $PORT"; }
kill -- "-$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
echo "--- npm start: ok"

echo "template test passed in ${SECONDS}s"
