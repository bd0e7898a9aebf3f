#!/usr/bin/env bash
# Creates an app from this stack the way users do (create-remix with the committed tree as the
# template), then proves the new app is whole: remix.init ran, and build, typecheck, lint, unit tests
# and a production start all work. Slow (a full npm install), so it is not part of `npm test`;
# .ci/run and the GitHub workflow run it after `npm test`.
#
# Only committed files are used (git archive HEAD), as a template download from GitHub would hold.
# KEEP_TEMPLATE_TEST=1 keeps the temporary folder for inspection.
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
git archive --format=tar HEAD | tar -x -C "$WORK/template"
[ -f "$WORK/template/remix.init/index.js" ] || fail "the committed tree has no remix.init/index.js"

# Not interactive, so create-remix takes the defaults: install with npm, run remix.init.
step 1200 "create-remix (copy, npm install, remix.init)" \
  npx --yes "$CREATE_REMIX" "$WORK/$APP_NAME" --template "$WORK/template" --no-git-init --yes \
  --remix-version "$REMIX_VERSION" --show-install-output --no-motion

APP="$WORK/$APP_NAME"
cd "$APP"

echo "--- remix.init results"
[ ! -e remix.init ] || fail "remix.init/ is still there: create-remix did not run it"
grep -Eq '^SESSION_SECRET=[0-9a-f]{64}$' .env || fail ".env has no generated SESSION_SECRET"
[ "$(node -p 'require("./package.json").name')" = "$APP_NAME" ] || fail "package.json is not named $APP_NAME"
[ "$(node -p 'require("./package-lock.json").name')" = "$APP_NAME" ] || fail "package-lock.json is not named $APP_NAME"
for stack_only in .ci tests/remix-init.test.ts scripts/test-template.sh; do
  [ ! -e "$stack_only" ] || fail "$stack_only should have been removed"
done
echo "--- remix.init results: ok"

step 600 "npm run build" npm run build
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
