import type { BenchResults } from "./results";
import { escapeXml } from "./svg";

const WIDTH = 1080;
const LABEL_WIDTH = 400;
const BAR_WIDTH = 420;
const ROW_HEIGHT = 22;
const COLORS = {
  baseline: "#64748b",
  stack: "#4f46e5",
  peer: "#d97706",
  missing: "#cbd5e1",
  kept: "#059669",
  lost: "#dc2626",
};

/**
 * A hand-built SVG of the run: server CPU per request with min–max whiskers (and req/s beside it),
 * writes kept, growth. Sections of phases not run are left out.
 */
export function renderChart(results: BenchResults): string {
  const parts: string[] = [];
  let y = 30;
  const throughput = results.throughput ?? [];

  if (throughput.length > 0) {
    parts.push(
      text(16, y, "Server CPU µs per request: median (bar), min–max over the rounds (whisker); shorter is cheaper", {
        weight: "bold",
        size: 15,
      }),
    );
    y += 14;
    const figure = (result: (typeof throughput)[number]) => result.cpu ?? result.rps;
    const measured = throughput.flatMap((result) => (figure(result) ? [figure(result)!.max] : []));
    const scale = Math.max(1, ...measured);
    throughput.forEach((result, index) => {
      if (
        result.row.action !== throughput[index - 1]?.row.action ||
        result.row.baseline !== throughput[index - 1]?.row.baseline
      ) {
        y += ROW_HEIGHT + 4;
        const runtime = result.row.baseline === throughput[0]?.row.baseline ? "Express" : "Workers (workerd)";
        const heading =
          result.row.action === "read"
            ? `${runtime}: session read, nothing written: GET /lab/ping`
            : `${runtime}: one key written: GET /lab/mark/<k>`;
        parts.push(text(16, y, heading, { size: 12, weight: "bold", color: "#475569" }));
      }
      y += ROW_HEIGHT;
      parts.push(text(16, y, `${index + 1}. ${result.row.label}`, { size: 12 }));
      const x0 = 16 + LABEL_WIDTH;
      const shown = figure(result);
      if (!shown || !result.rps) {
        parts.push(rect(x0, y - 12, BAR_WIDTH, 14, COLORS.missing, 0.5));
        parts.push(text(x0 + 6, y - 1, result.note ?? "not measured", { size: 11 }));
        return;
      }
      const color = !result.row.withSession
        ? COLORS.baseline
        : result.row.server.startsWith("stack-") || result.row.server.startsWith("worker-")
          ? COLORS.stack
          : COLORS.peer;
      const width = (shown.median / scale) * BAR_WIDTH;
      parts.push(rect(x0, y - 12, width, 14, color));
      const min = x0 + (shown.min / scale) * BAR_WIDTH;
      const max = x0 + (shown.max / scale) * BAR_WIDTH;
      parts.push(line(min, y - 5, max, y - 5), line(min, y - 9, min, y - 1), line(max, y - 9, max, y - 1));
      const cost =
        result.cpuCost && result.row.baseline !== result.row.id
          ? ` (${result.cpuCost.median >= 0 ? "+" : ""}${(result.cpuCost.median * 100).toFixed(0)}%)`
          : "";
      const label = result.cpu
        ? `${Math.round(result.cpu.median)} µs${cost} · ${Math.round(result.rps.median)} req/s`
        : `${Math.round(result.rps.median)} req/s`;
      parts.push(text(x0 + BAR_WIDTH + 8, y, label, { size: 12 }));
    });
    y += 16;
    parts.push(legend(16, y + 8));
    y += 40;
  }

  if (results.lostWrites) {
    parts.push(text(16, y, "Writes kept when K clients of one session write at once", { weight: "bold", size: 15 }));
    const ks = results.settings.lostWritesClients;
    const cell = 70;
    const gap = 50;
    y += 22;
    ks.forEach((k, index) => parts.push(text(16 + LABEL_WIDTH + index * (cell + gap), y, `K = ${k}`, { size: 12 })));
    for (const entry of results.lostWrites) {
      y += ROW_HEIGHT;
      const processes = `${entry.processes} process${entry.processes > 1 ? "es" : ""}`;
      parts.push(text(16, y, `${entry.label}, ${processes}`, { size: 12 }));
      ks.forEach((k, index) => {
        const x = 16 + LABEL_WIDTH + index * (cell + gap);
        const result = entry.results.find((candidate) => candidate.clients === k);
        parts.push(rect(x, y - 12, cell, 14, COLORS.missing, 0.5));
        if (!result) {
          parts.push(text(x + 4, y - 1, entry.status === "measured" ? "—" : "pending", { size: 10 }));
          return;
        }
        const share = result.made ? result.kept / result.made : 0;
        parts.push(rect(x, y - 12, cell * share, 14, share === 1 ? COLORS.kept : COLORS.lost));
        parts.push(text(x + cell + 2, y - 1, `${Math.round(share * 100)}%`, { size: 10 }));
      });
    }
    y += 40;
  }

  if (results.growth) {
    parts.push(
      text(16, y, "SQLite commit (apply) cost as the table grows: p50 (dark) and mean (light), µs", {
        weight: "bold",
        size: 15,
      }),
    );
    const growth = results.growth;
    const growthScale = Math.max(1, ...growth.map((each) => each.meanMicros));
    for (const each of growth) {
      const growth = each;
      y += ROW_HEIGHT;
      parts.push(text(16, y, `${growth.sessions.toLocaleString("en-US")} sessions stored`, { size: 12 }));
      const x0 = 16 + LABEL_WIDTH;
      parts.push(rect(x0, y - 12, (growth.meanMicros / growthScale) * BAR_WIDTH, 14, COLORS.stack, 0.45));
      parts.push(rect(x0, y - 12, (growth.p50Micros / growthScale) * BAR_WIDTH, 14, COLORS.stack));
      parts.push(
        text(x0 + BAR_WIDTH + 8, y, `mean ${growth.meanMicros.toFixed(0)} µs, p50 ${growth.p50Micros.toFixed(0)} µs`, {
          size: 12,
        }),
      );
    }
    y += 30;
  }
  const { machine } = results;
  parts.push(
    text(
      16,
      y,
      `${results.command} · ${machine.nproc} cores · ${machine.cpu} · Node ${machine.node} · ${results.startedAt.slice(0, 10)}`,
      {
        size: 11,
        color: "#475569",
      },
    ),
  );
  y += 16;

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="system-ui, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

function legend(x: number, y: number): string {
  const items: Array<[string, string]> = [
    ["no session (limit, baseline)", COLORS.baseline],
    ["this stack", COLORS.stack],
    ["peers", COLORS.peer],
  ];
  return items
    .map(([label, color], index) => {
      const left = x + index * 200;
      return `${rect(left, y - 10, 12, 12, color)}${text(left + 18, y, label, { size: 12 })}`;
    })
    .join("");
}

function rect(x: number, y: number, width: number, height: number, fill: string, opacity = 1): string {
  return `<rect x="${r(x)}" y="${r(y)}" width="${r(Math.max(0, width))}" height="${r(height)}" fill="${fill}"${opacity < 1 ? ` fill-opacity="${opacity}"` : ""}/>`;
}

function line(x1: number, y1: number, x2: number, y2: number): string {
  return `<line x1="${r(x1)}" y1="${r(y1)}" x2="${r(x2)}" y2="${r(y2)}" stroke="#0f172a" stroke-width="1.5"/>`;
}

function text(
  x: number,
  y: number,
  content: string,
  style: { size?: number; weight?: string; color?: string } = {},
): string {
  const weight = style.weight ? ` font-weight="${style.weight}"` : "";
  return `<text x="${r(x)}" y="${r(y)}" font-size="${style.size ?? 12}"${weight} fill="${style.color ?? "#0f172a"}">${escapeXml(content)}</text>`;
}

const r = (value: number) => Math.round(value * 10) / 10;
