// A stand-in for the extension host in the headless panel tests: `acquireVsCodeApi()` whose
// postMessage answers the panel protocol (native/protocol/webviewProtocol.ts) with synthetic,
// deterministic data of any size, every text field laced with markup payloads. Browser code is
// a string because the test project compiles without the DOM lib.
export function fakeHostScript(options: { rows: number; theme: 'dark' | 'light' }): { content: string } {
  return { content: `(${HOST})(${JSON.stringify(options)});` };
}

const HOST = String.raw`function (opts) {
  const N = opts.rows;
  const dark = opts.theme === 'dark';
  const vars = dark
    ? { foreground: '#cccccc', descriptionForeground: '#9d9d9d', 'editor-background': '#1e1e1e', 'editorWidget-background': '#252526', 'editorWidget-border': '#454545', 'charts-blue': '#3794ff', 'charts-red': '#f14c4c', 'charts-green': '#89d185', 'charts-yellow': '#cca700', 'charts-purple': '#b180d7', 'textCodeBlock-background': '#2b2b2b', 'list-hoverBackground': '#2a2d2e', 'list-activeSelectionBackground': '#04395e', 'focusBorder': '#007fd4', 'editorHoverWidget-background': '#252526', 'editorHoverWidget-border': '#454545', 'textLink-foreground': '#3794ff' }
    : { foreground: '#3b3b3b', descriptionForeground: '#717171', 'editor-background': '#ffffff', 'editorWidget-background': '#f3f3f3', 'editorWidget-border': '#c8c8c8', 'charts-blue': '#1a85ff', 'charts-red': '#e51400', 'charts-green': '#388a34', 'charts-yellow': '#bf8803', 'charts-purple': '#652d90', 'textCodeBlock-background': '#f3f3f3', 'list-hoverBackground': '#e8e8e8', 'list-activeSelectionBackground': '#0060c0', 'focusBorder': '#0090f1', 'editorHoverWidget-background': '#f3f3f3', 'editorHoverWidget-border': '#c8c8c8', 'textLink-foreground': '#006ab1' };
  document.addEventListener('DOMContentLoaded', () => {
    document.body.classList.add(dark ? 'vscode-dark' : 'vscode-light');
    for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty('--vscode-' + k, v);
    document.body.style.background = vars['editor-background'];
    document.body.style.color = vars.foreground;
  });
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const names = ['margin','chosen_reward','rejected_reward','chosen_logratio','rejected_logratio','chosen_tokens','rejected_tokens','ches_ln','review_score','displaced','ensemble_mean','flag'];
  const columns = {};
  for (const n of names) columns[n] = new Float32Array(N);
  for (let k = 0; k < N; k++) {
    const c = 0.8 + gauss();
    const r = gauss() - 0.3;
    columns.chosen_reward[k] = c; columns.rejected_reward[k] = r; columns.margin[k] = c - r;
    columns.chosen_logratio[k] = c * 10; columns.rejected_logratio[k] = r * 10;
    columns.chosen_tokens[k] = 20 + (k % 200); columns.rejected_tokens[k] = 20 + ((k * 7) % 180);
    columns.ches_ln[k] = gauss(); columns.review_score[k] = c - r < -1 ? 2 - (c - r) : 0;
    columns.displaced[k] = c < 0 ? 1 : 0; columns.ensemble_mean[k] = c - r; columns.flag[k] = k % 97 === 0 ? 2 : 0;
  }
  const T = '<img src=x onerror="window.__pwned=1"> </script><script>window.__pwned=2</script> </style><style>body{display:none}</style>';
  const preview = (i) => ({ index: i, line: i + 1, id: 'a' + i.toString(16).padStart(15, '0'), prompt: 'Prompt ' + i + ' ' + T, chosen: 'Chosen ' + T, rejected: 'Rejected ' + T, problem: null });
  const worst = Array.from(columns.margin.keys ? columns.margin.keys() : []).slice(0, 0);
  const order = [];
  for (let k = 0; k < Math.min(N, 5000); k++) if (columns.review_score[k] > 0) order.push(k);
  order.sort((a, b) => columns.margin[a] - columns.margin[b]);
  const analysis = {
    rewardAccuracy: 0.78, meanMargin: 1.1, displacementRate: 0.2, rankingAccuracy: 0.61, referenceRankingAccuracy: 0.55, alignmentGapPP: 12.5, suspicious: order.length, confidentLearning: 'estimated label-flip rate 9.5% over 176 out-of-sample pairs',
    review: order.slice(0, 30).map((k) => ({ index: k, id: 'a' + k, score: columns.review_score[k], margin: columns.margin[k], suspicions: [{ reason: 'policy-prefers-rejected', evidence: 'margin ' + columns.margin[k].toFixed(3) + ' ' + T, strength: 2 }] })),
    columns: { index: [0, 1, 2], reviewScore: [0, 0, 0], displaced: [0, 0, 0], policyRanksCorrectly: [1, 1, 0], ensembleMean: [null, null, null] },
    checkpoints: { labels: ['ckpt/epoch-02', 'ckpt/epoch-03', 'ckpt/epoch-04'], margin: [[0.1, 0.2, -0.1], [0.3, 0.5, -0.4], [0.6, 0.9, -0.8]], rhoChosen: [[0.1, 0, 0], [0.05, -0.1, 0], [-0.2, -0.3, 0]], meanMargin: [0.2, 0.6, 1.1], displaced: [0.1, 0.15, 0.2] },
  };
  const words = ('Boil the eggs for nine minutes. ' + T + ' Then cool them in ice water! Peel under running water? Done.').split(/(?=\s)/);
  function side(text, shift) {
    const t = words.map((w) => w);
    let pos = 0; const start = [], end = [];
    for (const w of t) { start.push(pos); pos += w.length; end.push(pos); }
    const reward = t.map((_, i) => Math.sin(i + shift) * 0.3);
    const sum = reward.reduce((a, b) => a + b, 0);
    return { text: t.join(''), truncated: false, logps: -40, refLogps: -42, reward: sum,
      tokens: { ids: t.map((_, i) => i), text: t, start, end, policyLogp: t.map(() => -2), refLogp: t.map(() => -2.1), reward, rank: t.map((_, i) => i % 4), alternatives: t.map(() => [{ text: ' the', logp: -1.2 }, { text: T, logp: -2.5 }, { text: ' a', logp: -3 }]) },
      segments: [{ start: 0, end: end[5], reward: reward.slice(0, 6).reduce((a, b) => a + b, 0), firstToken: 0, endToken: 6, text: t.slice(0, 6).join('') }, { start: end[5], end: pos, reward: reward.slice(6).reduce((a, b) => a + b, 0), firstToken: 6, endToken: t.length, text: t.slice(6).join('') }] };
  }
  const factors = { state: 'ready', message: null, spearman: 0.42, sentences: ['the model prefers the longer response in 81% of pairs; the labels in 55% ' + T],
    factors: ['length_tokens', 'list_items', 'refusal', 'prompt_overlap', 'attr:score_chosen ' + T].map((name, i) => ({ name, description: name, labelTau: 0.1 * i - 0.1, modelTau: 0.5 - 0.12 * i, labelShare: 0.5, modelShare: 0.7 })),
    lengthBias: [{ against: 'margin', pearson: 0.31, spearman: 0.28 }] };
  const flags = new Map();
  const handlers = {
    ready: () => ({ protocolVersion: 2, summary: { fileName: 'pairs.jsonl', datasetUri: 'file:///data/pairs.jsonl', displayPath: 'data/pairs.jsonl ' + T, format: 'jsonl', schema: { kind: 'trl-explicit-conversational', description: 'TRL conversational' }, schemaProblem: null, records: N, bytes: N * 900 } }),
    getScores: () => ({ state: 'done', message: 'scored ' + N + ' pairs', done: N, total: N, modelsConfigured: true, analysis }),
    getColumns: () => ({ rows: N, columns }),
    getRows: (p) => ({ rows: p.indices.map(preview) }),
    search: () => ({ indices: [1, 2, 3], truncated: false }),
    getPairDetail: (p) => ({ index: p.index, texts: preview(p.index), explanation: { index: p.index, id: 'a', beta: 0.1, prompt: 'Prompt ' + T, chosen: side('c', 0), rejected: side('r', 1.5), firstDivergence: 2, chosenEditable: 'c', rejectedEditable: 'r' }, explainProblem: null, suspicions: analysis.review[0].suspicions, flag: flags.get(p.index) || null, note: null }),
    setFlag: (p) => { flags.set(p.index, p.flag); return { flag: p.flag }; },
    getFactors: () => factors,
    getFactorRows: () => ({ indices: Array.from({ length: Math.min(N, 500) }, (_, i) => i * 2) }),
    revealRow: () => ({ revealed: false }),
    runCommand: () => ({ started: false }),
    getDatasetSummary: () => handlers.ready().summary,
  };
  window.acquireVsCodeApi = () => ({
    postMessage(message) {
      const h = handlers[message.method];
      setTimeout(() => {
        if (!h) return window.postMessage({ type: 'error', id: message.id, error: { code: 'unknown-method', message: message.method } }, '*');
        window.postMessage({ type: 'response', id: message.id, result: h(message.params) }, '*');
      }, 0);
    },
    // kept in sessionStorage so a reload finds it, as VS Code keeps webview state
    getState: () => JSON.parse(sessionStorage.getItem('preflens-state') || 'null') || undefined,
    setState: (s) => sessionStorage.setItem('preflens-state', JSON.stringify(s)),
  });
}`;
