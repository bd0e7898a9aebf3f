// Preloaded (NODE_OPTIONS=--require) into servers the tests start whose listen address cannot be
// chosen: `remix dev` opens its live-reload socket on every interface, and tests stay on loopback.
const net = require("node:net");

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [first, second] = args;
  const portOnly = typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first));
  if (portOnly && (args.length === 1 || typeof second === "function")) {
    args.splice(1, 0, "127.0.0.1");
  } else if (first && typeof first === "object" && "port" in first && !first.host && !first.path) {
    args[0] = { ...first, host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};
