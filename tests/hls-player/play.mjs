#!/usr/bin/env node
// Plays an HLS ladder with hls.js in headless Chromium and says whether a real client
// could play it: every level switched to and buffered, the media element reached `ended`,
// no fatal/append/parse error, no media element error.
//
//   node tests/hls-player/play.mjs DIR [--master master.m3u8] [--timeout-ms 120000] [--json]
//        [--rate 4] [--seek-end 6] [--verbose] [--hls-debug]
//   node tests/hls-player/play.mjs DIR --serve-only     (serve DIR and the page; no browser)
//
// Exit codes: 0 played, 1 failed to play (or timed out), 2 usage / environment error
// (no DIR/master, no chromium, chromium would not start, playwright-core not installed).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function usage(msg) {
  if (msg) process.stderr.write(`play.mjs: ${msg}\n`);
  process.stderr.write(
    'usage: node play.mjs DIR [--master master.m3u8] [--timeout-ms N] [--json] ' +
    '[--rate R] [--seek-end S] [--verbose]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { dir: null, master: 'master.m3u8', timeoutMs: 120000, json: false, rate: 4, seekEnd: 6, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
    if (a === '--json') o.json = true;
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--serve-only') o.serveOnly = true;
    else if (a === '--hls-debug') { o.hlsDebug = true; o.verbose = true; }
    else if (a === '--master') o.master = val();
    else if (a === '--timeout-ms') o.timeoutMs = Number(val());
    else if (a === '--rate') o.rate = Number(val());
    else if (a === '--seek-end') o.seekEnd = Number(val());
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (o.dir === null) o.dir = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!o.dir) usage('DIR is required');
  if (!(o.timeoutMs > 0)) usage('--timeout-ms must be > 0');
  if (!(o.rate > 0 && o.rate <= 16)) usage('--rate must be in (0, 16]');
  if (!(o.seekEnd >= 0)) usage('--seek-end must be >= 0');
  return o;
}

const MIME = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m3u': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.aac': 'audio/aac',
  '.adts': 'audio/aac',
  '.mp3': 'audio/mpeg',
  '.ac3': 'audio/ac3',
  '.ec3': 'audio/eac3',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.m4v': 'video/mp4',
  '.vtt': 'text/vtt',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};
// .m4s: the brief allows video/mp4 or audio/mp4; hls.js does not care. Use audio/mp4 for
// an audio-only harness.
MIME['.m4s'] = 'audio/mp4';

function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const p = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch { /* next */ }
  }
  return null;
}

// Serves DIR under /media/, the page and hls.js under /__player__/. Records every request.
function startServer(dir, requests) {
  const hlsDist = path.join(path.dirname(require.resolve('hls.js/package.json')), 'dist');
  const fixed = {
    '/__player__/page.html': path.join(here, 'page.html'),
    '/__player__/hls.js': path.join(hlsDist, 'hls.js'),
  };
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const rec = { method: req.method, url: req.url, status: 0, range: req.headers.range || null };
    requests.push(rec);
    const send = (status, body, headers = {}) => {
      rec.status = status;
      res.writeHead(status, { 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*', ...headers });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    let pathname;
    try { pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname); } catch { return send(400, 'bad url'); }
    let file = fixed[pathname];
    if (!file) {
      if (pathname === '/favicon.ico') return send(204, '');
      if (!pathname.startsWith('/media/')) return send(404, 'not found');
      file = path.resolve(root, '.' + pathname.slice('/media'.length));
      if (file !== root && !file.startsWith(root + path.sep)) return send(403, 'forbidden');
    }
    let st;
    try { st = fs.statSync(file); } catch { return send(404, 'not found'); }
    if (!st.isFile()) return send(404, 'not a file');
    const ext = path.extname(file).toLowerCase();
    const type = MIME[ext] || 'application/octet-stream';
    if (PACKED_EXT.has(ext) && pathname.startsWith('/media/')) {
      try { rec.id3Problem = checkPackedId3(file); } catch (e) { rec.id3Problem = `unreadable: ${e.message}`; }
    }
    const headers = { 'Content-Type': type, 'Accept-Ranges': 'bytes' };
    let start = 0, end = st.size - 1, status = 200;
    const range = req.headers.range;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (!m || (m[1] === '' && m[2] === '')) {
        return send(416, '', { 'Content-Range': `bytes */${st.size}` });
      }
      if (m[1] === '') { start = Math.max(0, st.size - Number(m[2])); }
      else { start = Number(m[1]); if (m[2] !== '') end = Math.min(end, Number(m[2])); }
      if (start >= st.size || start > end) return send(416, '', { 'Content-Range': `bytes */${st.size}` });
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
    }
    headers['Content-Length'] = String(st.size === 0 ? 0 : end - start + 1);
    rec.status = status;
    res.writeHead(status, { 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*', ...headers });
    if (req.method === 'HEAD' || st.size === 0) return res.end();
    fs.createReadStream(file, { start, end }).on('error', () => res.destroy()).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// RFC 8216 §3.4: every packed-audio segment MUST start with an ID3 tag whose PRIV frame
// `com.apple.streaming.transportStreamTimestamp` carries the 33-bit PTS of its first sample.
// hls.js plays such segments without the tag too (from playlist timing), so check it here.
const PACKED_EXT = new Set(['.aac', '.adts', '.mp3', '.ac3', '.ec3']);
const PRIV_OWNER = 'com.apple.streaming.transportStreamTimestamp\0';
function checkPackedId3(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(10);
    if (fs.readSync(fd, head, 0, 10, 0) < 10 || head.toString('latin1', 0, 3) !== 'ID3') return 'no ID3 tag at the start';
    const size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9];
    const tag = Buffer.alloc(size);
    fs.readSync(fd, tag, 0, size, 10);
    const at = tag.indexOf(PRIV_OWNER, 0, 'latin1');
    if (at < 0 || tag.toString('latin1', Math.max(0, at - 10), Math.max(0, at - 6)) !== 'PRIV') {
      return 'ID3 tag has no PRIV com.apple.streaming.transportStreamTimestamp';
    }
    if (at + PRIV_OWNER.length + 8 > size) return 'PRIV timestamp shorter than 8 bytes';
    const pts = tag.readBigUInt64BE(at + PRIV_OWNER.length);
    if (pts >> 33n) return `PRIV timestamp ${pts} has bits above 33`;
    return null;
  } finally { fs.closeSync(fd); }
}

// Counts the variants the master playlist declares, so that a level hls.js silently drops
// (say, for a CODECS value the browser can't play) is noticed.
function countVariants(masterFile) {
  const text = fs.readFileSync(masterFile, 'utf8');
  if (!/^#EXTM3U/.test(text)) return { variants: null, media: false };
  const variants = (text.match(/^#EXT-X-STREAM-INF:/gm) || []).length;
  // A media playlist given as --master: one "level".
  const media = variants === 0 && /^#EXTINF:/m.test(text);
  return { variants: media ? 1 : variants, media };
}

function judge(state, opts, expectedLevels, requests, timedOut) {
  const failures = [...(state.failures || [])];
  if (timedOut) failures.push(`hard timeout after ${opts.timeoutMs} ms`);
  if (state.isSupported === false) failures.push('Hls.isSupported() is false');
  const n = state.levels ? state.levels.length : 0;
  if (expectedLevels != null && state.manifestLevels != null && state.manifestLevels !== expectedLevels) {
    failures.push(`master declares ${expectedLevels} variant(s) but hls.js kept ${state.manifestLevels} (unsupported CODECS?)`);
  }
  for (let i = 0; i < n; i++) {
    if (!state.switchedLevels.includes(i)) failures.push(`level ${i} was never switched to while playing`);
    else if (!(state.fragsBuffered[i] > 0)) failures.push(`level ${i} had no fragment buffered`);
  }
  if (!state.ended) failures.push('the media element never fired "ended"');
  for (const e of state.errors) failures.push(`hls.js ${e.fatal ? 'fatal ' : ''}${e.type}/${e.details}${e.url ? ' ' + e.url : ''}${e.reason ? ': ' + e.reason : ''}`);
  for (const e of state.mediaErrors) failures.push(`media element error code ${e.code}: ${e.message}`);
  for (const e of state.pageErrors || []) failures.push(`page error: ${e}`);
  for (const r of requests) {
    if (r.url.startsWith('/media/') && r.status >= 400) failures.push(`HTTP ${r.status} for ${r.url.slice('/media'.length)}`);
    if (r.id3Problem) failures.push(`packed audio ${r.url.slice('/media'.length)}: ${r.id3Problem} (RFC 8216 3.4)`);
  }
  return [...new Set(failures)];
}

function summary(result) {
  const lines = [];
  const s = result;
  lines.push(`hls.js ${s.hlsVersion ?? '?'} in ${s.browser} — ${s.ok ? 'PLAYED' : 'FAILED'} (${s.elapsedMs} ms)`);
  lines.push(`  master: ${s.master}; declared variants: ${s.expectedLevels ?? '?'}; hls.js levels: ${s.levels.length}`);
  for (const l of s.levels) {
    lines.push(`  level ${l.index}: ${l.bitrate} bit/s, CODECS=${l.codecs ?? '-'} (audio ${l.audioCodec ?? '-'}), ` +
      `frags loaded ${s.fragmentsLoaded[l.index] ?? 0}, buffered ${s.fragmentsBuffered[l.index] ?? 0}` +
      `${s.switchedLevels.includes(l.index) ? ', switched' : ', NOT switched'}`);
  }
  lines.push(`  ended: ${s.ended}; played ${s.playedSeconds} s ${JSON.stringify(s.played)}; currentTime ${s.currentTimeAtEnd}; duration ${s.mediaDuration}`);
  for (const w of s.warnings) lines.push(`  warning: ${w.type}/${w.details}${w.url ? ' ' + w.url : ''}${w.reason ? ': ' + w.reason : ''}`);
  for (const f of s.failures) lines.push(`  FAIL: ${f}`);
  return lines.join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const dir = path.resolve(opts.dir);
  const masterFile = path.resolve(dir, opts.master);
  if (!fs.existsSync(masterFile)) usage(`no ${opts.master} in ${dir}`);
  const { variants: expectedLevels } = countVariants(masterFile);

  if (opts.serveOnly) {
    // Debugging aid: serve the ladder and the player page until interrupted.
    const requests = [];
    const server = await startServer(dir, requests);
    const origin = `http://127.0.0.1:${server.address().port}`;
    process.stdout.write(`serving ${dir} at ${origin}/media/ (page ${origin}/__player__/page.html); Ctrl-C to stop\n`);
    const stop = () => { server.closeAllConnections?.(); server.close(() => process.exit(0)); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return;
  }

  const executablePath = findChromium();
  if (!executablePath) usage('no chromium found (install Debian\'s chromium, or set CHROMIUM=/path/to/chrome)');
  let chromium;
  try { ({ chromium } = await import('playwright-core')); } catch (e) {
    usage(`playwright-core is not installed (run \`npm ci\` in ${here}): ${e.message}`);
  }

  const t0 = Date.now();
  const requests = [];
  const consoleLines = [];
  let server = null, browser = null, timer = null, timedOut = false;
  let state = null;
  let browserVersion = '?';
  const cleanup = async () => {
    clearTimeout(timer);
    if (browser) { const b = browser; browser = null; await b.close().catch(() => {}); }
    if (server) { const sv = server; server = null; sv.closeAllConnections?.(); await new Promise((r) => sv.close(() => r())); }
  };
  const onSignal = (sig) => { cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let page = null;
  let launched = false;
  try {
    server = await startServer(dir, requests);
    const port = server.address().port;
    const origin = `http://127.0.0.1:${port}`;
    const masterRel = path.relative(dir, masterFile).split(path.sep).map(encodeURIComponent).join('/');

    const hardTimeout = new Promise((resolve) => {
      timer = setTimeout(() => { timedOut = true; resolve(null); }, opts.timeoutMs);
    });

    browser = await Promise.race([chromium.launch({
      executablePath,
      headless: true,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--autoplay-policy=no-user-gesture-required',
        '--disable-dev-shm-usage',
      ],
      timeout: Math.min(60000, opts.timeoutMs),
    }), hardTimeout]);
    if (!browser) throw new Error('timed out launching chromium');
    launched = true;
    browserVersion = browser.version();
    page = await browser.newPage();
    page.on('console', (m) => {
      const line = `[console.${m.type()}] ${m.text()}`;
      consoleLines.push(line);
      if (opts.verbose) process.stderr.write(line + '\n');
    });
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    await Promise.race([page.goto(`${origin}/__player__/page.html`, { waitUntil: 'load' }), hardTimeout]);
    if (timedOut) throw new Error('timed out loading the page');

    const runOpts = {
      masterUrl: `${origin}/media/${masterRel}`,
      stepTimeoutMs: Math.max(5000, Math.min(30000, opts.timeoutMs / 3)),
      rate: opts.rate,
      seekEnd: opts.seekEnd,
      maxBufferLength: 30,
      hlsDebug: !!opts.hlsDebug,
    };
    state = await Promise.race([page.evaluate((o) => window.runPlayerTest(o), runOpts), hardTimeout]);
    if (!state) {
      // Hard timeout: take whatever the page saw so far.
      state = await Promise.race([
        page.evaluate(() => window.__snapshot()).catch(() => null),
        new Promise((r) => setTimeout(() => r(null), 3000)),
      ]);
    }
  } catch (e) {
    state = state || {};
    state.failures = [...(state.failures || []), `harness: ${e.message}`];
    if (page) {
      const partial = await Promise.race([
        page.evaluate(() => window.__snapshot()).catch(() => null),
        new Promise((r) => setTimeout(() => r(null), 3000)),
      ]);
      if (partial) state = { ...partial, failures: [...(partial.failures || []), ...state.failures] };
    }
  } finally {
    await cleanup();
  }

  state = state || { failures: ['no result from the page'] };
  const norm = {
    levels: state.levels || [], switchedLevels: state.switchedLevels || [], fragsLoaded: state.fragsLoaded || {},
    fragsBuffered: state.fragsBuffered || {}, errors: state.errors || [], warnings: state.warnings || [],
    mediaErrors: state.mediaErrors || [], pageErrors: state.pageErrors || [], failures: state.failures || [],
  };
  Object.assign(state, norm);
  const failures = judge(state, opts, expectedLevels, requests, timedOut);
  const result = {
    ok: failures.length === 0,
    harnessError: !launched,
    dir,
    master: opts.master,
    browser: `Chromium ${browserVersion}`,
    hlsVersion: state.hlsVersion ?? null,
    isSupported: state.isSupported ?? null,
    expectedLevels,
    levels: state.levels,
    switchedLevels: state.switchedLevels,
    levelSwitchedEvents: state.levelSwitchedEvents || [],
    fragmentsLoaded: state.fragsLoaded,
    fragmentsBuffered: state.fragsBuffered,
    ended: !!state.ended,
    playedSeconds: state.playedSeconds ?? 0,
    played: state.played || [],
    currentTimeAtEnd: state.currentTimeAtEnd ?? null,
    mediaDuration: state.mediaDuration ?? null,
    errors: state.errors,
    warnings: state.warnings,
    mediaErrors: state.mediaErrors,
    failures,
    phases: state.phases || [],
    mse: state.mse || {},
    http: {
      requests: requests.length,
      rangeRequests: requests.filter((r) => r.range).length,
      errors: requests.filter((r) => r.status >= 400).map((r) => `${r.status} ${r.url}`),
    },
    elapsedMs: Date.now() - t0,
  };
  if (!result.ok && !opts.verbose && !opts.json) {
    // Context for a failure: the last console lines of the page.
    for (const l of consoleLines.slice(-15)) process.stderr.write(l + '\n');
  }
  process.stdout.write(opts.json ? JSON.stringify(result) + '\n' : summary(result) + '\n');
  // 2: the browser could not even be started (an environment problem, not the ladder's).
  process.exit(result.ok ? 0 : launched ? 1 : 2);
}

main().catch((e) => { process.stderr.write(`play.mjs: ${e.stack || e}\n`); process.exit(2); });
