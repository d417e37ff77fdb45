// Small progressive enhancements; every page works without them.
document.addEventListener("click", (event) => {
  // Close open menus (org switcher, user menu) when clicking elsewhere.
  document.querySelectorAll("details.switcher[open], details.usermenu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});
