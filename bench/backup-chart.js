'use strict';
// The backup benchmark's chart, a standalone SVG in the style of the speed
// chart (no dependency, white background): per step a group of bars, one
// per tool, giving its wall time as a multiple of the fastest peer's in that
// step (ours alone: of ours); the dashed line at 1.0 is the fastest peer.
// Bars beyond the axis are clipped and labelled with their value.
const { fastestPeer } = require('./backup-targets');

const COLORS = { 'rdiff-backup': '#9ecae1', duplicity: '#bdbdbd', restic: '#fd8d3c', borg: '#74c476', ours: '#2171b5' };
const BAR = 18;
const GROUP_GAP = 22;
const LEFT = 56;
const TOP = 64;
const PLOT_HEIGHT = 240;
const BOTTOM = 70;
const AXIS_MAX = 4;

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The charted steps of each part that ran: [{ part, step, title }]. */
function chartGroups(result) {
  const levels = result.settings.levels;
  const wanted = [
    ['main', 'level 0', 'level 0'],
    ['main', 'level 1', 'level 1'],
    ['main', 'no-change level', 'no change'],
    ['main', 'restore newest', 'restore'],
    ['small', 'level 0', 'level 0'],
    ['small', 'no-change level', 'no change'],
    ['small', 'restore newest', 'restore'],
    ['chain', 'level 0', 'level 0'],
    ['chain', `level ${levels}`, `level ${levels}`],
    ['chain', `restore level ${levels}`, `restore L${levels}`],
  ];
  return wanted.filter(([part, step]) => result.rows.some((r) => r.part === part && r.step === step)).map(([part, step, title]) => ({ part, step, title }));
}

const PART_TITLES = { main: 'main tree', small: 'small files', chain: 'deep chain' };

function backupChartSvg(result) {
  const tools = result.tools;
  const groups = chartGroups(result);
  const groupWidth = tools.length * BAR + GROUP_GAP;
  const legendX = [];
  let lx = LEFT;
  for (const tool of tools) {
    legendX.push(lx);
    lx += 24 + tool.title.length * 6.5;
  }
  const width = Math.max(LEFT + groups.length * groupWidth + 20, lx + 150);
  const height = TOP + PLOT_HEIGHT + BOTTOM;
  const y = (v) => TOP + PLOT_HEIGHT - (Math.min(v, AXIS_MAX) / AXIS_MAX) * PLOT_HEIGHT;
  const anyPeer = tools.some((t) => t.id !== 'ours');
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  const title = `Backup wall time as a multiple of the fastest ${anyPeer ? 'peer' : 'run (ours only)'}'s, ${result.machine.nproc} cores, ${result.when.slice(0, 10)}${result.ok ? '' : ' (FAILED STEPS)'}`;
  out.push(`<text x="${LEFT}" y="22" font-size="15" font-weight="bold" fill="#222">${escape(title)}</text>`);
  for (const [i, tool] of tools.entries()) {
    out.push(`<rect x="${legendX[i]}" y="34" width="12" height="12" fill="${COLORS[tool.id] ?? '#969696'}"/>`);
    out.push(`<text x="${legendX[i] + 16}" y="44" font-size="12" fill="#222">${escape(tool.title)}</text>`);
  }
  out.push(`<line x1="${lx}" x2="${lx + 18}" y1="40" y2="40" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${lx + 22}" y="44" font-size="12" fill="#222">fastest ${anyPeer ? 'peer' : ''} (1.0x)</text>`);
  for (let v = 0; v <= AXIS_MAX; v += 1) {
    out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end" fill="#444">${v.toFixed(1)}x</text>`);
  }
  out.push(`<text transform="translate(14 ${TOP + PLOT_HEIGHT / 2}) rotate(-90)" font-size="12" text-anchor="middle" fill="#444">wall time / fastest (lower is faster)</text>`);
  let x = LEFT + GROUP_GAP / 2;
  let partStart = x;
  for (const [g, group] of groups.entries()) {
    const rows = result.rows.filter((r) => r.part === group.part && r.step === group.step && !r.error);
    const reference = fastestPeer(result.rows, group.part, group.step) ?? rows.find((r) => r.tool === 'ours');
    for (const [i, tool] of tools.entries()) {
      const row = rows.find((r) => r.tool === tool.id);
      if (!row || !reference) continue;
      const v = row.wallS / reference.wallS;
      const bx = x + i * BAR;
      out.push(
        `<rect x="${bx + 1}" y="${y(v)}" width="${BAR - 2}" height="${y(0) - y(v)}" fill="${COLORS[tool.id] ?? '#969696'}"><title>${escape(`${tool.title}, ${PART_TITLES[group.part]} ${group.step}: ${row.wallS.toFixed(2)} s, ${v.toFixed(2)}x the fastest`)}</title></rect>`,
      );
      out.push(`<text x="${bx + BAR / 2}" y="${y(v) - 3}" font-size="8" text-anchor="middle" fill="#222">${v > AXIS_MAX ? `${v.toFixed(1)}x` : v.toFixed(2)}</text>`);
    }
    out.push(`<text x="${x + (tools.length * BAR) / 2}" y="${TOP + PLOT_HEIGHT + 16}" font-size="11" text-anchor="middle" fill="#222">${escape(group.title)}</text>`);
    x += groupWidth;
    if (groups[g + 1]?.part !== group.part) {
      const partEnd = x - GROUP_GAP;
      out.push(`<line x1="${partStart}" x2="${partEnd}" y1="${TOP + PLOT_HEIGHT + 30}" y2="${TOP + PLOT_HEIGHT + 30}" stroke="#888"/>`);
      out.push(`<text x="${(partStart + partEnd) / 2}" y="${TOP + PLOT_HEIGHT + 46}" font-size="12" font-weight="bold" text-anchor="middle" fill="#222">${PART_TITLES[group.part]}</text>`);
      partStart = x;
    }
  }
  out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${y(0)}" y2="${y(0)}" stroke="#444"/>`);
  out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${y(1)}" y2="${y(1)}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

module.exports = { backupChartSvg };
