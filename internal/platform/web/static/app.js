// nongfu: small progressive enhancements; every page works without this file.
document.addEventListener("click", function (e) {
  var t = e.target.closest("[data-toggle-menu]");
  if (t) { document.body.classList.toggle("menu-open"); }
  var c = e.target.closest("[data-confirm]");
  if (c && !window.confirm(c.getAttribute("data-confirm"))) { e.preventDefault(); }
});
// Forms survive a dropped connection: unsent field values are kept in sessionStorage until the form is sent.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-keep]").forEach(function (f) {
    var key = "form:" + location.pathname + ":" + f.getAttribute("data-keep");
    try {
      var saved = JSON.parse(sessionStorage.getItem(key) || "{}");
      Object.keys(saved).forEach(function (n) {
        var el = f.elements[n];
        if (el && !el.value && el.type !== "password" && el.type !== "file") { el.value = saved[n]; }
      });
    } catch (err) {}
    f.addEventListener("input", function () {
      var data = {};
      Array.prototype.forEach.call(f.elements, function (el) {
        if (el.name && el.type !== "password" && el.type !== "file" && el.type !== "hidden") { data[el.name] = el.value; }
      });
      try { sessionStorage.setItem(key, JSON.stringify(data)); } catch (err) {}
    });
    f.addEventListener("submit", function () { try { sessionStorage.removeItem(key); } catch (err) {} });
  });
});
