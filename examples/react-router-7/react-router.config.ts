import type { Config } from "@react-router/dev/config";

export default {
  ssr: true,
  future: {
    // Router middleware, where the session is read before next() and committed after it.
    v8_middleware: true,
  },
} satisfies Config;
