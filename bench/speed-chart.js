'use strict';
// The speed benchmark's chart, as a standalone SVG (no dependency, no
// external font or script, a white background so it reads in GitHub's dark
// theme too): per file size and operation a group of bars, one per
// implementation, giving its speed as a multiple of rdiff's in the same run;
// the dashed line at 1.0 is rdiff.

const COLORS = { 'native-serial': '#9ecae1', 'native-parallel': '#2171b5', js: '#fd8d3c', cli: '#41ab5d' };
const FALLBACK_COLOR = '#969696';
const BAR = 22;
const GROUP_GAP = 26;
const LEFT = 56;
const TOP = 64;
const PLOT_HEIGHT = 260;
const BOTTOM = 70;

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * rows: [{ sizeMiB, op, opTitle, impl, implTitle, vsRdiff }], rdiff's own rows excluded by the caller;
 * sizes, ops, impls give the order. Returns the SVG text.
 */
function speedChartSvg({ rows, sizes, ops, impls, title }) {
  const groupWidth = impls.length * BAR + GROUP_GAP;
  // legend entries: a swatch and a title each (about 6.5 px a character at 12 px), then rdiff's line
  const legendX = [];
  let lx = LEFT;
  for (const impl of impls) {
    legendX.push(lx);
    lx += 24 + impl.title.length * 6.5;
  }
  const width = Math.max(LEFT + sizes.length * ops.length * groupWidth + 20, lx + 110);
  const height = TOP + PLOT_HEIGHT + BOTTOM;
  const top = Math.max(2, Math.ceil(Math.max(0, ...rows.map((r) => r.vsRdiff)) * 2) / 2);
  const y = (v) => TOP + PLOT_HEIGHT - (v / top) * PLOT_HEIGHT;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${LEFT}" y="22" font-size="15" font-weight="bold" fill="#222">${escape(title)}</text>`);
  // legend
  for (const [i, impl] of impls.entries()) {
    out.push(`<rect x="${legendX[i]}" y="34" width="12" height="12" fill="${COLORS[impl.id] ?? FALLBACK_COLOR}"/>`);
    out.push(`<text x="${legendX[i] + 16}" y="44" font-size="12" fill="#222">${escape(impl.title)}</text>`);
  }
  out.push(`<line x1="${lx}" x2="${lx + 18}" y1="40" y2="40" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${lx + 22}" y="44" font-size="12" fill="#222">rdiff (1.0x)</text>`);
  // grid and axis
  for (let v = 0; v <= top + 1e-9; v += top > 4 ? 1 : 0.5) {
    out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end" fill="#444">${v.toFixed(1)}x</text>`);
  }
  out.push(`<text transform="translate(14 ${TOP + PLOT_HEIGHT / 2}) rotate(-90)" font-size="12" text-anchor="middle" fill="#444">speed / rdiff's (higher is faster)</text>`);
  let x = LEFT + GROUP_GAP / 2;
  for (const sizeMiB of sizes) {
    const sizeStart = x;
    for (const op of ops) {
      for (const [i, impl] of impls.entries()) {
        const row = rows.find((r) => r.sizeMiB === sizeMiB && r.op === op.id && r.impl === impl.id);
        if (!row) continue;
        const bx = x + i * BAR;
        const v = Math.max(0, row.vsRdiff);
        out.push(
          `<rect x="${bx + 1}" y="${y(v)}" width="${BAR - 2}" height="${y(0) - y(v)}" fill="${COLORS[impl.id] ?? FALLBACK_COLOR}"><title>${escape(`${impl.title}, ${op.title}, ${sizeMiB} MiB: ${v.toFixed(2)}x rdiff`)}</title></rect>`,
        );
        out.push(`<text x="${bx + BAR / 2}" y="${y(v) - 3}" font-size="9" text-anchor="middle" fill="#222">${v.toFixed(2)}</text>`);
      }
      const center = x + (impls.length * BAR) / 2;
      out.push(`<text x="${center}" y="${TOP + PLOT_HEIGHT + 16}" font-size="11" text-anchor="middle" fill="#222">${escape(op.title)}</text>`);
      x += groupWidth;
    }
    const sizeEnd = x - GROUP_GAP;
    const label = sizeMiB >= 1024 && sizeMiB % 1024 === 0 ? `${sizeMiB / 1024} GiB files` : `${sizeMiB} MiB files`;
    out.push(`<line x1="${sizeStart}" x2="${sizeEnd}" y1="${TOP + PLOT_HEIGHT + 30}" y2="${TOP + PLOT_HEIGHT + 30}" stroke="#888"/>`);
    out.push(`<text x="${(sizeStart + sizeEnd) / 2}" y="${TOP + PLOT_HEIGHT + 46}" font-size="12" font-weight="bold" text-anchor="middle" fill="#222">${label}</text>`);
  }
  out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${y(0)}" y2="${y(0)}" stroke="#444"/>`);
  out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${y(1)}" y2="${y(1)}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

module.exports = { speedChartSvg };
