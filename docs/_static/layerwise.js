/* Figures open at full size on a click (Esc, a click or a tap closes them); the full size is the
   largest image of the figure's srcset (sphinx-gallery's 2x image) or the image itself. On a
   screen narrower than the image, the enlarged image scrolls in both directions. */
(function () {
  "use strict";
  function largest(img) {
    const set = img.getAttribute("srcset");
    if (!set) return img.currentSrc || img.src;
    let best = img.currentSrc || img.src, scale = 0;
    set.split(",").forEach(part => {
      const [url, size] = part.trim().split(/\s+/);
      const s = parseFloat(size || "1");
      if (url && s > scale) { scale = s; best = new URL(url, document.baseURI).href; }
    });
    return best;
  }
  function open(img) {
    const box = document.createElement("div");
    box.className = "lw-lightbox";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", img.alt || "figure");
    const big = document.createElement("img");
    big.src = largest(img);
    big.alt = img.alt || "";
    box.appendChild(big);
    big.addEventListener("load", () => {
      if (big.naturalWidth > window.innerWidth * 1.6) box.classList.add("lw-lightbox-scroll");
    });
    const close = () => { box.remove(); document.removeEventListener("keydown", onKey); };
    const onKey = e => { if (e.key === "Escape") close(); };
    box.addEventListener("click", close);
    document.addEventListener("keydown", onKey);
    document.body.appendChild(box);
  }
  function setup() {
    const selector = "article img.sphx-glr-single-img, article img.sphx-glr-multi-img, article figure img";
    document.querySelectorAll(selector).forEach(img => {
      if (img.closest("a")) return;           // already a link
      img.classList.add("lw-zoomable");
      img.setAttribute("tabindex", "0");
      img.setAttribute("title", (document.documentElement.lang || "").startsWith("zh") ? "点击放大" : "Click to enlarge");
      img.addEventListener("click", () => open(img));
      img.addEventListener("keydown", e => { if (e.key === "Enter") open(img); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
