// 审核 pages: ask before a decision that cannot be taken back by the person who makes it
// (approval locks the form; a return notifies the unit). No inline handlers: the CSP allows our files only.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});
