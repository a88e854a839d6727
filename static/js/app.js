// Small behaviours shared by every page (no inline scripts: the CSP allows only our own files).
document.addEventListener("change", (event) => {
  if (event.target.matches(".js-autosubmit")) event.target.form.submit();
});
