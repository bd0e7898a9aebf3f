import { index, route, type RouteConfig } from "@react-router/dev/routes";

export default [
  index("routes/home.tsx"),
  route("keys", "routes/keys.ts"),
  route("login", "routes/login.tsx"),
  route("logout", "routes/logout.ts"),
  // The template's lab API, answered only when LAB_ROUTES=on.
  route("lab/mark/:key", "routes/lab.mark.$key.ts"),
  route("lab/session", "routes/lab.session.ts"),
  route("lab/bounce", "routes/lab.bounce.tsx"),
] satisfies RouteConfig;
