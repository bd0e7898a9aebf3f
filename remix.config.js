// REMIX_TARGET=cloudflare (set by `npm run build:cloudflare`) builds the same app as a Cloudflare
// Pages Function, into folders of its own so the Express build in build/ and public/build/ stays as is.
const cloudflare = process.env.REMIX_TARGET === "cloudflare";

/** @type {import('@remix-run/dev').AppConfig} */
export default {
  ignoredRouteFiles: ["**/.*", "**/*.css", "**/*.test.{ts,tsx}"],
  serverModuleFormat: "esm",
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    v3_lazyRouteDiscovery: true,
    // Off on purpose: one request per loader, all at once, is the traffic these sessions must survive.
    v3_singleFetch: false,
  },
  ...(cloudflare
    ? {
        // The options of Remix's classic cloudflare-pages template.
        server: "./server.cloudflare.ts",
        serverBuildPath: "functions/[[path]].js",
        assetsBuildDirectory: "public-cloudflare/build",
        serverConditions: ["workerd", "worker", "browser"],
        serverDependenciesToBundle: "all",
        serverMainFields: ["browser", "module", "main"],
        serverMinify: true,
        serverPlatform: "neutral",
      }
    : {}),
};
