/**
 * The Fair Fight report: `report.md` (tables) and a self-contained `report.html` (the same
 * tables plus SVG charts inlined; no script, no external resource, and a Content-Security-Policy
 * that forbids fetching anything).
 */
import { renderCharts, type Chart } from './charts.js';
import type { FairFightResults } from './results.js';
import { claimsTable, comparisonsTable, robustnessTable, runsTable, settingsText, volatilityTable, type Table } from './tables.js';

export type { FairFightResults } from './results.js';
export { renderCharts, renderSvg, chartSpecs } from './charts.js';
export type { Chart } from './charts.js';

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(t: Table): string {
  const align = t.head.map((_, i) => (t.numeric?.[i] ? '---:' : '---'));
  return [t.head, align, ...t.rows].map((row) => `| ${row.map(mdCell).join(' | ')} |`).join('\n');
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function htmlTable(t: Table, cellClass: (row: number, col: number) => string = () => ''): string {
  const cls = (i: number, extra: string) => {
    const c = [t.numeric?.[i] ? 'num' : '', extra].filter(Boolean).join(' ');
    return c ? ` class="${c}"` : '';
  };
  const head = `<tr>${t.head.map((h, i) => `<th${cls(i, '')}>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((row, r) => `<tr>${row.map((v, i) => `<td${cls(i, cellClass(r, i))}>${escapeHtml(v)}</td>`).join('')}</tr>`);
  return `<div class="table"><table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function title(r: FairFightResults): string {
  return `Fair Fight on ${r.dataset}: ${[...new Set(r.runs.map((x) => x.model))].join(', ')} (${r.config.seeds} seed${r.config.seeds === 1 ? '' : 's'})`;
}

const SECTIONS = {
  claims: "The paper's claims",
  volatility: 'Accuracy and input-gradient volatility (mean ± std over seeds)',
  robustness: 'Local sensitivity, certified Lipschitz bound, FGSM and training gradients (mean ± std over seeds)',
  comparisons: 'ChainzRule against each model: Welch t-test, Bonferroni-corrected over all tests',
  runs: 'Every run',
};

const CLAIMS_RULE =
  'A claim counts as reproduced when the measured direction is right and, with two or more seeds, the Welch tests against the baselines it names ' +
  'give a Bonferroni-adjusted p below 0.05; the peak reduction must also reach the paper\'s 23.1%, and the tail ratio must read 1.02 or less ' +
  'and be below every standard model in the run. "not measured": the run lacks a model the claim needs.';

const comparisonsNote = (r: FairFightResults) => {
  const tests = r.summary.comparisons.filter((c) => c.p !== null).length;
  return tests
    ? `Two-sided Welch t-tests over seeds (t = reference − model); ${tests} tests, each p multiplied by ${tests}. With ${r.config.seeds} seeds a test has little power: "no" means not shown, not "equal".`
    : 'One seed: no tests (run with --seeds 2 or more).';
};

export function renderMarkdown(r: FairFightResults): string {
  return [
    `# ${title(r)}`,
    settingsText(r),
    `## ${SECTIONS.claims}`,
    markdownTable(claimsTable(r)),
    CLAIMS_RULE,
    `## ${SECTIONS.volatility}`,
    markdownTable(volatilityTable(r)),
    `## ${SECTIONS.robustness}`,
    markdownTable(robustnessTable(r)),
    `## ${SECTIONS.comparisons}`,
    comparisonsNote(r),
    markdownTable(comparisonsTable(r)),
    `## ${SECTIONS.runs}`,
    markdownTable(runsTable(r)),
    '## Charts',
    'The distribution of g(x), accuracy against peak volatility, the training loss and gradient-norm curves and accuracy under FGSM are in `report.html` (self-contained, opens offline).',
    '',
  ].join('\n\n');
}

const STYLE = `
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1f2328; margin: 0 auto; padding: 24px 32px 48px; max-width: 1200px; }
h1 { font-size: 24px; margin: 0 0 8px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
p.settings { color: #444; }
.table { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #d8dee4; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } th.num { text-align: right; } td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.yes { background: #dafbe1; } td.no { background: #ffebe9; } td.na { background: #f6f8fa; color: #57606a; }
td.yes, td.no, td.na { white-space: nowrap; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px 24px; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; } figcaption { color: #57606a; font-size: 12px; margin-top: 4px; }
figure h3 { font-size: 14px; margin: 0 0 4px; }
`;

export function renderHtml(r: FairFightResults, charts: Chart[]): string {
  const verdictClass = (row: number, col: number) => {
    if (col !== 3) return '';
    const c = r.summary.claims[row]!.reproduced;
    return c === null ? 'na' : c ? 'yes' : 'no';
  };
  const comparisons = comparisonsTable(r);
  const figure = (c: Chart) =>
    `<figure id="${escapeHtml(c.id)}"><h3>${escapeHtml(c.title)}</h3>${c.svg}<figcaption>${escapeHtml(c.caption)}</figcaption></figure>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title(r))}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title(r))}</h1>
<p class="settings">${escapeHtml(settingsText(r))}</p>
<h2>${escapeHtml(SECTIONS.claims)}</h2>
${htmlTable(claimsTable(r), verdictClass)}
<p>${escapeHtml(CLAIMS_RULE)}</p>
<h2>Charts</h2>
<div class="charts">
${charts.map(figure).join('\n')}
</div>
<h2>${escapeHtml(SECTIONS.volatility)}</h2>
${htmlTable(volatilityTable(r))}
<h2>${escapeHtml(SECTIONS.robustness)}</h2>
${htmlTable(robustnessTable(r))}
<h2>${escapeHtml(SECTIONS.comparisons)}</h2>
<p>${escapeHtml(comparisonsNote(r))}</p>
${htmlTable(comparisons, (row, col) => (col === 10 && comparisons.rows[row]![10] === 'yes' ? 'yes' : ''))}
<h2>${escapeHtml(SECTIONS.runs)}</h2>
${htmlTable(runsTable(r))}
</body>
</html>
`;
}

/** Both report files' contents. */
export async function renderReport(r: FairFightResults): Promise<{ markdown: string; html: string }> {
  return { markdown: renderMarkdown(r), html: renderHtml(r, await renderCharts(r)) };
}
