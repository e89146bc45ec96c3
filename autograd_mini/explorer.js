// autograd_mini's backprop explorer: shows the steps that Python computed (the page's
// JSON) on Graphviz's SVG. Every explorer on a page is found by its class and scoped to
// its own element: no document-level ids, no network, no eval.
(function () {
  "use strict";
  var registry = (window.autogradMini = window.autogradMini || {});
  var explorers = (registry.explorers = registry.explorers || []);
  // Re-running a notebook cell replaces its output: forget explorers no longer on the page.
  for (var old = explorers.length - 1; old >= 0; old--) {
    if (!explorers[old].root.isConnected) explorers.splice(old, 1);
  }
  var roots = document.querySelectorAll(".am-explorer:not([data-am-ready])");
  for (var r = 0; r < roots.length; r++) {
    roots[r].setAttribute("data-am-ready", "");
    explorers.push(setUp(roots[r]));
  }

  function setUp(root) {
    var data = JSON.parse(root.querySelector("script.am-data").textContent);
    var nodes = data.nodes, edges = data.edges, steps = data.steps, effects = data.effects;
    var n = nodes.length, last = steps.length - 1, current = 0, timer = null, pinned = null;
    var $ = function (selector) { return root.querySelector(selector); };
    var slider = $(".am-slider"), counter = $(".am-counter"), explain = $(".am-explain");
    var info = $(".am-info"), play = $(".am-play");
    slider.max = String(last);

    steps.forEach(function (s) { s.value = Number(s.value); s.grad = Number(s.grad); });
    var valueBoxes = [], opBoxes = [], edgeBoxes = [], resultEdges = [];
    root.querySelectorAll("g[data-node]").forEach(function (g) {
      valueBoxes[Number(g.getAttribute("data-node"))] = g;
    });
    root.querySelectorAll("g[data-op-of]").forEach(function (g) {
      opBoxes[Number(g.getAttribute("data-op-of"))] = g;
    });
    root.querySelectorAll("g[data-edge]").forEach(function (g) {
      edgeBoxes[Number(g.getAttribute("data-edge"))] = g;
    });
    root.querySelectorAll("g[data-result-of]").forEach(function (g) {
      resultEdges[Number(g.getAttribute("data-result-of"))] = g;
    });
    var texts = valueBoxes.map(function (g) {
      var all = g.querySelectorAll("text");
      return { data: all[all.length - 2], grad: all[all.length - 1] };
    });
    var addsTexts = edgeBoxes.map(function (g) {
      var all = g.querySelectorAll("text");
      return all[all.length - 1];
    });

    // The state after step k: values shown, grads so far, what each edge has added.
    function state(k) {
      var shown = Math.min(k + 1, n);
      var grads = nodes.map(function () { return "0"; });
      var adds = edges.map(function () { return "× ·"; });
      for (var s = n; s <= k; s++) {
        var i = steps[s].node;
        grads[i] = nodes[i].grad;
        effects[s].forEach(function (effect) {
          adds[effect[0]] = edges[effect[0]].adds;
          grads[edges[effect[0]].parent] = effect[1];
        });
      }
      return { shown: shown, grads: grads, adds: adds };
    }

    function goTo(k) {
      k = Math.max(0, Math.min(last, Math.floor(Number(k)) || 0));
      current = k;
      var st = state(k), step = steps[k];
      for (var i = 0; i < n; i++) {
        var visible = i < st.shown;
        texts[i].data.textContent = "data " + (visible ? nodes[i].value : "·");
        texts[i].grad.textContent = "grad " + st.grads[i];
        setClass(valueBoxes[i], "am-pending", !visible);
        setClass(valueBoxes[i], "am-current", i === step.node);
        if (opBoxes[i]) setClass(opBoxes[i], "am-current", i === step.node);
        if (resultEdges[i]) setClass(resultEdges[i], "am-active", i === step.node);
      }
      edges.forEach(function (edge, e) {
        addsTexts[e].textContent = st.adds[e];
        setClass(edgeBoxes[e], "am-active", edge.child === step.node);
      });
      slider.value = String(k);
      counter.textContent = "step " + (k + 1) + " of " + steps.length + " · " + step.phase;
      describe(step, st);
      showInfo(pinned === null ? step.node : pinned, st);
    }

    function describe(step, st) {
      var node = nodes[step.node];
      explain.textContent = "";
      var mine = node.edges.map(function (e) { return nodes[edges[e].parent].name; });
      if (step.phase === "forward") {
        line(explain, "p", node.op
          ? "forward: " + node.name + " = " + node.op + "(" + mine.join(", ") + ") = " + node.value
          : "forward: " + node.name + " is a leaf, " + node.value);
        return;
      }
      line(explain, "p", "backward: " + node.name + " has its whole gradient, " + node.grad +
        (node.edges.length ? "; it adds local derivative × " + node.grad + " to each operand:"
                           : "; a leaf passes nothing on."));
      if (!node.edges.length) return;
      var table = document.createElement("table");
      var head = table.insertRow();
      ["operand", "∂ rule", "∂ value", "× upstream = adds", "operand grad now", "check"]
        .forEach(function (t) { line(head, "th", t); });
      node.edges.forEach(function (e) {
        var edge = edges[e], row = table.insertRow();
        setClass(row, "am-bad", edge.bad);
        [nodes[edge.parent].name, edge.formula, edge.local, edge.adds, st.grads[edge.parent],
         edge.check]
          .forEach(function (t) { line(row, "td", t); });
      });
      explain.appendChild(table);
    }

    function showInfo(i, st) {
      var node = nodes[i];
      info.textContent = "";
      line(info, "h4", node.name);
      line(info, "p", "op: " + (node.op || "leaf"));
      line(info, "p", "value: " + (i < st.shown ? node.value : "not computed yet"));
      line(info, "p", "grad so far: " + st.grads[i]);
      node.edges.forEach(function (e) {
        var edge = edges[e];
        line(info, "p", nodes[edge.parent].name + ": " + edge.text +
          (edge.bad ? " (numeric " + edge.numeric + ": disagrees)" : ""));
      });
      if (node.origin) line(info, "p", "made at " + node.origin).className = "am-origin";
    }

    function line(parent, tag, text) {
      var el = document.createElement(tag);
      el.textContent = text;
      parent.appendChild(el);
      return el;
    }

    function setClass(el, name, on) {
      if (el) el.classList.toggle(name, Boolean(on));
    }

    function toggle(on) {
      if (on === (timer !== null)) return;
      if (timer !== null) {
        clearInterval(timer);
        timer = null;
      } else {
        if (current === last) goTo(0);
        timer = setInterval(function () {
          if (current >= last || !root.isConnected) toggle(false); else goTo(current + 1);
        }, 700);
      }
      play.textContent = timer === null ? "play" : "pause";
    }

    $(".am-start").addEventListener("click", function () { goTo(0); });
    $(".am-back").addEventListener("click", function () { goTo(current - 1); });
    $(".am-forward").addEventListener("click", function () { goTo(current + 1); });
    $(".am-end").addEventListener("click", function () { goTo(last); });
    play.addEventListener("click", function () { toggle(timer === null); });
    $(".am-fit").addEventListener("click", function () { root.classList.toggle("am-fitted"); });
    slider.addEventListener("input", function () { goTo(slider.value); });
    root.addEventListener("keydown", function (event) {
      var moves = { ArrowLeft: current - 1, ArrowRight: current + 1, Home: 0, End: last };
      if (event.target === slider || !(event.key in moves)) return;
      event.preventDefault();
      event.stopPropagation(); // a notebook's own shortcuts must not move the cell too
      goTo(moves[event.key]);
    });
    valueBoxes.forEach(function (g, i) {
      g.addEventListener("mouseenter", function () { showInfo(i, state(current)); });
      g.addEventListener("mouseleave", function () {
        showInfo(pinned === null ? steps[current].node : pinned, state(current));
      });
      g.addEventListener("click", function () {
        pinned = pinned === i ? null : i;
        showInfo(i, state(current));
      });
    });
    root.querySelectorAll("g.cluster").forEach(setUpCluster);

    // A collapsed cluster is drawn over its members as one labelled box (the layout
    // stays as it is), the network's inputs drawn inside it kept on top; a click
    // collapses or expands it.
    function setUpCluster(g) {
      var title = g.querySelector("title"), label = g.querySelector("text");
      var cluster = title && data.clusters[title.textContent];
      if (!cluster || !label) return;
      var name = label.textContent, place = document.createComment("cluster");
      g.parentNode.insertBefore(place, g);
      g.addEventListener("click", function (event) {
        event.stopPropagation();
        collapse(!g.classList.contains("am-collapsed"));
      });
      function collapse(on) {
        setClass(g, "am-collapsed", on);
        label.textContent = on ? name + " ▸ " + cluster.size + " values" : name;
        if (!on) { place.parentNode.insertBefore(g, place); return; }
        g.parentNode.appendChild(g);
        cluster.inputs.forEach(function (i) { g.parentNode.appendChild(valueBoxes[i]); });
      }
      if (data.collapsed.indexOf(title.textContent) >= 0) collapse(true);
    }

    goTo(0);
    return {
      root: root,
      steps: steps,
      goTo: goTo,
      get index() { return current; },
    };
  }
})();
