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
    const level2 = row.querySelector(".js-level2");
    const first = Array.from(level2.options).find((o) => o.value && !o.disabled);
    if (first) level2.value = first.value;
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
      document.querySelectorAll(".js-amount-unit").forEach((node) => {
        node.textContent = amountUnit.value;
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
