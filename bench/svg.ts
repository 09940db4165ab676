/**
 * The latency distributions as an SVG chart: one cumulative curve per
 * origin (share of round trips completed within x ms), x up to the largest
 * p99 so the tails stay readable.
 */
import type { LatencyRow } from './latency.js';

const WIDTH = 640;
const HEIGHT = 360;
const PAD = { left: 56, right: 16, top: 28, bottom: 44 };
const COLORS = ['#8a8a8a', '#1f6feb', '#d4a017', '#2da44e', '#cf222e'];

export function latencySvg(rows: readonly LatencyRow[]): string {
  const xMax = niceCeil(Math.max(...rows.map((r) => r.p99Ms)) * 1.1);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (ms: number) => PAD.left + (Math.min(ms, xMax) / xMax) * plotW;
  const y = (share: number) => PAD.top + (1 - share) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`);
  parts.push(
    `<text x="${PAD.left}" y="18" font-size="13">End-to-end echo latency through Pushpin (cumulative share of round trips)</text>`,
  );
  for (let i = 0; i <= 5; i++) {
    const ms = (xMax / 5) * i;
    parts.push(`<line x1="${x(ms)}" y1="${PAD.top}" x2="${x(ms)}" y2="${PAD.top + plotH}" stroke="#eee"/>`);
    parts.push(`<text x="${x(ms)}" y="${PAD.top + plotH + 16}" text-anchor="middle">${round(ms)}</text>`);
  }
  for (const share of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${PAD.left}" y1="${y(share)}" x2="${PAD.left + plotW}" y2="${y(share)}" stroke="#eee"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${y(share) + 4}" text-anchor="end">${Math.round(share * 100)}%</text>`);
  }
  parts.push(`<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">round trip, ms</text>`);
  rows.forEach((row, i) => {
    const sorted = [...row.all].sort((a, b) => a - b);
    const points = sorted.map((ms, k) => `${x(ms).toFixed(1)},${y((k + 1) / sorted.length).toFixed(1)}`);
    const color = COLORS[i % COLORS.length]!;
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`);
    // The legend sits low on the right, where every curve has already reached the top.
    const lx = PAD.left + plotW * 0.42;
    const ly = PAD.top + plotH * 0.45 + i * 34;
    parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 20}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${lx + 26}" y="${ly + 4}">${escapeXml(row.name)}</text>`);
    parts.push(`<text x="${lx + 26}" y="${ly + 19}" fill="#555">p50 ${row.p50Ms.toFixed(2)} ms, p99 ${row.p99Ms.toFixed(2)} ms</text>`);
  });
  parts.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function niceCeil(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

const round = (ms: number) => (ms >= 10 ? ms.toFixed(0) : ms.toFixed(1));

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}
