// 审核 pages: ask before a decision that cannot be taken back by the person who makes it
// (approval locks the form; a return notifies the unit). No inline handlers: the CSP allows our files only.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

// 审核队列: the header box ticks every form of the page that may be approved together (no error, no flag).
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-pick-all]");
  if (!all) return;
  for (const box of document.querySelectorAll("input[name=pick][data-batchable]")) box.checked = all.checked;
});
