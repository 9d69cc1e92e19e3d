/* The interactive maps of report.html (written for musiclust; no library). Reads the JSON in
 * <script id="mc-data" type="application/json"> (html_map.c writes it) and turns every
 * div.mcmap with data-map="I" into a canvas map of representation I:
 *   hover   a tooltip: file name, artist / title when the metadata has them, the segment's time, its
 *           labels and its cluster
 *   click   plays that segment of the original audio in the page's one <audio id="mc-audio"> (the
 *           file's path relative to the report, from the segment's start to its end)
 *   wheel   zooms around the pointer; drag pans; double-click resets the view
 *   selects t-SNE / UMAP, and colour by cluster or by any label column (the colours are the ones the
 *           PNG/SVG figures use: html_map.c passes mc_plot_category_hex of each class)
 * The search box (#mc-search) keeps the segments whose file name, artist, title or labels contain
 * the text (case-insensitive) and greys the rest, on every map.
 * For headless tests: window.mcReport.point(map, i) gives a point's position in the viewport,
 * #mc-search-count says how many segments match, each div.mcmap carries data-hover (the
 * hovered segment) and data-matches. */
(function () {
  'use strict';
  var el = document.getElementById('mc-data');
  if (!el) return;
  var D = JSON.parse(el.textContent);
  var N = D.rows.track.length;
  var audio = document.getElementById('mc-audio');
  var nowPlaying = document.getElementById('mc-now');
  var matches = new Uint8Array(N);
  var nMatch = N;
  var searchVersion = 0;
  var maps = [];
  var stopAt = -1;
  for (var i = 0; i < N; i++) matches[i] = 1;

  function fmtTime(s) {
    var m = Math.floor(s / 60), r = s - 60 * m;
    return m + ':' + (r < 10 ? '0' : '') + r.toFixed(1);
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (ch) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[ch];
    });
  }
  function track(i) { return D.tracks[D.rows.track[i]]; }
  function segEnd(i) {
    var t = track(i), s = D.rows.start[i];
    var e = D.segment > 0 ? s + D.segment : (t.duration > 0 ? t.duration : s);
    return e;
  }
  /* The text the search looks in, lower case: file name, artist, title, label values. */
  var hay = new Array(N);
  for (i = 0; i < N; i++) {
    var t = track(i), parts = [t.file, t.artist || '', t.title || ''];
    for (var c = 0; c < D.columns.length; c++) {
      var id = D.columns[c].ids[i];
      if (id >= 0) parts.push(D.columns[c].classes[id]);
    }
    hay[i] = parts.join('\u0001').toLowerCase();
  }

  function play(i) {
    var t = track(i), start = D.rows.start[i], end = segEnd(i);
    /* encode each path segment: '#', '?', '%' and spaces are legal in file names */
    var url = t.src.split('/').map(encodeURIComponent).join('/');
    stopAt = end > start ? end : -1;
    audio.src = url + '#t=' + start.toFixed(3) + (end > start ? ',' + end.toFixed(3) : '');
    audio.setAttribute('data-segment', String(i));
    var seek = function () {
      if (Math.abs(audio.currentTime - start) > 0.25) audio.currentTime = start;
    };
    audio.addEventListener('loadedmetadata', seek, {once: true});
    var p = audio.play();
    if (p && p.catch) p.catch(function (e) { nowPlaying.textContent = 'Cannot play ' + t.file + ': ' + e.message; });
    nowPlaying.innerHTML = 'Playing <b>' + esc(t.file) + '</b> ' + fmtTime(start) + '&ndash;' + fmtTime(end) +
      (t.artist || t.title ? ' &middot; ' + esc([t.artist, t.title].filter(Boolean).join(' \u2014 ')) : '');
  }
  audio.addEventListener('timeupdate', function () {
    if (stopAt > 0 && audio.currentTime >= stopAt) { audio.pause(); stopAt = -1; }
  });
  audio.addEventListener('error', function () {
    var s = audio.getAttribute('data-segment');
    if (s !== null) nowPlaying.textContent = 'Cannot open ' + track(+s).src + ' (moved, or not readable from this page)';
  });

  function Map(div) {
    var self = this;
    this.div = div;
    this.m = D.maps[+div.getAttribute('data-map')];
    this.method = 0;
    this.colour = 'cluster';
    this.hover = -1;
    var bar = document.createElement('div');
    bar.className = 'mcbar';
    var ms = document.createElement('select');
    ms.className = 'mc-method';
    this.m.methods.forEach(function (me, k) { ms.add(new Option(me.name, String(k))); });
    var cs = document.createElement('select');
    cs.className = 'mc-colour';
    if (this.m.clusters) cs.add(new Option('colour: ' + this.m.algo + ' cluster', 'cluster'));
    D.columns.forEach(function (col, k) { cs.add(new Option('colour: ' + col.name, String(k))); });
    if (!this.m.clusters) this.colour = D.columns.length ? '0' : 'none';
    cs.value = this.colour;
    var hint = document.createElement('span');
    hint.className = 'sub';
    hint.textContent = ' hover a point for its song, click to listen; wheel zooms, drag pans, double-click resets';
    bar.appendChild(ms);
    bar.appendChild(cs);
    bar.appendChild(hint);
    div.appendChild(bar);
    var wrap = document.createElement('div');
    wrap.className = 'mcwrap';
    this.canvas = document.createElement('canvas');
    this.tip = document.createElement('div');
    this.tip.className = 'mctip';
    this.tip.style.display = 'none';
    wrap.appendChild(this.canvas);
    wrap.appendChild(this.tip);
    div.appendChild(wrap);
    this.legend = document.createElement('div');
    this.legend.className = 'mclegend';
    div.appendChild(this.legend);
    ms.addEventListener('change', function () { self.method = +ms.value; self.reset(); });
    cs.addEventListener('change', function () { self.colour = cs.value; self.draw(); });
    this.reset();
    this.bind();
  }
  Map.prototype.xy = function () { return this.m.methods[this.method].xy; };
  Map.prototype.reset = function () {
    var xy = this.xy(), x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (var i = 0; i < N; i++) {
      var x = xy[2 * i], y = xy[2 * i + 1];
      if (x === null || y === null) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
    if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
    this.box = [x0, x1, y0, y1];
    this.zoom = 1;
    this.panx = 0;
    this.pany = 0;
    this.draw();
  };
  /* data -> canvas CSS pixels */
  Map.prototype.px = function (i) {
    var xy = this.xy(), b = this.box, W = this.W, H = this.H, pad = 14;
    var x = xy[2 * i], y = xy[2 * i + 1];
    if (x === null || y === null) return null;
    var u = pad + (x - b[0]) / (b[1] - b[0]) * (W - 2 * pad), v = H - pad - (y - b[2]) / (b[3] - b[2]) * (H - 2 * pad);
    return [(u - W / 2) * this.zoom + W / 2 + this.panx, (v - H / 2) * this.zoom + H / 2 + this.pany];
  };
  Map.prototype.category = function (i) {
    if (this.colour === 'cluster') return this.m.clusters[i];
    if (this.colour === 'none') return 0;
    return D.columns[+this.colour].ids[i];
  };
  Map.prototype.colours = function () {
    if (this.colour === 'cluster') return this.m.clusterColours;
    if (this.colour === 'none') return ['#0072B2'];
    return D.columns[+this.colour].colours;
  };
  Map.prototype.names = function () {
    if (this.colour === 'cluster') return this.m.clusterNames;
    if (this.colour === 'none') return ['segment'];
    return D.columns[+this.colour].classes;
  };
  Map.prototype.draw = function () {
    var cv = this.canvas, dpr = window.devicePixelRatio || 1;
    this.W = Math.max(200, cv.parentNode.clientWidth || 800);
    this.H = Math.round(Math.min(560, Math.max(320, this.W * 0.6)));
    cv.style.width = this.W + 'px';
    cv.style.height = this.H + 'px';
    cv.width = Math.round(this.W * dpr);
    cv.height = Math.round(this.H * dpr);
    var g = cv.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, this.W, this.H);
    var cols = this.colours(), r = N > 5000 ? 1.8 : N > 1000 ? 2.6 : 3.6;
    /* greyed points first (search misses and unlabelled), then each category in ascending id */
    var i, k, self = this;
    /* the drawing order changes only with the colouring or the search: cached, so that a hover
     * redraw of a big map does not sort again */
    var okey = this.colour + '|' + searchVersion;
    if (this.orderKey !== okey) {
      var keys = new Int32Array(N);
      for (i = 0; i < N; i++) { var ci = self.category(i); keys[i] = matches[i] ? (ci < 0 ? -1 : ci) : -2; }
      this.order = new Array(N);
      for (i = 0; i < N; i++) this.order[i] = i;
      this.order.sort(function (a, b) { return keys[a] - keys[b] || a - b; });
      this.orderKey = okey;
    }
    var order = this.order;
    var counts = {};
    for (k = 0; k < order.length; k++) {
      i = order[k];
      var p = this.px(i);
      if (!p) continue;
      var c = this.category(i);
      if (matches[i]) counts[c] = (counts[c] || 0) + 1;
      g.fillStyle = !matches[i] ? 'rgba(200,200,200,0.35)' : c < 0 ? '#B0B0B0' : cols[c % cols.length];
      g.globalAlpha = matches[i] ? 0.85 : 1;
      g.beginPath();
      g.arc(p[0], p[1], matches[i] ? r : r * 0.7, 0, 2 * Math.PI);
      g.fill();
    }
    g.globalAlpha = 1;
    if (this.hover >= 0) {
      var h = this.px(this.hover);
      if (h) {
        g.strokeStyle = '#000';
        g.lineWidth = 2;
        g.beginPath();
        g.arc(h[0], h[1], r + 3, 0, 2 * Math.PI);
        g.stroke();
      }
    }
    var names = this.names(), html = '';
    for (k = 0; k < names.length; k++)
      if (counts[k]) html += '<span class="sw"><i style="background:' + cols[k % cols.length] + '"></i>' + esc(names[k]) + ' (' + counts[k] + ')</span>';
    if (counts[-1]) html += '<span class="sw"><i style="background:#B0B0B0"></i>' + (this.colour === 'cluster' ? 'noise' : 'unlabelled') + ' (' + counts[-1] + ')</span>';
    this.legend.innerHTML = html;
    this.div.setAttribute('data-matches', String(nMatch));
  };
  Map.prototype.nearest = function (x, y) {
    var best = -1, bd = 10 * 10;
    for (var i = 0; i < N; i++) {
      if (!matches[i]) continue;
      var p = this.px(i);
      if (!p) continue;
      var d = (p[0] - x) * (p[0] - x) + (p[1] - y) * (p[1] - y);
      if (d <= bd) { bd = d; best = i; }
    }
    return best;
  };
  Map.prototype.tipHtml = function (i) {
    var t = track(i), s = '<b>' + esc(t.file) + '</b>';
    if (t.artist || t.title) s += '<br>' + esc([t.artist, t.title].filter(Boolean).join(' \u2014 '));
    s += '<br><span class="sub">' + fmtTime(D.rows.start[i]) + '&ndash;' + fmtTime(segEnd(i)) + ' (segment ' + i + ')</span>';
    for (var c = 0; c < D.columns.length; c++) {
      var id = D.columns[c].ids[i];
      s += '<br>' + esc(D.columns[c].name) + ': ' + (id >= 0 ? esc(D.columns[c].classes[id]) : '<i>unlabelled</i>');
    }
    if (this.m.clusters) {
      var k = this.m.clusters[i];
      s += '<br>' + esc(this.m.algo) + ' cluster: <b>' + (k < 0 ? 'noise' : esc(this.m.clusterNames[k])) + '</b>';
    }
    return s;
  };
  Map.prototype.bind = function () {
    var self = this, cv = this.canvas, drag = null;
    var pos = function (e) { var b = cv.getBoundingClientRect(); return [e.clientX - b.left, e.clientY - b.top]; };
    cv.addEventListener('mousemove', function (e) {
      var p = pos(e);
      if (drag) {
        if (Math.abs(p[0] - drag[0]) + Math.abs(p[1] - drag[1]) > 3) drag[4] = true;
        if (drag[4]) {
          self.panx = drag[2] + p[0] - drag[0];
          self.pany = drag[3] + p[1] - drag[1];
          self.draw();
        }
        return;
      }
      var i = self.nearest(p[0], p[1]);
      if (i !== self.hover) {
        self.hover = i;
        self.div.setAttribute('data-hover', String(i));
        self.draw();
      }
      if (i < 0) { self.tip.style.display = 'none'; return; }
      self.tip.innerHTML = self.tipHtml(i);
      self.tip.style.display = 'block';
      self.tip.style.left = Math.min(p[0] + 14, self.W - 260) + 'px';
      self.tip.style.top = (p[1] + 14) + 'px';
      cv.style.cursor = 'pointer';
    });
    cv.addEventListener('mouseleave', function () {
      drag = null;
      self.tip.style.display = 'none';
      if (self.hover >= 0) { self.hover = -1; self.div.setAttribute('data-hover', '-1'); self.draw(); }
    });
    cv.addEventListener('mousedown', function (e) { var p = pos(e); drag = [p[0], p[1], self.panx, self.pany, false]; });
    cv.addEventListener('mouseup', function (e) {
      var moved = drag && drag[4];
      drag = null;
      if (moved) return;
      var p = pos(e), i = self.nearest(p[0], p[1]);
      if (i >= 0) play(i);
    });
    cv.addEventListener('wheel', function (e) {
      e.preventDefault();
      var p = pos(e), f = e.deltaY < 0 ? 1.25 : 0.8, z = Math.min(200, Math.max(1, self.zoom * f));
      f = z / self.zoom;
      /* keep the data point under the pointer in place */
      self.panx = (p[0] - self.W / 2) - (p[0] - self.W / 2 - self.panx) * f;
      self.pany = (p[1] - self.H / 2) - (p[1] - self.H / 2 - self.pany) * f;
      self.zoom = z;
      if (z === 1) { self.panx = 0; self.pany = 0; }
      self.draw();
    }, {passive: false});
    cv.addEventListener('dblclick', function () { self.reset(); });
  };

  var search = document.getElementById('mc-search'), count = document.getElementById('mc-search-count');
  function applySearch() {
    var q = search.value.trim().toLowerCase();
    searchVersion++;
    nMatch = 0;
    for (var i = 0; i < N; i++) {
      matches[i] = !q || hay[i].indexOf(q) >= 0 ? 1 : 0;
      nMatch += matches[i];
    }
    count.textContent = q ? nMatch + ' of ' + N + ' segments match' : N + ' segments';
    count.setAttribute('data-count', String(nMatch));
    maps.forEach(function (m) {
      m.hover = -1;
      m.div.setAttribute('data-hover', '-1');
      m.tip.style.display = 'none';
      m.draw();
    });
  }
  if (search) search.addEventListener('input', applySearch);
  var divs = document.querySelectorAll('div.mcmap');
  for (i = 0; i < divs.length; i++) maps.push(new Map(divs[i]));
  if (search) applySearch();
  window.addEventListener('resize', function () { maps.forEach(function (m) { m.draw(); }); });
  window.mcReport = {
    maps: maps,
    /* the viewport position of segment i on map k (null when it has no finite coordinates) */
    point: function (k, i) {
      var m = maps[k], p = m.px(i), b = m.canvas.getBoundingClientRect();
      return p ? {x: b.left + p[0], y: b.top + p[1]} : null;
    },
    segments: N
  };
  document.body.setAttribute('data-maps-ready', String(maps.length));
})();
