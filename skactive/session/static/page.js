"use strict";
// The labeling page. Items come from /api/next (leased to this annotator) and
// are fetched ahead, so a keypress shows the next item at once; each label is
// saved in order through one chain of requests, retried while the server is
// unreachable, so none is lost when the server restarts.
(() => {
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  const $ = (id) => document.getElementById(id);
  const S = (window.skactive = {
    latencies: [], // ms from keypress to the next item drawn
    saves: [], // ms from keypress to the label committed
    shown: null, // the item on screen
    pending: 0, // labels, skips and undos not yet committed
    ready: false,
    queued: () => queue.slice(), // items fetched ahead, leased to this annotator
  });
  let config = null;
  let annotator = params.get("annotator") || localStorage.getItem("skactive.annotator") || "default";
  let queue = [];
  let cache = new Map();
  let done = new Set();
  let chain = Promise.resolve();
  let refilling = null;
  let exhausted = false;

  class HttpError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(path, body) {
    const headers = { "Content-Type": "application/json" };
    if (token) headers["X-Skactive-Token"] = token;
    const options = body === undefined ? { headers } : { method: "POST", headers, body: JSON.stringify(body) };
    const response = await fetch(path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new HttpError(response.status, data.error || response.statusText);
    return data;
  }

  const query = (path, extra) => path + "?" + new URLSearchParams({ annotator, ...(extra || {}) });
  const load = (id) => {
    if (!cache.has(id)) cache.set(id, api("/api/item/" + encodeURIComponent(id)));
    return cache.get(id);
  };

  function setStatus(text, trouble) {
    const status = $("status");
    status.textContent = text;
    status.classList.toggle("trouble", !!trouble);
    status.dataset.pending = String(S.pending);
  }

  function savedStatus() {
    if (S.pending === 0) setStatus("all labels saved");
    else setStatus("saving " + S.pending + "…");
  }

  // -- saving, in order, retried while the server is away --------------------------

  function save(work, onSaved) {
    S.pending += 1;
    savedStatus();
    chain = chain.then(async () => {
      for (let wait = 200; ; wait = Math.min(wait * 2, 2000)) {
        try {
          const answer = await work();
          S.pending -= 1;
          savedStatus();
          if (onSaved) onSaved(answer);
          return;
        } catch (error) {
          if (error instanceof HttpError && error.status < 500) {
            S.pending -= 1;
            showError(error.message);
            savedStatus();
            return;
          }
          setStatus("server unreachable, retrying (" + S.pending + " unsaved)", true);
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    });
    return chain;
  }

  function showError(message) { $("error").textContent = message || ""; }

  // -- the queue of items --------------------------------------------------------------

  function refill() {
    if (refilling || exhausted) return refilling || Promise.resolve();
    refilling = (async () => {
      for (let wait = 200; ; wait = Math.min(wait * 2, 2000)) {
        try {
          const { items } = await api(query("/api/next"));
          const fresh = items.filter((id) => !done.has(id) && !queue.includes(id) && id !== S.shown);
          fresh.forEach(load);
          queue.push(...fresh);
          if (items.length === 0 && queue.length === 0) exhausted = true;
          return;
        } catch (error) {
          if (error instanceof HttpError && error.status < 500) { showError(error.message); return; }
          setStatus("server unreachable, retrying", true);
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    })().finally(() => { refilling = null; });
    return refilling;
  }

  async function advance(started) {
    if (queue.length === 0) {
      S.shown = null;
      $("item").innerHTML = '<span class="done">loading…</span>';
      await refill();
    }
    const next = queue.shift();
    if (next === undefined) {
      S.shown = null;
      $("item").innerHTML = '<span class="done">Nothing left to label for you: the budget is reached or every item is taken.</span>';
      $("why").textContent = "";
      return;
    }
    await show(next, started);
    if (queue.length < Math.max(2, config.batch_size / 2)) refill();
  }

  async function show(id, started) {
    S.shown = null; // keys wait until the item is on screen
    const wanted = (S.wanted = id);
    let item;
    try {
      item = await load(id);
    } catch (error) {
      cache.delete(id);
      showError(error.message);
      return;
    }
    if (S.wanted !== wanted) return;
    S.shown = id;
    render(item);
    const drawn = performance.now();
    requestAnimationFrame(() => {
      if (started !== undefined) S.latencies.push(performance.now() - started);
    });
    return drawn;
  }

  // -- drawing an item -------------------------------------------------------------

  function render(item) {
    const box = $("item");
    box.replaceChildren();
    box.dataset.item = item.item_id;
    const view = item.view;
    if (view.kind === "image") box.append(imageCanvas(view));
    else if (view.kind === "image_file") {
      const image = document.createElement("img");
      image.alt = "item " + item.item_id;
      image.src = "/api/media/" + encodeURIComponent(item.item_id) + (token ? "?token=" + encodeURIComponent(token) : "");
      box.append(image);
    } else if (view.kind === "text") {
      const text = document.createElement("pre");
      text.textContent = view.text;
      box.append(text);
    } else if (view.kind === "table") box.append(table(view.columns, view.values));
    else {
      const names = view.values.map((_, i) => "x" + i);
      box.append(table(names, view.values));
      if (view.n_values > view.values.length) box.append(" … " + view.n_values + " values in all");
    }
    const why = item.why;
    let reason = "Item " + item.item_id;
    if (why && why.strategy) {
      reason += " · chosen by " + why.strategy;
      if (why.score !== null && why.score !== undefined) reason += ", score " + why.score.toPrecision(3);
    }
    $("why").textContent = reason;
  }

  function imageCanvas(view) {
    const canvas = document.createElement("canvas");
    canvas.width = view.width;
    canvas.height = view.height;
    const context = canvas.getContext("2d");
    const image = context.createImageData(view.width, view.height);
    const n = view.width * view.height;
    const c = view.channels;
    for (let i = 0; i < n; i += 1) {
      const r = view.pixels[i * c];
      const g = c >= 3 ? view.pixels[i * c + 1] : r;
      const b = c >= 3 ? view.pixels[i * c + 2] : r;
      image.data.set([r, g, b, c === 4 ? view.pixels[i * c + 3] : 255], i * 4);
    }
    context.putImageData(image, 0, 0);
    return canvas;
  }

  function table(names, values) {
    const element = document.createElement("table");
    names.forEach((name, i) => {
      const row = element.insertRow();
      const head = document.createElement("th");
      head.textContent = name;
      row.append(head);
      row.insertCell().textContent = values[i] === null ? "—" : String(values[i]);
    });
    return element;
  }

  // -- actions ---------------------------------------------------------------------

  function label(value, started) {
    const id = S.shown;
    if (id === null || !S.ready) return;
    done.add(id);
    save(() => api("/api/submit", { item_id: id, label: value, annotator }), (answer) => {
      S.saves.push(performance.now() - started);
      drawProgress(answer.progress);
      addHistory(id, value);
    });
    flash(value);
    advance(started);
  }

  function skip(started) {
    const id = S.shown;
    if (id === null || !S.ready) return;
    done.add(id);
    save(() => api("/api/skip", { item_id: id, annotator }));
    advance(started);
  }

  async function undo() {
    if (!S.ready) return;
    let undone = null;
    await save(() => api("/api/undo", { annotator }), (answer) => { undone = answer.undone; });
    if (undone === null) { showError("nothing of yours to undo"); return; }
    showError("");
    done.delete(undone);
    cache.delete(undone);
    if (S.shown !== null) queue.unshift(S.shown);
    queue = queue.filter((id) => id !== undone);
    exhausted = false;
    const entry = document.querySelector('#history li[data-item="' + CSS.escape(undone) + '"]');
    if (entry) entry.remove();
    await show(undone);
    refreshProgress();
  }

  function flash(value) {
    const button = [...$("buttons").children].find((b) => b.dataset.label === JSON.stringify(value));
    if (!button) return;
    button.classList.add("flash");
    setTimeout(() => button.classList.remove("flash"), 120);
  }

  document.addEventListener("keydown", (event) => {
    if (!config || event.target.tagName === "INPUT" || event.ctrlKey && event.key !== "z" || event.metaKey || event.altKey) return;
    const started = event.timeStamp;
    if (event.key === config.undo_key || (event.ctrlKey && event.key === "z")) {
      event.preventDefault();
      undo();
      return;
    }
    if (event.key === config.skip_key) {
      event.preventDefault();
      skip(started);
      return;
    }
    const index = config.keys.findIndex((key) => key !== null && key.toLowerCase() === event.key.toLowerCase());
    if (index >= 0) {
      event.preventDefault();
      label(config.classes[index], started);
    }
  });

  // -- progress, history and the learning curve --------------------------------------

  function drawProgress(progress) {
    const target = progress.budget || progress.n_items;
    const share = Math.min(1, progress.n_labeled / target);
    $("bar").style.width = (100 * share).toFixed(1) + "%";
    const mine = progress.annotators[annotator] || 0;
    const text = $("progress-text");
    text.dataset.labeled = String(progress.n_labeled);
    text.textContent = progress.n_labeled + " of " + target + (progress.budget ? " (budget)" : " items") + " labeled · " + mine + " by you · " + progress.n_leased + " handed out";
    // A failed refit: the labels are saved, the last good model keeps choosing.
    text.dataset.refitError = progress.refit_error || "";
    if (progress.refit_error) text.textContent += " · model not updated: the last refit failed (labels are saved)";
  }

  function addHistory(id, value) {
    const list = $("history");
    const old = list.querySelector('li[data-item="' + CSS.escape(id) + '"]');
    if (old) old.remove();
    const entry = document.createElement("li");
    entry.dataset.item = id;
    entry.dataset.label = JSON.stringify(value);
    entry.textContent = "item " + id + " → " + value;
    list.prepend(entry);
  }

  async function refreshHistory() {
    const { labels } = await api(query("/api/history"));
    $("history").replaceChildren();
    labels.slice().reverse().forEach(({ item_id, label: value }) => addHistory(item_id, value));
  }

  async function refreshProgress() {
    try {
      drawProgress(await api("/api/progress"));
      drawCurve(await api("/api/curve"));
    } catch (error) { /* the saving chain reports an unreachable server */ }
  }

  function drawCurve(curve) {
    const svg = $("curve");
    const points = curve.n_labels.map((x, i) => [x, curve.accuracy[i]]).filter(([, y]) => y !== null);
    const [left, right, top, bottom] = [34, 312, 10, 145];
    const maxX = Math.max(10, ...curve.n_labels);
    const px = (x) => left + (right - left) * x / maxX;
    const py = (y) => bottom - (bottom - top) * y;
    let body = '<line x1="' + left + '" y1="' + bottom + '" x2="' + right + '" y2="' + bottom + '" stroke="#999"/>' +
      '<line x1="' + left + '" y1="' + top + '" x2="' + left + '" y2="' + bottom + '" stroke="#999"/>';
    [0, 0.5, 1].forEach((y) => { body += '<text x="4" y="' + (py(y) + 4) + '" font-size="10">' + y.toFixed(1) + "</text>"; });
    body += '<text x="' + right + '" y="162" font-size="10" text-anchor="end">' + maxX + " labels</text>";
    if (points.length > 0) {
      const line = points.map(([x, y]) => px(x).toFixed(1) + "," + py(y).toFixed(1)).join(" ");
      body += '<polyline fill="none" stroke="#2f7d4f" stroke-width="2" points="' + line + '"/>';
    }
    svg.innerHTML = body;
    svg.dataset.points = String(points.length);
    const last = points.length ? points[points.length - 1][1] : null;
    $("curve-note").textContent = last === null
      ? "Appears after " + Math.min(curve.window, 5) + " labels checked against the model's predictions."
      : "Accuracy now ≈ " + (100 * last).toFixed(0) + "%: the model's predictions for the last " + curve.window +
        " items before it learnt their labels (pessimistic: it asks about items it is unsure of).";
  }

  // -- start -----------------------------------------------------------------------

  function drawButtons() {
    const box = $("buttons");
    box.replaceChildren();
    config.classes.forEach((value, i) => {
      const button = document.createElement("button");
      button.dataset.label = JSON.stringify(value);
      button.append(String(value) + " ");
      if (config.keys[i] !== null) {
        const key = document.createElement("kbd");
        key.textContent = config.keys[i];
        button.append(key);
      }
      button.addEventListener("click", () => label(value, performance.now()));
      box.append(button);
    });
    const skipButton = document.createElement("button");
    skipButton.textContent = "skip";
    skipButton.addEventListener("click", () => skip(performance.now()));
    const undoButton = document.createElement("button");
    undoButton.textContent = "undo";
    undoButton.addEventListener("click", undo);
    box.append(skipButton, undoButton);
  }

  async function start() {
    S.ready = false;
    queue = [];
    cache = new Map();
    done = new Set();
    exhausted = false;
    $("annotator").value = annotator;
    config = await api("/api/config");
    drawButtons();
    await Promise.all([refreshHistory(), refreshProgress()]);
    await advance();
    S.ready = true;
    savedStatus();
  }

  $("annotator").addEventListener("change", async (event) => {
    const name = event.target.value.trim();
    if (!name) return;
    await chain;
    annotator = name;
    localStorage.setItem("skactive.annotator", name);
    params.set("annotator", name);
    history.replaceState(null, "", "?" + params);
    start().catch((error) => showError(error.message));
  });

  setInterval(() => { if (S.ready && S.pending === 0) refreshProgress(); }, 3000);
  start().catch((error) => { showError(error.message); setStatus("could not start: " + error.message, true); });
})();
