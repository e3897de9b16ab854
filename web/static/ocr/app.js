// The drawing page: a pointer-events canvas and photo inputs on one side,
// the answer (KaTeX, value, symbol boxes, steps, correction) on the other.
// A page of several lines of working is shown line by line, each with its
// verdict: ✓ when it follows from the lines above, ✗ with what was expected.
// Plain script, no build step, no external requests: everything it loads is
// served from our own static files.
"use strict";

(function () {
  const app = document.getElementById("app");
  const api = app.dataset.api;
  const lowConfidence = parseFloat(app.dataset.lowConfidence) || 0.6;
  const maxBytes = parseInt(app.dataset.maxBytes, 10) || 10 * 1024 * 1024;
  const PAUSE_MS = 900;
  // Pen width in canvas pixels. A fat pen fills the loops of 6, 8 and 9 at the
  // sizes people write on this pad: the 79 valid CROHME expressions drawn with
  // symbols 40 / 50 / 60 px tall were read right 33 / 57 / 58 times with an
  // 8 px pen and 59 / 63 / 68 times with a 4 px pen (same recognizer, one run).
  const PEN = 4;

  const $ = (id) => document.getElementById(id);
  const pad = $("pad");
  const ctx = pad.getContext("2d");
  const status = $("status");

  // ---- drawing ------------------------------------------------------------
  const strokes = []; // each stroke: [[x, y], ...] in canvas pixels
  let current = null;
  let pauseTimer = null;

  function paper() {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, pad.width, pad.height);
    ctx.strokeStyle = "#111";
    ctx.fillStyle = "#111";
    ctx.lineWidth = PEN;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
  }

  function drawStroke(points) {
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0][0], points[0][1], PEN / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(points[0][0], points[0][1]);
    for (let i = 1; i < points.length; i++) ctx.lineTo(points[i][0], points[i][1]);
    ctx.stroke();
  }

  function redraw() {
    paper();
    strokes.forEach(drawStroke);
  }

  function toCanvas(event) {
    const rect = pad.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) * pad.width) / rect.width,
      ((event.clientY - rect.top) * pad.height) / rect.height,
    ];
  }

  pad.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 && event.pointerType === "mouse") return;
    event.preventDefault();
    clearTimeout(pauseTimer);
    try {
      pad.setPointerCapture(event.pointerId); // keep the stroke when the pen leaves the pad
    } catch (e) {
      // synthetic or already-released pointers cannot be captured; drawing still works
    }
    current = [toCanvas(event)];
    strokes.push(current);
    drawStroke(current);
  });

  pad.addEventListener("pointermove", (event) => {
    if (!current) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) {
      const last = current[current.length - 1];
      const point = toCanvas(e);
      ctx.beginPath();
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(point[0], point[1]);
      ctx.stroke();
      current.push(point);
    }
  });

  function endStroke() {
    if (!current) return;
    current = null;
    if ($("auto").checked) {
      clearTimeout(pauseTimer);
      pauseTimer = setTimeout(recognizeDrawing, PAUSE_MS);
    }
  }
  pad.addEventListener("pointerup", endStroke);
  pad.addEventListener("pointercancel", endStroke);

  $("undo").addEventListener("click", () => {
    strokes.pop();
    redraw();
    clearTimeout(pauseTimer);
    if (strokes.length && $("auto").checked) pauseTimer = setTimeout(recognizeDrawing, PAUSE_MS);
  });
  $("clear").addEventListener("click", () => {
    strokes.length = 0;
    clearTimeout(pauseTimer);
    redraw();
    $("answer").hidden = true;
    say("Cleared. Draw something new.");
  });
  pad.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "z") $("undo").click();
  });
  $("recognize").addEventListener("click", recognizeDrawing);

  // ---- talking to the API -----------------------------------------------------
  let lastRequest = 0;
  // {id, src, token}: the edit token the API answered with proves us the poster
  // when we send a correction (a header: another site's page cannot send it).
  let currentImage = null;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function post(url, body, extraHeaders) {
    const headers = { "X-CSRFToken": csrfToken(), Accept: "application/json", ...extraHeaders };
    if (!(body instanceof FormData)) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method: "POST",
      headers,
      credentials: "same-origin",
      body: body instanceof FormData ? body : JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = { error: `the server answered ${response.status}` };
    }
    return { ok: response.ok, status: response.status, data };
  }

  async function recognize(body, src) {
    const request = ++lastRequest;
    say("Reading…");
    app.setAttribute("aria-busy", "true");
    const url = $("steps-toggle").checked ? `${api}?debug=1` : api;
    try {
      const { ok, data } = await post(url, body);
      if (request !== lastRequest) return; // a newer drawing is on its way
      if (!ok) {
        say(data.error || "Something went wrong.", true);
        return;
      }
      show(data, src);
    } catch (e) {
      if (request === lastRequest) say(`Could not reach the server (${e.message}).`, true);
    } finally {
      if (request === lastRequest) app.removeAttribute("aria-busy");
    }
  }

  function recognizeDrawing() {
    clearTimeout(pauseTimer);
    if (!strokes.length) {
      say("Draw something first.", true);
      return;
    }
    const src = pad.toDataURL("image/png");
    recognize({ image: src }, src);
  }

  function recognizeFile(input) {
    const file = input.files && input.files[0];
    if (!file) return;
    if (file.size > maxBytes) {
      say(`That file is ${(file.size / 1e6).toFixed(1)} MB; the limit is ${(maxBytes / 1e6).toFixed(0)} MB.`, true);
      return;
    }
    const form = new FormData();
    form.append("image", file);
    recognize(form, URL.createObjectURL(file));
    input.value = "";
  }
  $("photo").addEventListener("change", (e) => recognizeFile(e.target));
  $("camera").addEventListener("change", (e) => recognizeFile(e.target));

  // ---- showing the answer ---------------------------------------------------
  const PRETTY = { "\\times": "×", "\\div": "÷", "\\sqrt": "√", "-": "−" };
  const pretty = (label) => PRETTY[label] || label;
  const percent = (p) => `${Math.round(p * 100)}%`;
  const SVG = "http://www.w3.org/2000/svg";

  function show(data, src) {
    currentImage = { id: data.id, src, token: data.edit_token };
    $("answer").hidden = false;
    $("correction").hidden = true;
    $("correction-status").textContent = "";
    if (data.status !== "done" || !data.result) {
      say(`Recognition failed: ${data.reason || "unknown reason"}. The image was kept.`, true);
      renderMath("");
      showLines([]);
      $("meaning").textContent = "";
      drawBoxes(src, [], null);
      fillSymbols([]);
      showSteps(null);
      return;
    }
    const result = data.result;
    const n = result.symbols.length;
    say(n ? `Read ${n} symbol${n === 1 ? "" : "s"} in ${Math.round(result.ms)} ms.` : "No symbols found.");
    const lines = result.lines || []; // readings stored before pages have none
    const page = lines.length > 1;
    renderMath(page ? "" : result.latex);
    showLines(page ? lines : [], result.first_wrong);
    $("meaning").textContent = page ? pageMeaning(result) : meaning(result);
    $("meaning").classList.toggle(
      "error",
      page ? result.first_wrong != null : Boolean(result.error) || result.holds === false,
    );
    drawBoxes(src, result.symbols, result.image_size, page ? wrongSymbols(lines) : new Set());
    // A page lists its symbols line by line (the lines index into result.symbols).
    const byLine = lines.flatMap((line) => line.symbols.map((i) => result.symbols[i]));
    fillSymbols(page ? byLine : result.symbols, page);
    $("correct-latex").value = result.latex;
    showSteps(data.steps || null);
  }

  function renderMath(latex) {
    const el = $("math");
    el.textContent = "";
    el.hidden = !latex; // a page shows its lines instead, without a blank gap above them
    if (!latex) return;
    if (window.katex) {
      window.katex.render(latex, el, { displayMode: true, throwOnError: false });
    } else {
      el.textContent = latex;
    }
    el.setAttribute("aria-label", `The expression as read: ${latex}`);
  }

  // ---- a page of working: one row per line, with its verdict ------------------
  const MARK = { ok: "✓", wrong: "✗", unreadable: "?" };

  function showLines(lines, firstWrong) {
    const list = $("lines");
    list.textContent = "";
    list.hidden = !lines.length;
    lines.forEach((line, k) => {
      const item = document.createElement("li");
      item.className = `line ${line.step}${k === firstWrong ? " first-wrong" : ""}`;
      item.dataset.step = line.step;
      const tex = document.createElement("span");
      tex.className = "tex";
      if (window.katex && line.latex) {
        window.katex.render(line.latex, tex, { displayMode: false, throwOnError: false });
      } else {
        tex.textContent = line.latex || "(nothing read)";
      }
      const verdict = document.createElement("span");
      verdict.className = "verdict";
      verdict.textContent = lineVerdict(line);
      item.append(tex, verdict);
      // Screen readers hear the line as written and its verdict, not KaTeX's markup.
      const spoken = `Line ${k + 1}: ${line.text || line.latex}. ${lineVerdictSpoken(line)}`;
      item.setAttribute("aria-label", spoken);
      list.append(item);
    });
  }

  function lineVerdict(line) {
    switch (line.step) {
      case "ok":
        return MARK.ok;
      case "wrong":
        return line.expected != null ? `${MARK.wrong} expected ${line.expected}` : MARK.wrong;
      case "unreadable":
        return `${MARK.unreadable} ${line.error || "could not be read"}`;
      default: // "start": what the line says, so the next one can be compared by eye
        if (line.kind === "equation") return line.holds ? MARK.ok : "";
        return line.error ? "" : meaning(line);
    }
  }

  function lineVerdictSpoken(line) {
    switch (line.step) {
      case "ok":
        return "Follows from the lines above.";
      case "wrong":
        return line.expected != null ? `Wrong: expected ${line.expected}.` : "Wrong.";
      case "unreadable":
        return `Could not be checked: ${line.error || "unreadable"}.`;
      default:
        return lineVerdict(line);
    }
  }

  function pageMeaning(result) {
    const lines = result.lines;
    if (result.first_wrong != null) {
      const line = lines[result.first_wrong];
      const expected = line.expected != null ? ` (expected ${line.expected})` : "";
      return `✗ Line ${result.first_wrong + 1} does not follow${expected}.`;
    }
    const unreadable = lines.findIndex((line) => line.step === "unreadable");
    if (unreadable >= 0) return `Line ${unreadable + 1} could not be read.`;
    if (lines.some((line) => line.step === "ok")) return "✓ Every step follows.";
    return "";
  }

  // The symbols of every wrong line, to mark on the image where the mistake is.
  function wrongSymbols(lines) {
    const out = new Set();
    for (const line of lines) if (line.step === "wrong") line.symbols.forEach((i) => out.add(i));
    return out;
  }

  function meaning(result) {
    if (result.error) return result.error;
    switch (result.kind) {
      case "value":
        return result.decimal && result.decimal !== result.value
          ? `= ${result.value} ≈ ${result.decimal}`
          : `= ${result.value}`;
      case "equation":
        // value holds every side's exact value: "24/125 = 19/100"
        if (result.holds === true) return `✓ This holds (${result.value}).`;
        if (result.holds === false) return `✗ This does not hold: ${result.value}.`;
        return result.value || "";
      case "solve":
        // "x = 2 or x = 3", "x ≈ 1.41421356", "no solution", "every x"
        return result.value || "";
      case "simplify":
        return result.value ? `= ${result.value}` : "";
      default:
        return "";
    }
  }

  function drawBoxes(src, symbols, size, wrong) {
    const img = $("shot");
    const svg = $("boxes");
    svg.textContent = "";
    const place = () => {
      const w = (size && size[0]) || img.naturalWidth;
      const h = (size && size[1]) || img.naturalHeight;
      svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
      const scale = Math.max(w, h) / 600; // keep labels readable on big photos
      symbols.forEach((s, i) => {
        const [x, y, bw, bh] = s.box;
        const low = s.confidence < lowConfidence;
        const g = document.createElementNS(SVG, "g");
        g.setAttribute("class", `box${low ? " low" : ""}${wrong && wrong.has(i) ? " wrong" : ""}`);
        g.setAttribute("data-index", String(i));
        const rect = document.createElementNS(SVG, "rect");
        rect.setAttribute("x", x);
        rect.setAttribute("y", y);
        rect.setAttribute("width", Math.max(bw, 1));
        rect.setAttribute("height", Math.max(bh, 1));
        rect.setAttribute("stroke-width", 2 * scale);
        const text = document.createElementNS(SVG, "text");
        text.setAttribute("x", x);
        text.setAttribute("y", Math.max(y - 4 * scale, 14 * scale));
        text.setAttribute("font-size", 16 * scale);
        text.textContent = `${pretty(s.label)} ${percent(s.confidence)}`;
        const title = document.createElementNS(SVG, "title");
        title.textContent = `${s.label}, ${percent(s.confidence)} sure`;
        g.append(rect, text, title);
        svg.append(g);
      });
    };
    if (img.src === src && img.complete && img.naturalWidth) {
      place();
    } else {
      img.onload = place;
      img.src = src;
    }
  }

  function fillSymbols(symbols, byLine) {
    const body = $("symbols").querySelector("tbody");
    body.textContent = "";
    $("symbols").querySelector("caption").textContent = byLine
      ? "Symbols, line by line, left to right"
      : "Symbols, left to right";
    $("symbols").hidden = !symbols.length;
    for (const s of symbols) {
      const row = body.insertRow();
      if (s.confidence < lowConfidence) row.className = "low";
      row.insertCell().textContent = pretty(s.label);
      row.insertCell().textContent = percent(s.confidence);
      row.insertCell().textContent = s.alternatives
        .slice(0, 3)
        .map(([label, p]) => `${pretty(label)} (${percent(p)})`)
        .join(", ");
    }
  }

  const STEP_NAMES = { gray: "Gray", binary: "Binary", thinned: "Thinned", boxes: "Symbols found" };

  function showSteps(steps) {
    const details = $("steps");
    const grid = details.querySelector(".steps-grid");
    grid.textContent = "";
    details.hidden = !steps;
    if (!steps) return;
    for (const [name, url] of Object.entries(steps)) {
      const fig = document.createElement("figure");
      const img = document.createElement("img");
      img.src = url;
      img.alt = `${STEP_NAMES[name] || name} stage`;
      img.dataset.step = name;
      const caption = document.createElement("figcaption");
      caption.textContent = STEP_NAMES[name] || name;
      fig.append(img, caption);
      grid.append(fig);
    }
    details.open = true;
  }

  // ---- corrections ----------------------------------------------------------
  $("wrong").addEventListener("click", () => {
    const form = $("correction");
    form.hidden = !form.hidden;
    if (!form.hidden) $("correct-latex").focus();
  });

  $("correction").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!currentImage) return;
    const latex = $("correct-latex").value.trim();
    const out = $("correction-status");
    if (!latex) {
      out.textContent = "Type what it really says.";
      return;
    }
    try {
      const { ok, data } = await post(
        `${api}${currentImage.id}/correction/`,
        { latex },
        { "X-Edit-Token": currentImage.token },
      );
      out.textContent = ok ? "Thank you — saved. It will help the next model." : data.error;
      out.classList.toggle("error", !ok);
    } catch (e) {
      out.textContent = `Could not reach the server (${e.message}).`;
      out.classList.add("error");
    }
  });

  redraw();
})();
