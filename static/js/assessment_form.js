// The 自评表 edit page: indicator rows (add, remove with undo, reorder, 二级 following 一级), links from
// the checks panel to their fields, and a guard against leaving with unsaved input. Totals, suggestions
// and checks are computed by the server (htmx POSTs the form to the preview endpoint on "recompute").
(function () {
  "use strict";

  const form = document.getElementById("assessment-form");
  if (!form) return;
  const table = document.getElementById("indicators");
  const live = form.classList.contains("js-live");
  const parentsNode = document.getElementById("level2-parents");
  const level2Parent = parentsNode ? JSON.parse(parentsNode.textContent) : {};

  // -- preview state: data-preview="busy" from an edit until the preview that includes it has been answered
  // (and swapped in), then "idle". The state is in the DOM, so a test waits on it rather than on the clock.
  let edits = 0; // edits (input, change, recompute) so far
  let sentFor = -1; // the number of edits that the newest preview request includes
  let newest = null; // that request
  function edited() {
    edits += 1;
    form.dataset.preview = "busy";
  }
  function answered(event) {
    if (event.detail.elt === form && event.detail.xhr === newest && sentFor === edits) form.dataset.preview = "idle";
  }
  if (live) {
    form.dataset.preview = "idle";
    // Capturing, so that the count is up before htmx (listening on the form too) schedules its request.
    form.addEventListener("input", edited, true);
    form.addEventListener("change", edited, true);
    form.addEventListener("htmx:beforeSend", (event) => {
      if (event.detail.elt !== form) return;
      sentFor = edits;
      newest = event.detail.xhr;
    });
    // A preview's out-of-band parts are swapped in and settled (htmx then fires afterSettle on the form, and on
    // each part); an error or an abort swaps nothing.
    form.addEventListener("htmx:afterSettle", answered);
    form.addEventListener("htmx:afterRequest", (event) => {
      if (!event.detail.successful) answered(event);
    });
  }

  function recompute() {
    if (!live || !window.htmx) return;
    edited();
    window.htmx.trigger(form, "recompute");
  }

  // -- unsaved changes ------------------------------------------------------------------------------
  // A page sent back with the typed input (an error, a conflict) holds unsaved input from the start.
  let dirty = live && form.dataset.unsaved === "1";
  let submitting = false;
  const dirtyNote = form.querySelector(".js-dirty-note");
  if (dirty && dirtyNote) dirtyNote.classList.remove("d-none");
  function markDirty() {
    if (!live) return;
    dirty = true;
    if (dirtyNote) dirtyNote.classList.remove("d-none");
  }
  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  window.addEventListener("beforeunload", (event) => {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (submitting) {
      event.preventDefault(); // a second click while the first save is on its way
      return;
    }
    renumber();
    submitting = true;
  });

  // -- 二级 follows 一级 -------------------------------------------------------------------------------
  function filterLevel2(row) {
    if (!live) return; // a read-only page shows the stored choice as it is
    const level1 = row.querySelector(".js-level1");
    const level2 = row.querySelector(".js-level2");
    if (!level1 || !level2) return;
    const current = level2.value;
    for (const option of level2.options) {
      const fits = !option.value || !level1.value || level2Parent[option.value] === level1.value;
      option.hidden = !fits;
      option.disabled = !fits;
    }
    if (current && level1.value && level2Parent[current] !== level1.value) {
      const first = Array.from(level2.options).find((o) => o.value && !o.disabled);
      level2.value = first ? first.value : "";
    }
  }

  // -- rows -----------------------------------------------------------------------------------------
  function rows() {
    return Array.from(table.querySelectorAll("tbody.ind-row"));
  }

  function liveRows() {
    return rows().filter((row) => !row.classList.contains("is-deleted"));
  }

  function sectionFoot(level1) {
    return table.querySelector(`tbody.ind-section-foot[data-level1="${level1}"]`);
  }

  // Positions follow the page order (grouped by 一级, then as arranged); the visible 序号 too.
  function renumber() {
    liveRows().forEach((row, i) => {
      row.querySelector(".js-position").value = String(i + 1);
      const number = row.querySelector(".js-number");
      if (number) number.textContent = String(i + 1);
    });
  }

  // The 一级 block a row sits in on the page ("" when outside every block, as rows deleted before a
  // failed save are rendered after the table's blocks).
  function sectionOf(row) {
    for (let node = row.previousElementSibling; node; node = node.previousElementSibling) {
      if (node.classList.contains("ind-section-foot")) return "";
      if (node.classList.contains("ind-section-head")) return node.dataset.level1;
    }
    return "";
  }

  function moveToSection(row, level1) {
    const foot = sectionFoot(level1);
    if (!foot) return;
    row.dataset.level1 = level1;
    foot.parentNode.insertBefore(row, foot);
  }

  function addRow(level1) {
    const template = document.getElementById("ind-row-template");
    const total = form.querySelector("#id_ind-TOTAL_FORMS");
    const index = parseInt(total.value, 10);
    // A <table> parses the row's <tbody>; the formset index replaces Django's "__prefix__".
    const wrapper = document.createElement("table");
    wrapper.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    const row = wrapper.querySelector("tbody.ind-row");
    total.value = String(index + 1);
    row.classList.add("is-new");
    row.querySelector(".js-level1").value = level1;
    filterLevel2(row);
    // Forms list the 二级 of a block in the printed order (数量, 质量, 时效, 成本 …): a new row starts with the
    // one after the block's last row (the first when the block is empty or at its last 二级).
    const level2 = row.querySelector(".js-level2");
    const choices = Array.from(level2.options).filter((o) => o.value && !o.disabled);
    const above = liveRows().filter((r) => r.dataset.level1 === level1).pop();
    const previous = above ? above.querySelector(".js-level2").value : "";
    const at = choices.findIndex((o) => o.value === previous);
    const pick = choices[at >= 0 && at + 1 < choices.length ? at + 1 : 0];
    if (pick) level2.value = pick.value;
    moveToSection(row, level1);
    renumber();
    markDirty();
    const name = row.querySelector(`[name="ind-${index}-name"]`);
    if (name) name.focus();
    recompute();
    return row;
  }

  function setDeleted(row, deleted) {
    const box = row.querySelector(".js-delete");
    box.checked = deleted;
    row.classList.toggle("is-deleted", deleted);
    if (deleted) {
      const name = row.querySelector("[name$='-name']");
      const shown = row.querySelector(".js-deleted-name");
      if (name && shown) shown.textContent = name.value.trim() ? `“${name.value.trim()}”` : "";
      const undo = row.querySelector(".js-undo-delete");
      if (undo) undo.focus();
    } else {
      const level1 = row.querySelector(".js-level1").value || row.dataset.level1;
      if (sectionOf(row) !== level1) moveToSection(row, level1);
    }
    renumber();
    markDirty();
    recompute();
  }

  function move(row, step) {
    const siblings = liveRows().filter((r) => r.dataset.level1 === row.dataset.level1);
    const at = siblings.indexOf(row);
    const other = siblings[at + step];
    if (!other) return;
    if (step < 0) other.parentNode.insertBefore(row, other);
    else other.parentNode.insertBefore(row, other.nextSibling);
    renumber();
    markDirty();
    recompute();
    const button = row.querySelector(step < 0 ? ".js-move-up" : ".js-move-down");
    if (button) button.focus();
  }

  function toggleDetails(row, open) {
    const show = open === undefined ? !row.classList.contains("show-details") : open;
    row.classList.toggle("show-details", show);
    const button = row.querySelector(".js-toggle-details");
    if (button) button.setAttribute("aria-expanded", show ? "true" : "false");
  }

  if (table) {
    table.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      const row = button.closest("tbody.ind-row");
      if (button.classList.contains("js-add-row")) addRow(button.dataset.level1);
      else if (!row) return;
      else if (button.classList.contains("js-delete-row")) setDeleted(row, true);
      else if (button.classList.contains("js-undo-delete")) setDeleted(row, false);
      else if (button.classList.contains("js-move-up")) move(row, -1);
      else if (button.classList.contains("js-move-down")) move(row, 1);
      else if (button.classList.contains("js-toggle-details")) toggleDetails(row);
    });
    table.addEventListener("change", (event) => {
      if (!event.target.classList.contains("js-level1")) return;
      const row = event.target.closest("tbody.ind-row");
      filterLevel2(row);
      if (event.target.value && event.target.value !== row.dataset.level1) {
        moveToSection(row, event.target.value);
        renumber();
        event.target.focus();
      }
    });
    if (live) rows().forEach(filterLevel2);
  }

  // The 金额单位 chosen in the header names the unit of the 项目资金 table.
  const amountUnit = document.getElementById("id_amount_unit");
  if (amountUnit) {
    amountUnit.addEventListener("change", () => {
      const chosen = amountUnit.options[amountUnit.selectedIndex];
      document.querySelectorAll(".js-amount-unit").forEach((node) => {
        node.textContent = chosen ? chosen.textContent.trim() : amountUnit.value;
      });
    });
  }

  // -- 佐证材料: a file with the name and size of one already attached is flagged before the upload ------
  // (The panel is replaced by htmx after each upload, hence the listener on the document.)
  document.addEventListener("change", (event) => {
    const input = event.target.closest("input.js-attachment-files");
    if (!input) return;
    const panel = input.closest("[data-testid=attachments]");
    const note = panel && panel.querySelector(".js-attachment-duplicate");
    if (!note) return;
    const attached = new Set(
      Array.from(panel.querySelectorAll("[data-testid=attachment]")).map((item) => `${item.dataset.name}\u0000${item.dataset.size}`),
    );
    const twins = Array.from(input.files || []).filter((file) => attached.has(`${file.name}\u0000${file.size}`));
    note.textContent = twins.length ? note.dataset.message.replace("{names}", twins.map((f) => `“${f.name}”`).join("、")) : "";
    note.classList.toggle("d-none", !twins.length);
  });

  // -- keyboard and paste as in a spreadsheet ----------------------------------------------------------
  // Tab visits the cells a clerk fills, in the printed order (the row tools are out of the tab order and
  // have shortcuts instead); Enter moves down a column, Shift+Enter up, and never saves; Ctrl+Enter saves
  // the draft. A block copied from Excel or WPS (tab- and newline-separated) fills the table from the
  // focused cell, adding indicator rows as needed, and the page says what it could not place.
  const CELL = "select:not([disabled]), input:not([type=hidden]):not([type=checkbox]):not([disabled]), textarea:not([disabled])";
  const fundingTable = document.getElementById("funding");
  const pasteNote = document.getElementById("paste-note");
  const saveButton = form.querySelector("button[name=action][value=save]");

  function cellsOfLine(line) {
    return Array.from(line.querySelectorAll(CELL));
  }

  // The grid a cell belongs to: its lines (indicator rows' main line, or the funding table's rows) and
  // where the cell sits in it.
  function gridOf(cell) {
    const row = cell.closest("tbody.ind-row");
    if (row && cell.closest("tr.ind-main")) {
      const lines = liveRows().map((r) => r.querySelector("tr.ind-main"));
      const line = row.querySelector("tr.ind-main");
      return { kind: "indicators", lines, line: lines.indexOf(line), column: cellsOfLine(line).indexOf(cell) };
    }
    if (fundingTable && fundingTable.contains(cell)) {
      const lines = Array.from(fundingTable.querySelectorAll("tbody tr"));
      const line = cell.closest("tr");
      return { kind: "funding", lines, line: lines.indexOf(line), column: cellsOfLine(line).indexOf(cell) };
    }
    return null;
  }

  function moveDown(cell, step) {
    const grid = gridOf(cell);
    if (!grid || grid.line < 0) return false;
    const next = grid.lines[grid.line + step];
    const target = next && cellsOfLine(next)[grid.column];
    if (target) {
      target.focus();
      if (target.select && target.tagName === "INPUT") target.select();
    }
    return true;
  }

  function nextField(cell, step) {
    const fields = Array.from(form.querySelectorAll(CELL)).filter((f) => f.offsetParent !== null);
    const target = fields[fields.indexOf(cell) + step];
    if (target) target.focus();
  }

  form.addEventListener("keydown", (event) => {
    const cell = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (saveButton && live) form.requestSubmit(saveButton);
      return;
    }
    const row = cell.closest && cell.closest("tbody.ind-row");
    if (row && event.altKey && live) {
      const shortcuts = { ArrowUp: ".js-move-up", ArrowDown: ".js-move-down", Delete: ".js-delete-row", i: ".js-toggle-details" };
      const button = shortcuts[event.key] && row.querySelector(shortcuts[event.key]);
      if (button) {
        event.preventDefault();
        const column = cellsOfLine(row.querySelector("tr.ind-main")).indexOf(cell);
        button.click();
        if (event.key === "ArrowUp" || event.key === "ArrowDown") {
          const again = cellsOfLine(row.querySelector("tr.ind-main"))[column];
          if (again) again.focus();
        }
        return;
      }
    }
    if (event.key !== "Enter" || !cell.matches || !cell.matches(CELL)) return;
    const inGrid = gridOf(cell) !== null;
    if (cell.tagName === "TEXTAREA" && !inGrid) return; // 年度总体目标: Enter starts a new line
    event.preventDefault(); // Enter never saves the form by accident
    if (event.altKey && cell.tagName === "TEXTAREA") {
      // As in Excel: Alt+Enter is a line break within the cell.
      cell.setRangeText("\n", cell.selectionStart, cell.selectionEnd, "end");
      cell.dispatchEvent(new Event("input", { bubbles: true }));
      return;
    }
    if (!moveDown(cell, event.shiftKey ? -1 : 1)) nextField(cell, event.shiftKey ? -1 : 1);
  });

  // Tab- and newline-separated text as Excel and WPS copy it: a cell with a tab, a newline or a quote is
  // quoted, with quotes doubled.
  function parseBlock(text) {
    const lines = [];
    let line = [];
    let value = "";
    let quoted = false;
    for (let i = 0; i < text.length; i += 1) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') {
          value += '"';
          i += 1;
        } else if (ch === '"') quoted = false;
        else value += ch;
      } else if (ch === '"' && value === "") quoted = true;
      else if (ch === "\t") {
        line.push(value);
        value = "";
      } else if (ch === "\n" || ch === "\r") {
        if (ch === "\r" && text[i + 1] === "\n") i += 1;
        line.push(value);
        lines.push(line);
        line = [];
        value = "";
      } else value += ch;
    }
    if (value !== "" || line.length) {
      line.push(value);
      lines.push(line);
    }
    return lines;
  }

  function normalized(text) {
    return String(text).replace(/\s+/g, "").replace(/：/g, ":");
  }

  // A choice is pasted by its label ("产出指标", "数量指标", "数量") or its code.
  function choose(select, text) {
    const wanted = normalized(text);
    if (!wanted) {
      select.value = "";
      return true;
    }
    const options = Array.from(select.options).filter((o) => o.value && !o.disabled);
    const found = options.find((o) => o.value === wanted || normalized(o.textContent) === wanted)
      || options.find((o) => normalized(o.textContent).replace(/指标$/, "") === wanted.replace(/指标$/, ""));
    if (!found) return false;
    select.value = found.value;
    return true;
  }

  function put(cell, text, problems, line) {
    if (cell.tagName === "SELECT") {
      if (!choose(cell, text)) {
        problems.push(
          pasteNote.dataset.notChoice.replace("{n}", String(line)).replace("{field}", label(cell)).replace("{value}", text),
        );
        return;
      }
      cell.dispatchEvent(new Event("change", { bubbles: true }));
    } else {
      cell.value = cell.tagName === "TEXTAREA" ? text : text.trim();
      cell.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  function label(cell) {
    const own = cell.labels && cell.labels[0];
    if (own) return own.textContent.trim();
    return cell.getAttribute("aria-label") || cell.name;
  }

  form.addEventListener("paste", (event) => {
    const cell = event.target;
    if (!live || !pasteNote || !cell.matches || !cell.matches(CELL)) return;
    const text = (event.clipboardData || window.clipboardData).getData("text/plain");
    if (!/[\t\n]/.test(text.replace(/[\r\n]+$/, ""))) return; // one cell: the browser pastes it
    const grid = gridOf(cell);
    if (!grid || grid.line < 0 || grid.column < 0) return;
    event.preventDefault();
    const block = parseBlock(text);
    const problems = [];
    let placed = 0;
    let added = 0;
    // The lines as they were before the paste: a pasted 一级 moves its row to that block, not the next line.
    const lines = grid.lines.slice(grid.line);
    block.forEach((values, i) => {
      let line = lines[i];
      if (!line && grid.kind === "indicators") {
        const last = lines[lines.length - 1].closest("tbody.ind-row");
        line = addRow(last.dataset.level1).querySelector("tr.ind-main");
        lines.push(line);
        added += 1;
      }
      if (!line) {
        problems.push(pasteNote.dataset.noRow.replace("{n}", String(i + 1)).replace("{values}", values.join(" ")));
        return;
      }
      const cells = cellsOfLine(line);
      values.forEach((value, j) => {
        const target = cells[grid.column + j];
        if (!target) {
          if (value.trim()) problems.push(pasteNote.dataset.noColumn.replace("{n}", String(i + 1)).replace("{value}", value));
          return;
        }
        put(target, value, problems, i + 1);
        placed += 1;
      });
    });
    pasteNote.textContent = pasteNote.dataset.done
      .replace("{cells}", String(placed))
      .replace("{rows}", String(added))
      + (problems.length ? " " + pasteNote.dataset.problems.replace("{problems}", problems.join("；")) : "");
    pasteNote.classList.toggle("text-danger", problems.length > 0);
    pasteNote.classList.remove("d-none");
    markDirty();
    recompute();
    cell.focus();
  });

  // The focused field is never under the sticky save bar.
  const actionBar = form.querySelector(".action-bar");
  form.addEventListener("focusin", (event) => {
    if (!actionBar || !event.target.getBoundingClientRect) return;
    const bar = actionBar.getBoundingClientRect();
    const box = event.target.getBoundingClientRect();
    if (event.target.closest(".action-bar")) return;
    if (box.bottom > bar.top - 8) window.scrollBy(0, box.bottom - bar.top + 24);
  });

  // -- links from the checks panel (and the error summary) to their field --------------------------
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.js-goto");
    if (!link) return;
    const hash = link.hash ? decodeURIComponent(link.hash.slice(1)) : "";
    const target = hash && document.getElementById(hash);
    if (!target) return;
    event.preventDefault();
    const row = target.closest("tbody.ind-row");
    if (row) {
      if (row.classList.contains("is-deleted")) setDeleted(row, false);
      if (target.closest(".ind-details")) toggleDetails(row, true);
    }
    target.scrollIntoView({ block: "center", behavior: "smooth" });
    target.focus({ preventScroll: true });
    target.classList.remove("goto-flash");
    void target.offsetWidth; // restart the highlight
    target.classList.add("goto-flash");
    history.replaceState(null, "", `#${hash}`);
  });
})();
