#!/usr/bin/env node
/* ctest browser_report: Debian's chromium, headless, driven through the DevTools protocol
 * (chrome-remote-interface), on the report.html that test_report builds (BUILD/tmp_report/results,
 * with WAV files in "tmp_report/my music #1/"). It checks what a user does with the page:
 *   1. hovering a point shows its file name (and artist / title) in the tooltip
 *   2. clicking the point starts its audio: the <audio> plays (not paused) the clicked segment's file,
 *      from the segment's start (currentTime within start..end)
 *   3. the search box filters: a file name and a label keep exactly their segments, and a point that
 *      no longer matches shows no tooltip
 *   4. the page makes no network request: every request (Fetch domain, all URL patterns) is file: or
 *      data:; anything else is failed and counted. A control page with an http:// image proves that
 *      the interception sees such a request.
 * Usage: node report_test.js NODE_MODULES_DIR REPORT_HTML
 * Exit 0 when every check passes, 1 otherwise (chromium missing is a failure, not a skip). */
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const {spawn, execFileSync} = require('child_process');

const [modules, report] = process.argv.slice(2);
if (!modules || !report) {
  console.error('usage: report_test.js NODE_MODULES_DIR REPORT_HTML');
  process.exit(2);
}
const CDP = require(path.resolve(modules, 'chrome-remote-interface'));

let failed = 0, passed = 0;
function check(ok, what) {
  if (ok) { passed++; console.log('  ok   ' + what); } else { failed++; console.log('  FAIL ' + what); }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function findChromium() {
  for (const name of ['chromium', 'chromium-browser']) {
    try { return execFileSync('sh', ['-c', 'command -v ' + name]).toString().trim(); } catch (e) { /* next */ }
  }
  return null;
}

/* Start chromium headless with a DevTools port; resolves to {proc, port, dir}. */
function launch(bin) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-chromium-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions',
    '--autoplay-policy=no-user-gesture-required', '--mute-audio', '--allow-file-access-from-files',
    '--remote-debugging-port=0', '--user-data-dir=' + dir, '--window-size=1280,900', 'about:blank'];
  const proc = spawn(bin, args, {stdio: ['ignore', 'ignore', 'pipe']});
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error('chromium did not open a DevTools port in 60 s:\n' + err)), 60000);
    proc.stderr.on('data', (d) => {
      err += d.toString();
      const m = err.match(/DevTools listening on ws:\/\/[^:]+:(\d+)\//);
      if (m) { clearTimeout(timer); resolve({proc, port: +m[1], dir}); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error('chromium exited (' + code + '):\n' + err)); });
  });
}

async function main() {
  const bin = findChromium();
  if (!bin) {
    console.error('browser_report: chromium is not installed (scripts/install-deps.sh installs it): FAIL');
    process.exit(1);
  }
  if (!fs.existsSync(report)) {
    console.error('browser_report: ' + report + ' does not exist (test_report writes it)');
    process.exit(1);
  }
  const {proc, port, dir} = await launch(bin);
  let client;
  try {
    const target = await CDP.New({port});
    client = await CDP({port, target});
    const {Page, Runtime, Input, Fetch, Network, Emulation} = client;
    const requests = [], blocked = [];
    Network.requestWillBeSent((p) => requests.push(p.request.url));
    Fetch.requestPaused(async (p) => {
      const url = p.request.url;
      if (/^(file|data|blob):/.test(url)) {
        await Fetch.continueRequest({requestId: p.requestId}).catch(() => {});
      } else {
        blocked.push(url);
        await Fetch.failRequest({requestId: p.requestId, errorReason: 'BlockedByClient'}).catch(() => {});
      }
    });
    await Network.enable();
    await Fetch.enable({patterns: [{urlPattern: '*'}]});
    await Page.enable();
    await Runtime.enable();
    await Emulation.setDeviceMetricsOverride({width: 1280, height: 900, deviceScaleFactor: 1, mobile: false});
    const ev = async (expr) => {
      const r = await Runtime.evaluate({expression: expr, returnByValue: true, awaitPromise: true});
      if (r.exceptionDetails) throw new Error('page: ' + expr + ': ' + JSON.stringify(r.exceptionDetails.exception || r.exceptionDetails));
      return r.result.value;
    };
    const waitFor = async (expr, ms) => {
      const t0 = Date.now();
      while (Date.now() - t0 < ms) {
        if (await ev(expr)) return true;
        await sleep(100);
      }
      return false;
    };

    /* control: an http:// image is seen and blocked, so the check below can fail */
    await Page.navigate({url: 'data:text/html,<img src="http://192.0.2.1/x.png">'});
    await sleep(1500);
    check(blocked.some((u) => u.startsWith('http://192.0.2.1/')), 'control page: an http:// request is intercepted');
    blocked.length = 0;
    requests.length = 0;

    const url = 'file://' + path.resolve(report);
    await Page.navigate({url});
    check(await waitFor("document.body && document.body.getAttribute('data-maps-ready') !== null", 30000),
      'the page loads and its maps are drawn');
    const nMaps = await ev("+document.body.getAttribute('data-maps-ready')");
    check(nMaps >= 1, nMaps + ' interactive map(s)');
    const data = await ev("JSON.parse(document.getElementById('mc-data').textContent)");
    const segOf = (i) => ({file: data.tracks[data.rows.track[i]].file, start: data.rows.start[i],
      end: data.rows.start[i] + data.segment, track: data.tracks[data.rows.track[i]]});

    /* 1. hover */
    const I = 13; /* segment 1 of track 3: "song 3.wav", 3-6 s */
    const want = segOf(I);
    await ev("document.querySelector('div.mcmap').scrollIntoView({block: 'center'}), true");
    await sleep(200);
    const pt = await ev('window.mcReport.point(0, ' + I + ')');
    check(pt && pt.x > 0 && pt.y > 0 && pt.x < 1280 && pt.y < 900, 'segment ' + I + ' is on screen at ' + JSON.stringify(pt));
    await Input.dispatchMouseEvent({type: 'mouseMoved', x: pt.x, y: pt.y});
    await sleep(200);
    const tip = await ev("(function(){var t=document.querySelector('div.mcmap .mctip');return {shown: t.style.display !== 'none', text: t.textContent, hover: document.querySelector('div.mcmap').getAttribute('data-hover')};})()");
    check(tip.shown && tip.hover === String(I), 'hover: the tooltip is shown for segment ' + I + ' (data-hover ' + tip.hover + ')');
    check(tip.text.includes(want.file), 'hover: the tooltip names the file "' + want.file + '": "' + tip.text + '"');
    check(!want.track.title || tip.text.includes(want.track.title), 'hover: the tooltip shows the title "' + (want.track.title || '') + '"');
    check(/cluster/.test(tip.text) && /genre/.test(tip.text), 'hover: the tooltip shows the labels and the cluster');

    /* 2. click plays the segment */
    await Input.dispatchMouseEvent({type: 'mousePressed', x: pt.x, y: pt.y, button: 'left', clickCount: 1});
    await Input.dispatchMouseEvent({type: 'mouseReleased', x: pt.x, y: pt.y, button: 'left', clickCount: 1});
    const playing = await waitFor("(function(){var a=document.getElementById('mc-audio');return !a.paused && a.readyState >= 2 && a.currentTime > 0;})()", 15000);
    const st = await ev("(function(){var a=document.getElementById('mc-audio');return {paused: a.paused, t: a.currentTime, src: a.currentSrc || a.src, err: a.error && a.error.message, now: document.getElementById('mc-now').textContent};})()");
    check(playing && !st.paused, 'click: the audio plays (paused ' + st.paused + ', error ' + st.err + ', "' + st.now + '")');
    check(decodeURIComponent(st.src).includes('/my music #1/' + want.file) && st.src.startsWith('file://'),
      'click: the audio is the segment\'s own file, by a relative path: ' + st.src);
    check(st.t >= want.start - 0.05 && st.t <= want.end + 0.3,
      'click: playback is inside the segment (' + st.t.toFixed(2) + ' s in ' + want.start + '..' + want.end + ')');
    await ev("document.getElementById('mc-audio').pause(), true");

    /* 3. search */
    const type = async (text) => {
      await ev("(function(){var s=document.getElementById('mc-search');s.focus();s.select();return true;})()");
      await Input.dispatchKeyEvent({type: 'keyDown', key: 'Backspace', code: 'Backspace', windowsVirtualKeyCode: 8});
      await Input.dispatchKeyEvent({type: 'keyUp', key: 'Backspace', code: 'Backspace', windowsVirtualKeyCode: 8});
      if (text) await Input.insertText({text});
      await sleep(150);
      return ev("+document.getElementById('mc-search-count').getAttribute('data-count')");
    };
    const expect = (pred) => data.rows.track.filter((t, i) => pred(i)).length;
    const nFile = await type(want.file);
    check(nFile === expect((i) => segOf(i).file === want.file) && nFile > 0 && nFile < data.rows.track.length,
      'search "' + want.file + '": ' + nFile + ' segments match');
    const genre = data.columns.find((c) => c.name === 'genre');
    const cls = genre.classes[genre.ids[0]];
    const nCls = await type(cls);
    check(nCls === expect((i) => genre.ids[i] === genre.ids[0] || segOf(i).file.toLowerCase().includes(cls) ||
      (segOf(i).track.title || '').toLowerCase().includes(cls) || (segOf(i).track.artist || '').toLowerCase().includes(cls) ||
      data.columns.some((c) => c.ids[i] >= 0 && c.classes[c.ids[i]].toLowerCase().includes(cls))),
    'search "' + cls + '": ' + nCls + ' segments match');
    await type(want.file);
    /* a point of another file no longer answers to the mouse */
    const other = data.rows.track.findIndex((t, i) => segOf(i).file !== want.file);
    const po = await ev('window.mcReport.point(0, ' + other + ')');
    await Input.dispatchMouseEvent({type: 'mouseMoved', x: po.x, y: po.y});
    await sleep(150);
    const hov = await ev("document.querySelector('div.mcmap').getAttribute('data-hover')");
    const tipShown = await ev("document.querySelector('div.mcmap .mctip').style.display !== 'none'");
    check(hov === '-1' && !tipShown, 'search: a filtered-out point shows no tooltip (data-hover ' + hov + ')');
    const nAll = await type('');
    check(nAll === data.rows.track.length, 'search cleared: all ' + nAll + ' segments');

    /* 4. no network */
    const foreign = requests.filter((u) => !/^(file|data|blob):/.test(u));
    check(blocked.length === 0 && foreign.length === 0,
      'no network request (' + requests.length + ' requests, all file:/data:' + (blocked.length ? '; blocked: ' + blocked.join(' ') : '') + ')');
  } finally {
    if (client) await client.close().catch(() => {});
    proc.kill('SIGKILL');
    await sleep(200);
    fs.rmSync(dir, {recursive: true, force: true});
  }
  console.log('browser_report: ' + passed + ' passed, ' + failed + ' failed');
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error('browser_report: ' + (e && e.stack || e));
  process.exit(1);
});
