// REMIX_TARGET=cloudflare (set by `npm run build:cloudflare`) builds the same app as a Cloudflare
// Pages Function, REMIX_TARGET=workers (`npm run build:workers`) as a Worker with static assets, each
// into folders of its own so the Express build in build/ and public/build/ stays as is.
const target = process.env.REMIX_TARGET;

// REMIX_SINGLE_FETCH=on builds the Express app with `future.v3_singleFetch` into build-single-fetch/ and
// public-single-fetch/build/, so both builds sit side by side; the server loads the one the same variable
// names (server/build-folders.ts). The Cloudflare targets are built and tested without it.
// See docs/decisions/0090-single-fetch-both-modes.md.
if (!["on", "off", "", undefined].includes(process.env.REMIX_SINGLE_FETCH)) {
  throw new Error(`REMIX_SINGLE_FETCH must be on or off, not ${JSON.stringify(process.env.REMIX_SINGLE_FETCH)}.`);
}
const singleFetch = process.env.REMIX_SINGLE_FETCH === "on" && !target;

// The options of Remix's classic cloudflare-pages template, shared by both Cloudflare targets.
const cloudflareOptions = {
  serverConditions: ["workerd", "worker", "browser"],
  serverDependenciesToBundle: "all",
  serverMainFields: ["browser", "module", "main"],
  serverMinify: true,
  serverPlatform: "neutral",
};

/** @type {import('@remix-run/dev').AppConfig} */
export default {
  ignoredRouteFiles: ["**/.*", "**/*.css", "**/*.test.{ts,tsx}"],
  serverModuleFormat: "esm",
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    v3_lazyRouteDiscovery: true,
    // Off by default: one request per loader, all at once, is the traffic these sessions must survive.
    v3_singleFetch: singleFetch,
  },
  ...(singleFetch
    ? { serverBuildPath: "build-single-fetch/index.js", assetsBuildDirectory: "public-single-fetch/build" }
    : {}),
  ...(target === "cloudflare"
    ? {
        ...cloudflareOptions,
        server: "./server.cloudflare.ts",
        serverBuildPath: "functions/[[path]].js",
        assetsBuildDirectory: "public-cloudflare/build",
      }
    : {}),
  ...(target === "workers"
    ? {
        ...cloudflareOptions,
        server: "./server.worker.ts",
        serverBuildPath: "build-workers/index.js",
        assetsBuildDirectory: "public-workers/build",
        // Everything is bundled but the Workers runtime's own modules (the Durable Object base class).
        serverDependenciesToBundle: [/^(?!cloudflare:)/],
      }
    : {}),
};
