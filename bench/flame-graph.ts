/**
 * Flame graphs from a V8 CPU profile (`node --cpu-prof`'s .cpuprofile), as plain SVG: no dependency.
 * Only the samples taken inside a window of time count, so start-up and warm-up stay out.
 */
import { escapeXml } from "./svg";

/** The parts of a .cpuprofile this reads. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  /** µs on the monotonic clock. */
  startTime: number;
  samples: number[];
  /** µs since the previous sample (the first since `startTime`). */
  timeDeltas: number[];
}

/** Stacks merged by frame: how many samples ran in each frame and below it. */
export interface FlameNode {
  name: string;
  /** Where the function is: the file below the project or node_modules, and the line. */
  location: string;
  total: number;
  self: number;
  children: Map<string, FlameNode>;
}

/** A function's share of the samples in a window. */
export interface HotFunction {
  name: string;
  location: string;
  /** Samples in the function itself, as a share of all samples in the window. */
  self: number;
  /** Samples in it or anything it called (counted once per sample), as a share. */
  total: number;
}

/** Frames that are no work of the program. */
const IDLE = new Set(["(root)", "(idle)"]);

/** The merged stacks of the samples taken between `fromMicros` and `toMicros`. */
export function flameTree(profile: CpuProfile, fromMicros: number, toMicros: number): FlameNode {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const root: FlameNode = { name: "all", location: "", total: 0, self: 0, children: new Map() };

  let time = profile.startTime;
  profile.samples.forEach((id, index) => {
    time += profile.timeDeltas[index];
    if (time < fromMicros || time > toMicros) return;
    const stack: number[] = [];
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current))
      stack.push(current);
    const frames = stack.reverse().map((nodeId) => byId.get(nodeId)!.callFrame);
    if (frames.length === 0 || IDLE.has(frames[frames.length - 1].functionName)) return;
    let node = root;
    node.total++;
    for (const frame of frames) {
      if (frame.functionName === "(root)") continue;
      const location = locate(frame.url, frame.lineNumber);
      const name = frame.functionName || "(anonymous)";
      const key = `${name} ${location}`;
      let child = node.children.get(key);
      if (!child) node.children.set(key, (child = { name, location, total: 0, self: 0, children: new Map() }));
      child.total++;
      node = child;
    }
    node.self++;
  });
  return root;
}

/** The functions taking the most samples of their own, with their inclusive share; at most `limit`. */
export function hotFunctions(tree: FlameNode, limit: number): HotFunction[] {
  const functions = new Map<string, { name: string; location: string; self: number; total: number }>();
  const walk = (node: FlameNode, onStack: Set<string>) => {
    for (const child of node.children.values()) {
      const key = `${child.name} ${child.location}`;
      let entry = functions.get(key);
      if (!entry) functions.set(key, (entry = { name: child.name, location: child.location, self: 0, total: 0 }));
      entry.self += child.self;
      // A recursive function is counted once per sample: only its outermost frame adds to its total.
      if (!onStack.has(key)) entry.total += child.total;
      walk(child, new Set([...onStack, key]));
    }
  };
  walk(tree, new Set());
  const all = Math.max(1, tree.total);
  return [...functions.values()]
    .sort((a, b) => b.self - a.self)
    .slice(0, limit)
    .map((entry) => ({ ...entry, self: entry.self / all, total: entry.total / all }));
}

/** A frame's file, shortened to what a reader recognises, and its line (1-based). */
function locate(url: string, lineNumber: number): string {
  if (!url) return "";
  const file = url
    .replace(/^file:\/\//, "")
    .replace(/\?.*$/, "")
    .replace(/^.*\/node_modules\//, "")
    .replace(/^.*?\/(session|server|bench|app|build)\//, "$1/");
  // tsx compiles TypeScript on the fly and V8 reports the compiled line, which means nothing in the source.
  return /\.tsx?$/.test(file) ? file : `${file}:${lineNumber + 1}`;
}

const FRAME_HEIGHT = 16;
const WIDTH = 1200;
const MIN_WIDTH = 0.5;

/** Colour by where the code lives: this stack's session code, Remix, Node itself, other packages. */
function colour(node: FlameNode): string {
  const { location, name } = node;
  if (location.startsWith("session/")) return "#818cf8";
  if (location.startsWith("server/") || location.startsWith("bench/")) return "#a5b4fc";
  if (location.startsWith("@remix-run/")) return "#fdba74";
  if (location.startsWith("node:") || name.startsWith("(")) return "#cbd5e1";
  return "#fcd34d";
}

/** One flame graph per panel, stacked, each scaled to its own samples; hover a frame for its numbers. */
export function renderFlameGraphs(panels: Array<{ title: string; tree: FlameNode }>, caption: string): string {
  const parts: string[] = [];
  let y = 10;
  for (const { title, tree } of panels) {
    const depth = maxDepth(tree, tree.total);
    y += 22;
    parts.push(
      `<text x="10" y="${y}" font-size="14" font-weight="bold" fill="#0f172a">${escapeXml(`${title} (${tree.total} samples)`)}</text>`,
    );
    const top = y + 8;
    const bottom = top + depth * FRAME_HEIGHT;
    // Flame graphs grow upwards: the outermost frame at the bottom of the panel.
    const draw = (node: FlameNode, x: number, level: number) => {
      let childX = x;
      const children = [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name));
      for (const child of children) {
        const width = (child.total / Math.max(1, tree.total)) * (WIDTH - 20);
        if (width >= MIN_WIDTH) {
          const frameY = bottom - (level + 1) * FRAME_HEIGHT;
          const share = ((child.total / tree.total) * 100).toFixed(1);
          const label = `${child.name} ${child.location}`;
          const fits = Math.floor((width - 6) / 6.5);
          const shown = fits >= label.length ? label : fits > 3 ? `${label.slice(0, fits - 1)}…` : "";
          parts.push(
            `<g><title>${escapeXml(`${label}: ${share}% (${child.total} samples, ${child.self} in itself)`)}</title>` +
              `<rect x="${r(childX)}" y="${frameY}" width="${r(width)}" height="${FRAME_HEIGHT - 1}" fill="${colour(child)}" rx="2"/>` +
              (shown
                ? `<text x="${r(childX + 3)}" y="${frameY + 11.5}" font-size="10.5" fill="#0f172a">${escapeXml(shown)}</text>`
                : "") +
              `</g>`,
          );
          draw(child, childX, level + 1);
        }
        childX += width;
      }
    };
    draw(tree, 10, 0);
    y = bottom + 6;
  }
  y += 18;
  parts.push(`<text x="10" y="${y}" font-size="11" fill="#475569">${escapeXml(caption)}</text>`);
  y += 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="ui-monospace, monospace">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

/** How many frames deep the drawn part of the graph goes (frames too narrow to draw are left out). */
function maxDepth(node: FlameNode, total: number): number {
  let deepest = 0;
  for (const child of node.children.values()) {
    if ((child.total / Math.max(1, total)) * (WIDTH - 20) >= MIN_WIDTH)
      deepest = Math.max(deepest, 1 + maxDepth(child, total));
  }
  return deepest;
}

const r = (value: number) => Math.round(value * 10) / 10;
