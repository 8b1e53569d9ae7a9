// Draws the ratios of a bench run as an SVG bar chart (hand-written SVG, no dependencies): one bar
// per workload table and peer, poll-http's ratio on the table's headline metric turned so that
// right of 1.0 is better (our req/s ÷ theirs; their CPU ÷ ours), and a red line at each target.
// Tables with an absolute target (W4 ns per node per tick) draw every row against it.
// Targets on another metric or row than the table's headline (W1 CPU per request, W3 peak RSS
// growth) get a bar of their own, labelled with the target.
//
//   node scripts/run-ts.mjs bench/chart.ts [RUN.json=.tmp/bench/last.json] [OUT.svg=bench/ratios.svg]
import { readFileSync, writeFileSync } from "node:fs";
import { evaluateTargets, type RunRecord, type TableRecord, type TargetResult, turn } from "./report.ts";

interface Bar {
  readonly label: string;
  readonly ratio: number;
  /** Target ratios drawn on this bar. */
  readonly targets: ReadonlyArray<{ readonly ratio: number; readonly label: string }>;
}

interface Group {
  readonly title: string;
  readonly bars: Bar[];
}

const esc = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A short name for a table: workload, server and framing from its title. */
function groupTitle(table: TableRecord): string {
  const server = /\((nginx[^)]*|bench server)\)/.exec(table.title)?.[1];
  const framing = /\b(chunked|Content-Length)\b/.exec(table.title)?.[1];
  return [table.workload, server === "bench server" ? undefined : server, framing].filter((s) => s !== undefined).join(" · ");
}

/** The bars of one table: the headline metric against every peer (or the absolute value), then any target on another metric or row. */
function barsOf(table: TableRecord): Bar[] {
  const results = evaluateTargets(table);
  const drawn = new Set<TargetResult>();
  const linesFor = (subject: string, peer: string): Bar["targets"] =>
    results
      .filter((r) => r.subject === subject && r.peer === peer && r.metric === table.metric)
      .map((r) => {
        drawn.add(r);
        return { ratio: r.target, label: r.label };
      });
  const median = (name: string): number => table.rows.find((r) => r.name === name)?.medians[table.metric] ?? NaN;
  const bars: Bar[] = [];
  if (table.absolute !== undefined) {
    for (const row of table.rows) {
      bars.push({
        label: `${row.name} vs target`,
        ratio: turn(median(row.name), table.absolute, table.higherIsBetter),
        targets: linesFor(row.name, "target"),
      });
    }
  } else {
    const mine = median(table.subject);
    // A row that is itself the subject of a target is not a peer.
    const subjects = new Set([table.subject, ...table.targets.map((t) => t.subject).filter((s) => s !== undefined)]);
    const who = subjects.size > 1 ? `${table.subject} ` : "";
    for (const row of table.rows) {
      if (subjects.has(row.name)) continue;
      bars.push({
        label: `${who}vs ${row.name}`,
        ratio: turn(mine, median(row.name), table.higherIsBetter),
        targets: linesFor(table.subject, row.name),
      });
    }
  }
  for (const r of results) {
    if (drawn.has(r)) continue;
    // Another row's ratio on the headline metric reads like the others ("row vs peer"); another metric by its target.
    const label =
      r.metric === table.metric ? `${r.subject} vs ${r.peer}` : `${r.subject === table.subject ? "" : `${r.subject}: `}${r.label}`;
    bars.push({ label, ratio: r.ratio, targets: [{ ratio: r.target, label: r.label }] });
  }
  return bars;
}

/**
 * Renders the chart.
 *
 * @param record - A bench run.
 * @returns The SVG text.
 */
export function renderChart(record: RunRecord): string {
  const groups: Group[] = record.tables.map((t) => ({ title: groupTitle(t), bars: barsOf(t) })).filter((g) => g.bars.length > 0);
  const finite = groups
    .flatMap((g) => g.bars.flatMap((b) => [b.ratio, ...b.targets.map((t) => t.ratio)]))
    .filter((r) => Number.isFinite(r));
  // The axis ends at 4× at most (bars beyond it are cut and marked →), so the targets (≤ 2×) stay readable.
  const max = Math.min(4, Math.max(2, Math.ceil(Math.max(...finite, 1) * 2) / 2));
  const left = 350;
  const plot = 560;
  const right = 80;
  const barH = 16;
  const gap = 4;
  const groupGap = 14;
  const top = 80;
  const x = (ratio: number): number => left + (Math.min(Math.max(ratio, 0), max) / max) * plot;
  const out: string[] = [];
  let y = top;
  for (const g of groups) {
    out.push(`<text x="8" y="${y + 12}" class="group">${esc(g.title)}</text>`);
    y += 18;
    for (const b of g.bars) {
      const ok = !Number.isNaN(b.ratio);
      const meets = b.targets.length > 0 && b.targets.every((t) => b.ratio >= t.ratio);
      const misses = b.targets.some((t) => b.ratio < t.ratio);
      const fill = !ok ? "#ccc" : meets ? "#2e7d32" : misses ? "#ef6c00" : "#5c7cfa";
      out.push(`<text x="${left - 8}" y="${y + barH - 4}" text-anchor="end">${esc(b.label)}</text>`);
      if (ok) {
        out.push(`<rect x="${left}" y="${y}" width="${(x(b.ratio) - left).toFixed(1)}" height="${barH}" fill="${fill}"/>`);
        const shown = Number.isFinite(b.ratio) ? `${b.ratio.toFixed(2)}×` : "∞";
        out.push(`<text x="${(x(b.ratio) + 4).toFixed(1)}" y="${y + barH - 4}">${shown}${b.ratio > max ? " →" : ""}</text>`);
      } else {
        out.push(`<text x="${left + 4}" y="${y + barH - 4}" fill="#888">no data</text>`);
      }
      for (const t of b.targets) {
        const tx = x(t.ratio).toFixed(1);
        out.push(`<line x1="${tx}" y1="${y - 2}" x2="${tx}" y2="${y + barH + 2}" class="target"><title>${esc(t.label)}</title></line>`);
      }
      y += barH + gap;
    }
    y += groupGap;
  }
  const height = y + 30;
  const width = left + plot + right;
  const axis: string[] = [];
  for (let r = 0; r <= max + 1e-9; r += 0.5) {
    const gx = x(r).toFixed(1);
    axis.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${y}" class="${Math.abs(r - 1) < 1e-9 ? "one" : "grid"}"/>`);
    axis.push(`<text x="${gx}" y="${top - 10}" text-anchor="middle" class="axis">${r}×</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<style>.group{font-weight:bold;font-size:12px}.grid{stroke:#e0e0e0}.one{stroke:#555;stroke-dasharray:3 2}.target{stroke:#d50000;stroke-width:2.5}.axis{fill:#555}</style>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">poll-http: ratio to each peer (right of 1× is better for poll-http)</text>`,
    `<text x="8" y="34" fill="#555">${esc(record.date)} · ${esc(record.machine.split("\n").join(" · "))}</text>`,
    `<text x="8" y="48" fill="#555">red line: target · green: target met · orange: missed · blue: no target for this peer</text>`,
    ...axis,
    ...out,
    `</svg>`,
    "",
  ].join("\n");
}

const isMain = process.argv[1]?.includes("chart") === true;
if (isMain) {
  const input = process.argv[2] ?? ".tmp/bench/last.json";
  const output = process.argv[3] ?? "bench/ratios.svg";
  const record = JSON.parse(readFileSync(input, "utf8")) as RunRecord;
  writeFileSync(output, renderChart(record));
  console.log(`wrote ${output} (${record.tables.length} tables from ${input})`);
}
