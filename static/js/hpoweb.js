/* hpoweb's page behaviour: plots from data endpoints or json_script blocks, the space editor. */
"use strict";

(function () {
  const plotConfig = { responsive: true, displaylogo: false, toImageButtonOptions: { format: "png" } };

  function plotParams(el) {
    const params = new URLSearchParams();
    document.querySelectorAll(`[data-plot-for="${el.id}"] [data-param]`).forEach((input) => {
      const on = input.type === "checkbox" ? input.checked : input.value !== "";
      if (on) params.set(input.dataset.param, input.value);
    });
    return params.toString();
  }

  function drawFromSource(el) {
    const query = plotParams(el);
    const csv = document.querySelector(`[data-csv-for="${el.id}"]`);
    if (csv) csv.href = csv.href.split("?")[0] + (query ? "?" + query : "");
    fetch(el.dataset.src + (query ? "?" + query : ""), { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((payload) => {
        Plotly.react(el, payload.figure.data, payload.figure.layout, plotConfig);
        openTrialOnClick(el);
        const asOf = document.querySelector(`[data-as-of-for="${el.id}"]`);
        if (asOf) asOf.textContent = payload.n_trials === null ? "" : `as of ${payload.n_trials} trials`;
        el.dataset.loaded = "1";
        // refreshed while the study runs, and after while its last results' analysis is to come
        if (el.dataset.refresh && payload.state !== "running" && !payload.pending) delete el.dataset.refresh;
      })
      .catch((err) => console.warn("plot", el.id, err));
  }

  // A plot with data-trial-base opens the trial whose number a clicked point carries (customdata).
  function openTrialOnClick(el) {
    if (!el.dataset.trialBase || el.dataset.clickBound) return;
    el.dataset.clickBound = "1";
    el.on("plotly_click", (event) => {
      const point = event.points[0];
      if (!point) return;
      const number = point.customdata !== undefined
        ? point.customdata : (point.data.customdata || [])[point.pointNumber];
      if (Number.isInteger(number)) window.location.assign(`${el.dataset.trialBase}${number}/`);
    });
  }

  // htmx drops the <script> blocks of what it swaps in (allowScriptTags is off), json_script data too:
  // the figures of a poll's answer are read from it before the swap. Its plots keep their element
  // (hx-preserve) and are drawn again in place: no flash, and the zoom kept (the figure's uirevision).
  let swappedFigures = new Map();
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (!event.detail.shouldSwap || !event.detail.target.querySelector(".plot[data-json]")) return;
    const answer = new DOMParser().parseFromString(event.detail.serverResponse, "text/html");
    const blocks = answer.querySelectorAll('script[type="application/json"][id]');
    swappedFigures = new Map(Array.from(blocks, (block) => [block.id, block.textContent]));
  });

  // Plots whose figure is on the page (json_script): at load, and again with a poll's answer.
  function drawInlinePlots() {
    document.querySelectorAll(".plot[data-json]").forEach((el) => {
      const block = document.getElementById(el.dataset.json);
      const text = swappedFigures.get(el.dataset.json) ?? (el.dataset.loaded || !block ? null : block.textContent);
      if (text === null) return;
      const figure = JSON.parse(text);
      Plotly.react(el, figure.data, figure.layout, plotConfig);
      el.dataset.loaded = "1";
    });
    swappedFigures = new Map();
  }

  function initPlots() {
    drawInlinePlots();
    // A plot is fetched and drawn when it comes near the screen, and refreshed only while it is
    // there; one that went stale off screen is redrawn when it comes back.
    const onScreen = new Set();
    const observer = new IntersectionObserver((entries) => entries.forEach((entry) => {
      const el = entry.target;
      if (!entry.isIntersecting) { onScreen.delete(el); return; }
      onScreen.add(el);
      if (!el.dataset.loaded || el.dataset.stale) { delete el.dataset.stale; drawFromSource(el); }
    }), { rootMargin: "300px" });
    document.querySelectorAll(".plot[data-src]").forEach((el) => {
      observer.observe(el);
      const period = Number(el.dataset.refresh || 0);
      if (period) {
        const timer = setInterval(() => {
          if (!el.dataset.refresh) clearInterval(timer);
          else if (onScreen.has(el)) drawFromSource(el);
          else el.dataset.stale = "1";
        }, period * 1000);
      }
      document.querySelectorAll(`[data-plot-for="${el.id}"] [data-param]`).forEach((input) =>
        input.addEventListener("change", () => drawFromSource(el)));
    });
  }

  function initSpaceEditor() {
    const form = document.getElementById("study-form");
    if (!form) return;
    const body = document.querySelector("#param-table tbody");
    const total = document.getElementById("id_param-TOTAL_FORMS");
    const template = document.getElementById("param-empty");

    function addRow(spec) {
      const index = Number(total.value);
      const html = template.innerHTML.replace(/__prefix__/g, String(index));
      body.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      const row = body.lastElementChild;
      if (spec) {
        const set = (field, value) => {
          const input = row.querySelector(`[name="param-${index}-${field}"]`);
          if (!input) return;
          if (input.type === "checkbox") input.checked = Boolean(value);
          else input.value = value === undefined || value === null ? "" : String(value);
        };
        set("name", spec.name); set("type", spec.type); set("low", spec.low); set("high", spec.high);
        set("log", spec.log); set("step", spec.step);
        set("choices", spec.choices ? spec.choices.join(", ") : "");
        const when = Object.entries(spec.when || {});  // several parents: "a; b" and "1, 2; x"
        set("parent", when.map(([parent]) => parent).join("; "));
        set("parent_values", when.map(([, values]) => values.join(", ")).join("; "));
      }
      showTree();
      return row;
    }

    const field = (row, name) => row.querySelector(`[name$="-${name}"]`);
    const visibleRows = () => Array.from(body.querySelectorAll("tr.param-row:not(.hidden)"));
    const rowName = (row) => field(row, "name").value.trim();
    const rowParents = (row) => (field(row, "parent") ? field(row, "parent").value : "")
      .split(";").map((p) => p.trim()).filter((p) => p && p !== rowName(row));

    // The given order, except that a parent moves above its first child: the parent field offers only
    // the rows above, so a space listed child first (the server accepts any order) must not hide one.
    function parentsFirst(items, nameOf, parentsOf) {
      const byName = new Map();
      items.forEach((item) => { if (!byName.has(nameOf(item))) byName.set(nameOf(item), item); });
      const ordered = [];
      const seen = new Set();  // also stops a cycle, which the server refuses anyway
      const visit = (item) => {
        if (seen.has(item)) return;
        seen.add(item);
        parentsOf(item).forEach((parent) => { if (byName.has(parent)) visit(byName.get(parent)); });
        ordered.push(item);
      };
      items.forEach(visit);
      return ordered;
    }

    // Rows the server rendered (a form shown again after an error) move parents first and are
    // renumbered, so the space is stored in the order shown.
    function orderRows() {
      body.append(...parentsFirst(visibleRows(), rowName, rowParents));
      body.querySelectorAll("tr.param-row").forEach((row, index) => {
        row.querySelectorAll("[name^='param-']").forEach((input) => {
          input.name = input.name.replace(/^param-\d+-/, `param-${index}-`);
          input.id = input.id.replace(/^id_param-\d+-/, `id_param-${index}-`);
        });
      });
    }

    // The parent field offers the categorical and int rows above its own.
    function offerParents(row) {
      const rows = visibleRows();
      const names = rows.slice(0, rows.indexOf(row))
        .filter((other) => ["categorical", "int"].includes(field(other, "type").value))
        .map(rowName).filter((name) => name && name !== rowName(row));
      const list = document.getElementById("param-parents");
      list.replaceChildren(...names.map((name) => Object.assign(document.createElement("option"), { value: name })));
    }
    body.addEventListener("focusin", (event) => {
      if (event.target.matches("[name$='-parent']")) offerParents(event.target.closest("tr"));
    });

    // The tree: each row indented one step below its deepest parent (a row may name several, "a; b").
    function showTree() {
      const rows = visibleRows();
      const parentsOf = {};
      rows.forEach((row) => { parentsOf[rowName(row)] = rowParents(row); });
      const depthOf = (name, seen) => {  // `seen` stops a cycle the server will refuse anyway
        if (seen.has(name) || !parentsOf[name]) return 0;
        seen.add(name);
        const depth = Math.max(0, ...parentsOf[name].map((p) => (p in parentsOf ? 1 + depthOf(p, seen) : 1)));
        seen.delete(name);
        return depth;
      };
      rows.forEach((row) => {
        const name = rowName(row);
        const depth = depthOf(name, new Set());
        const parents = parentsOf[name] || [];
        row.dataset.depth = String(depth);
        row.dataset.parents = parents.join(" ");
        // the cell's padding, not the box's margin: a margin pushed the box into the type column
        field(row, "name").closest("td").style.paddingLeft = `${0.5 + depth * 1.5}em`;
        field(row, "name").title = parents.length > 1 ? `under ${parents.join(" and ")}` : "";
      });
    }
    body.addEventListener("input", showTree);
    body.addEventListener("change", showTree);

    document.getElementById("add-param").addEventListener("click", () => addRow());
    body.addEventListener("click", (event) => {
      if (!event.target.classList.contains("remove-param")) return;
      const row = event.target.closest("tr");
      const del = row.querySelector('input[name$="-DELETE"]');
      if (del) del.checked = true;
      row.classList.add("hidden");
      showTree();
    });

    const jobSpaces = JSON.parse(document.getElementById("job-spaces").textContent);
    document.getElementById("load-job-space").addEventListener("click", () => {
      const job = jobSpaces[document.getElementById("id_job").value];
      if (!job) return;
      document.getElementById("id_metric").value = job.metric;
      document.getElementById("id_direction").value = job.direction;
      // a job with several metrics fills its objectives and constraints; any other job clears them
      const asJson = (list) => (list.length ? JSON.stringify(list) : "");
      document.getElementById("id_objectives").value = asJson(job.objectives);
      document.getElementById("id_constraints").value = asJson(job.constraints);
      const space = job.space;
      body.querySelectorAll("tr").forEach((row) => {
        const del = row.querySelector('input[name$="-DELETE"]');
        if (del) del.checked = true;
        row.classList.add("hidden");
      });
      parentsFirst(Object.entries(space), ([name]) => name, ([, spec]) => Object.keys(spec.when || {}))
        .forEach(([name, spec]) => addRow(Object.assign({ name: name }, spec)));
    });
    if (!body.querySelector("tr")) addRow();
    orderRows();
    showTree();

    function showSettings() {
      const chosen = { opt: document.getElementById("id_optimizer").value, pruner: document.getElementById("id_pruner").value };
      document.querySelectorAll("fieldset.settings").forEach((fs) => {
        fs.classList.toggle("hidden", chosen[fs.dataset.group] !== fs.dataset.owner);
      });
    }
    document.getElementById("id_optimizer").addEventListener("change", showSettings);
    document.getElementById("id_pruner").addEventListener("change", showSettings);
    showSettings();
  }

  // A form with data-confirm asks first (cancelling cannot be undone); delegated, so the forms
  // that htmx swaps in when the study header refreshes ask too.
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", () => {
    initPlots();
    initSpaceEditor();
  });
  document.addEventListener("htmx:afterSettle", drawInlinePlots);
})();
