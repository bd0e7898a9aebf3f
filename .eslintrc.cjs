/**
 * Lint rules for the app, the server and the tests: the recommended sets of ESLint, React, hooks,
 * accessibility, imports and TypeScript, as Remix's own templates start from. Tighten them as your
 * team agrees; `npm run lint` runs them.
 */

/** @type {import('eslint').Linter.Config} */
module.exports = {
  root: true,
  parserOptions: {
    ecmaVersion: "latest",
    sourceType: "module",
    ecmaFeatures: { jsx: true },
  },
  env: {
    browser: true,
    es2022: true,
  },
  // Generated or local-only folders; `.gitignore` lists the same ones for git.
  ignorePatterns: [
    "node_modules/",
    "build/",
    "public/build/",
    "data/",
    "test-results/",
    "playwright-report/",
    "blob-report/",
    "bench/results/",
    "coverage/",
    ".cache/",
    ".wrangler/",
    // Cloudflare Pages build output (scripts/build-cloudflare.mjs)
    "functions/\\[\\[path\\]\\].js",
    "public-cloudflare/",
    // Cloudflare Workers build output (scripts/build-cloudflare.mjs --target=workers)
    "build-workers/",
    "public-workers/",
    // The single-fetch build (REMIX_SINGLE_FETCH=on npm run build)
    "build-single-fetch/",
    "public-single-fetch/",
    // Benchmark builds (bench/worker-app.ts)
    "bench/.build/",
    // The package build (session/scripts/build.mjs)
    "session/dist/",
    // Apps with their own dependencies and checks (examples/*/README.md)
    "examples/",
    "!**/.server",
    "!**/.client",
  ],

  extends: ["eslint:recommended"],

  overrides: [
    // React, in every JavaScript or TypeScript file
    {
      files: ["**/*.{js,jsx,cjs,mjs,ts,tsx}"],
      plugins: ["react", "jsx-a11y"],
      extends: [
        "plugin:react/recommended",
        "plugin:react/jsx-runtime",
        "plugin:react-hooks/recommended",
        "plugin:jsx-a11y/recommended",
      ],
      settings: {
        react: { version: "detect" },
        formComponents: ["Form"],
        linkComponents: [
          { name: "Link", linkAttribute: "to" },
          { name: "NavLink", linkAttribute: "to" },
        ],
        "import/resolver": { typescript: {} },
      },
    },

    // TypeScript
    {
      files: ["**/*.{ts,tsx}"],
      plugins: ["@typescript-eslint", "import"],
      parser: "@typescript-eslint/parser",
      settings: {
        "import/internal-regex": "^~/",
        // Modules of the Workers runtime itself (session/stores/cloudflare-workers.d.ts types the one used).
        "import/core-modules": ["cloudflare:workers"],
        "import/resolver": {
          node: { extensions: [".ts", ".tsx"] },
          typescript: { alwaysTryTypes: true },
        },
      },
      extends: ["plugin:@typescript-eslint/recommended", "plugin:import/recommended", "plugin:import/typescript"],
      rules: {
        // `_name` marks a parameter a signature needs but the body does not use.
        "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        // TypeScript already checks that members exist; this guess flags documented idioms such as `fc.property`.
        "import/no-named-as-default-member": "off",
      },
    },

    // Node: the server, the sessions, the tests, the tooling
    {
      files: [
        "server.ts",
        "server/**",
        "session/**",
        "tests/**",
        "harness/**",
        "scripts/**",
        "bench/**",
        "remix.init/**",
        "*.config.{js,cjs,mjs,ts}",
        ".eslintrc.cjs",
      ],
      env: { node: true },
    },

    // CommonJS files: remix.init is loaded with `require` by create-remix.
    {
      files: ["**/*.cjs", "remix.init/**/*.js"],
      parserOptions: { sourceType: "script" },
      env: { node: true, commonjs: true },
    },
  ],
};
