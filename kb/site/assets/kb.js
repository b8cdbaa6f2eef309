/* kb: hover previews of internal links and the interactive note graph.
 * Plain JavaScript, no dependencies, nothing fetched from another host: the
 * data files sit next to this script (assets/kb/) in the built site.
 * Author-written text is only ever assigned with textContent.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var root = new URL("../../", script ? script.src : location.href);
  var SVG = "http://www.w3.org/2000/svg";

  function dataUrl(name) { return new URL("assets/kb/" + name, root).href; }

  function fetchJson(href) {
    return fetch(href, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(href + ": HTTP " + response.status); }
      return response.json();
    });
  }

  /* Site-relative page key of a URL on this site ("AlexNet/"), or null for other hosts and non-pages. */
  function pageKey(href) {
    var url;
    try { url = new URL(href, location.href); } catch (e) { return null; }
    if (url.origin !== root.origin || url.pathname.indexOf(root.pathname) !== 0) { return null; }
    var path = url.pathname.slice(root.pathname.length).replace(/index\.html$/, "");
    try { return decodeURIComponent(path); } catch (e) { return path; }
  }

  /* ------------------------------------------------------------------ previews */

  var pages = null;
  var pagesRequest = null;
  var bubble = null;
  var showTimer = 0;

  function loadPages() {
    if (!pagesRequest) {
      pagesRequest = fetchJson(dataUrl("pages.json")).then(function (data) {
        pages = {};
        Object.keys(data).forEach(function (key) {
          var decoded;
          try { decoded = decodeURIComponent(key); } catch (e) { decoded = key; }
          pages[decoded] = data[key];
        });
        return pages;
      }).catch(function () { pages = {}; return pages; });
    }
    return pagesRequest;
  }

  function hidePreview() {
    clearTimeout(showTimer);
    if (bubble) { bubble.remove(); bubble = null; }
  }

  function placeBubble(anchor) {
    document.body.appendChild(bubble);
    var box = anchor.getBoundingClientRect();
    var left = Math.min(box.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - bubble.offsetWidth - 8);
    bubble.style.left = Math.max(8, left) + "px";
    bubble.style.top = (box.bottom + window.scrollY + 6) + "px";
  }

  /* A fact badge's evidence, readable on hover and on keyboard focus (tables clip CSS-only popups). */
  function showEvidence(badge) {
    hidePreview();
    bubble = document.createElement("div");
    bubble.className = "kb-preview kb-evidence";
    bubble.setAttribute("role", "tooltip");
    bubble.textContent = badge.getAttribute("aria-label") || "";
    placeBubble(badge);
  }

  function showPreview(link, entry) {
    hidePreview();
    bubble = document.createElement("div");
    bubble.className = "kb-preview";
    bubble.setAttribute("role", "tooltip");
    var title = document.createElement("div");
    title.className = "kb-preview-title";
    title.textContent = entry.title;
    bubble.appendChild(title);
    if (entry.aliases && entry.aliases.length) {
      var aliases = document.createElement("div");
      aliases.className = "kb-preview-aliases";
      aliases.textContent = "Also: " + entry.aliases.join(", ");
      bubble.appendChild(aliases);
    }
    var summary = document.createElement("div");
    summary.textContent = entry.summary || "";
    bubble.appendChild(summary);
    placeBubble(link);
  }

  function onPointerOver(event) {
    var badge = event.target.closest && event.target.closest(".kb-badge");
    if (badge) { showEvidence(badge); return; }
    var link = event.target.closest && event.target.closest(".md-content a[href]");
    if (!link || link.closest(".kb-graph") || link.classList.contains("headerlink")) { return; }
    var key = pageKey(link.href);
    if (key === null || key === pageKey(location.href)) { return; }
    clearTimeout(showTimer);
    showTimer = setTimeout(function () {
      loadPages().then(function (index) {
        var entry = index[key];
        if (entry && link.matches(":hover")) { showPreview(link, entry); }
      });
    }, 250);
  }

  /* The bubble replaces the native tooltip, which would otherwise show the same words a second time. */
  document.querySelectorAll(".kb-badge[title]").forEach(function (badge) { badge.removeAttribute("title"); });
  document.addEventListener("mouseover", onPointerOver);
  document.addEventListener("mouseout", function (event) {
    if (event.target.closest && event.target.closest("a[href], .kb-badge")) { hidePreview(); }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(".md-content a[href], .kb-badge")) { onPointerOver(event); }
  });
  document.addEventListener("focusout", hidePreview);
  /* Bubbles are placed in document coordinates, so they stay by their anchor when the page scrolls. */

  /* ------------------------------------------------------------------ graph */

  /* A force layout: springs along edges, repulsion between nearby nodes (grid-bucketed, so cost
   * stays linear in the number of nodes), a weak pull to the centre. Starts from a phyllotaxis
   * spiral, so the same graph always gets the same picture. */
  function layout(nodes, edges) {
    var n = nodes.length;
    var golden = Math.PI * (3 - Math.sqrt(5));
    nodes.forEach(function (node, i) {
      var r = 12 * Math.sqrt(i + 0.5);
      node.x = r * Math.cos(i * golden);
      node.y = r * Math.sin(i * golden);
      node.vx = 0; node.vy = 0;
    });
    var spring = 60, reach = 150, ticks = n > 600 ? 80 : n > 150 ? 160 : 300;
    for (var t = 0; t < ticks; t++) {
      var alpha = 1 - t / ticks;
      var grid = new Map();
      nodes.forEach(function (node) {
        var key = Math.floor(node.x / reach) + ":" + Math.floor(node.y / reach);
        if (!grid.has(key)) { grid.set(key, []); }
        grid.get(key).push(node);
      });
      nodes.forEach(function (a) {
        var gx = Math.floor(a.x / reach), gy = Math.floor(a.y / reach);
        for (var dx = -1; dx <= 1; dx++) {
          for (var dy = -1; dy <= 1; dy++) {
            var cell = grid.get((gx + dx) + ":" + (gy + dy));
            if (!cell) { continue; }
            for (var k = 0; k < cell.length; k++) {
              var b = cell[k];
              if (b === a) { continue; }
              var x = a.x - b.x, y = a.y - b.y, d2 = x * x + y * y + 0.01;
              if (d2 > reach * reach) { continue; }
              var push = 900 / d2;
              a.vx += x * push * 0.5; a.vy += y * push * 0.5;
            }
          }
        }
      });
      edges.forEach(function (edge) {
        var a = edge.a, b = edge.b;
        var x = b.x - a.x, y = b.y - a.y, d = Math.sqrt(x * x + y * y) || 1;
        var pull = (d - spring) / d * 0.05;
        a.vx += x * pull; a.vy += y * pull;
        b.vx -= x * pull; b.vy -= y * pull;
      });
      nodes.forEach(function (node) {
        node.vx -= node.x * 0.004; node.vy -= node.y * 0.004;
        var speed = Math.sqrt(node.vx * node.vx + node.vy * node.vy), cap = 20 * alpha + 1;
        if (speed > cap) { node.vx *= cap / speed; node.vy *= cap / speed; }
        node.x += node.vx; node.y += node.vy;
        node.vx *= 0.6; node.vy *= 0.6;
      });
    }
  }

  function svgElement(name, attrs) {
    var element = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { element.setAttribute(key, attrs[key]); });
    return element;
  }

  function drawGraph(container, data) {
    var byId = new Map();
    var nodes = data.nodes.map(function (node) {
      var copy = { id: node.id, label: node.label, url: node.url, kind: node.kind, degree: 0 };
      byId.set(node.id, copy);
      return copy;
    });
    var edges = [];
    data.edges.forEach(function (pair) {
      var a = byId.get(pair[0]), b = byId.get(pair[1]);
      if (a && b && a !== b) { edges.push({ a: a, b: b, kind: pair[2] }); a.degree++; b.degree++; }
    });
    layout(nodes, edges);

    var svg = svgElement("svg", { role: "img", "aria-label": "Note graph" });
    var view = svgElement("g", { "class": "kb-graph-view" });
    svg.appendChild(view);
    edges.forEach(function (edge) {
      view.appendChild(svgElement("line", {
        "class": "kb-edge" + (edge.kind === "lineage" ? " kb-edge-lineage" : ""),
        x1: edge.a.x.toFixed(1), y1: edge.a.y.toFixed(1), x2: edge.b.x.toFixed(1), y2: edge.b.y.toFixed(1)
      }));
    });
    var showLabels = nodes.length <= 200;
    nodes.forEach(function (node) {
      var radius = 4 + Math.min(8, Math.sqrt(node.degree) * 1.6);
      var group = svgElement("g", {
        "class": "kb-node kb-gnode" + (node.kind === "missing" ? " kb-node-missing" : "") +
                 (node.kind === "file" ? " kb-gnode-file" : ""),
        "data-id": node.id
      });
      var title = svgElement("title");
      title.textContent = node.label + (node.kind === "missing" ? " (missing note)" : "");
      group.appendChild(title);
      if (node.kind === "file") {
        group.appendChild(svgElement("rect", { x: node.x - 5, y: node.y - 5, width: 10, height: 10 }));
      } else {
        group.appendChild(svgElement("circle", { cx: node.x.toFixed(1), cy: node.y.toFixed(1), r: radius.toFixed(1) }));
      }
      if (showLabels) {
        var text = svgElement("text", { x: (node.x + radius + 3).toFixed(1), y: (node.y + 4).toFixed(1) });
        text.textContent = node.label;
        group.appendChild(text);
      }
      if (node.url !== null && node.url !== undefined) {
        group.setAttribute("tabindex", "0");
        group.setAttribute("role", "link");
        group.setAttribute("aria-label", node.label);
        var open = function () { location.href = new URL(node.url, root).href; };
        group.addEventListener("click", open);
        group.addEventListener("keydown", function (event) { if (event.key === "Enter") { open(); } });
      }
      view.appendChild(group);
    });
    container.appendChild(svg);

    /* Pan and zoom: one transform on the view group. */
    var box = container.getBoundingClientRect();
    var xs = nodes.map(function (n) { return n.x; }), ys = nodes.map(function (n) { return n.y; });
    var minX = Math.min.apply(null, xs.concat([0])) - 40, maxX = Math.max.apply(null, xs.concat([0])) + 120;
    var minY = Math.min.apply(null, ys.concat([0])) - 40, maxY = Math.max.apply(null, ys.concat([0])) + 40;
    var scale = Math.min(box.width / (maxX - minX), box.height / (maxY - minY), 2);
    var tx = (box.width - (maxX - minX) * scale) / 2 - minX * scale;
    var ty = (box.height - (maxY - minY) * scale) / 2 - minY * scale;
    function apply() { view.setAttribute("transform", "translate(" + tx + " " + ty + ") scale(" + scale + ")"); }
    apply();

    var drag = null;
    svg.addEventListener("pointerdown", function (event) {
      if (event.target.closest(".kb-gnode")) { return; }
      drag = { x: event.clientX, y: event.clientY, tx: tx, ty: ty };
      container.classList.add("kb-dragging");
      svg.setPointerCapture(event.pointerId);
    });
    svg.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      tx = drag.tx + event.clientX - drag.x;
      ty = drag.ty + event.clientY - drag.y;
      apply();
    });
    function endDrag() { drag = null; container.classList.remove("kb-dragging"); }
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", endDrag);
    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      var rect = svg.getBoundingClientRect();
      var px = event.clientX - rect.left, py = event.clientY - rect.top;
      var factor = Math.exp(-event.deltaY * 0.0015);
      var next = Math.max(0.05, Math.min(8, scale * factor));
      tx = px - (px - tx) * next / scale;
      ty = py - (py - ty) * next / scale;
      scale = next;
      apply();
    }, { passive: false });
  }

  var container = document.getElementById("kb-graph");
  if (container) {
    fetchJson(dataUrl("graph.json")).then(function (data) { drawGraph(container, data); }).catch(function (error) {
      var message = document.createElement("p");
      message.textContent = "The graph data could not be loaded (" + error.message + ").";
      container.appendChild(message);
    });
  }
})();
