/** Where `npm run build` wrote the Express app, for one single-fetch mode (remix.config.js). */
export interface BuildFolders {
  /** Whether the build has `future.v3_singleFetch` on. */
  singleFetch: boolean;
  /** The server build, relative to the working directory. */
  serverBuildPath: string;
  /** The browser assets, served under /build/. */
  assetsBuildDirectory: string;
}

/**
 * The build the server loads: REMIX_SINGLE_FETCH=on picks the single-fetch build, which remix.config.js
 * writes into folders of its own when the same variable is set at build time; off or unset, the default
 * build in build/ and public/build/. Any other value throws, naming it.
 */
export function buildFolders(env: Record<string, string | undefined> = process.env): BuildFolders {
  const value = env.REMIX_SINGLE_FETCH;
  if (value && value !== "on" && value !== "off") {
    throw new Error(`REMIX_SINGLE_FETCH must be on or off, not ${JSON.stringify(value)}.`);
  }
  return value === "on"
    ? {
        singleFetch: true,
        serverBuildPath: "build-single-fetch/index.js",
        assetsBuildDirectory: "public-single-fetch/build",
      }
    : { singleFetch: false, serverBuildPath: "build/index.js", assetsBuildDirectory: "public/build" };
}
