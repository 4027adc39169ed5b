// Sportello: the secure upload page's only script (served as /assets/upload.js; no inline script anywhere).
// For each file: shrink big photos on the phone (fewer bytes on a weak connection, and the re-encoding drops
// photo metadata), compute its SHA-256, ask the app for a one-key upload form, post the file straight to
// storage with a progress bar, then ask the app to check it. Photos taken with the camera button are pages: they
// are collected until "Send", and several go as one PDF. Texts come from data- attributes of #texts.
"use strict";
(function () {
  var texts = document.getElementById("texts");
  if (!texts) return;
  var MAX_BYTES = parseInt(texts.getAttribute("data-max-bytes"), 10);
  var SHRINK_ABOVE_BYTES = 1500000;
  var MAX_SIDE = 2400; // enough to read an A4 page
  var ATTEMPTS = 3;
  var base = window.location.pathname.replace(/\/+$/, "");

  function say(name) {
    return texts.getAttribute("data-" + name) || "";
  }

  function problemText(code) {
    return say("problem-" + String(code || "").replace(/_/g, "-")) || say("state-failed");
  }

  function show(item, text, kind) {
    var status = item.querySelector(".status");
    status.textContent = text;
    status.className = "status" + (kind ? " " + kind : "");
  }

  function progress(item, percent) {
    var bar = item.querySelector("progress");
    if (percent === null) {
      bar.hidden = true;
      return;
    }
    bar.hidden = false;
    bar.value = percent;
  }

  function busy(item, value) {
    item.querySelectorAll("input, button").forEach(function (control) {
      control.disabled = value;
    });
  }

  // Large or unusual photos are redrawn as a JPEG of at most MAX_SIDE pixels: fewer bytes on a weak connection,
  // and no photo metadata. A format the browser cannot draw goes as it is: the app decides.
  function shrink(file) {
    var isImage = /^image\//.test(file.type);
    var kept = file.type === "image/jpeg" || file.type === "image/png";
    if (!isImage || (kept && file.size <= SHRINK_ABOVE_BYTES) || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return toJpeg(file).then(function (page) {
      return page.blob.size < file.size || !kept ? page.blob : file;
    }, function () {
      return file;
    });
  }

  function sha256(blob) {
    return blob.arrayBuffer().then(function (buffer) {
      return crypto.subtle.digest("SHA-256", buffer);
    }).then(function (digest) {
      return Array.prototype.map.call(new Uint8Array(digest), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
    });
  }

  function api(path, body) {
    return fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    }).then(function (response) {
      return response.json().catch(function () {
        return {};
      }).then(function (data) {
        if (!response.ok) {
          var error = new Error("refused");
          error.code = (data.error && data.error.code) || "failed";
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function post(form, blob, item) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      Object.keys(form.fields).forEach(function (name) {
        data.append(name, form.fields[name]);
      });
      data.append("file", blob); // S3 wants the file last
      var request = new XMLHttpRequest();
      request.open("POST", form.url);
      request.upload.onprogress = function (event) {
        if (event.lengthComputable) progress(item, Math.round((event.loaded / event.total) * 100));
      };
      request.onload = function () {
        if (request.status >= 200 && request.status < 300) resolve();
        else reject(new Error("storage " + request.status));
      };
      request.onerror = function () {
        reject(new Error("network"));
      };
      request.send(data);
    });
  }

  function postWithRetries(form, blob, item, attempt) {
    return post(form, blob, item).catch(function (error) {
      if (attempt >= ATTEMPTS) throw error;
      return new Promise(function (resolve) {
        setTimeout(resolve, 1000 * attempt);
      }).then(function () {
        return postWithRetries(form, blob, item, attempt + 1);
      });
    });
  }

  // The file is in storage: a lost answer (weak connection) is asked again; confirming twice is harmless.
  function confirmWithRetries(path, digest, attempt) {
    return api(path, { sha256: digest }).catch(function (error) {
      if (error.code || attempt >= ATTEMPTS) throw error; // the app answered: no point asking again
      return new Promise(function (resolve) {
        setTimeout(resolve, 1000 * attempt);
      }).then(function () {
        return confirmWithRetries(path, digest, attempt + 1);
      });
    });
  }

  function received(item) {
    progress(item, null);
    show(item, "✓ " + say("state-received"), "ok");
    item.classList.add("done");
    item.querySelector(".actions").hidden = true;
  }

  function send(item, file, onFailure) {
    busy(item, true);
    show(item, say("state-preparing"));
    var code = item.getAttribute("data-item");
    var blob;
    shrink(file)
      .then(function (result) {
        blob = result;
        if (blob.size > MAX_BYTES) {
          var error = new Error("too large");
          error.code = "too_large";
          throw error;
        }
        return sha256(blob);
      })
      .then(function (digest) {
        var type = blob.type || file.type;
        return api("/uploads", { item: code, content_type: type, size: blob.size }).then(function (ticket) {
          show(item, say("state-sending"));
          progress(item, 0);
          return postWithRetries(ticket.form, blob, item, 1).then(function () {
            show(item, say("state-checking"));
            return confirmWithRetries("/uploads/" + ticket.upload_id, digest, 1);
          });
        });
      })
      .then(function () {
        item.pages = [];
        received(item);
      })
      .catch(function (error) {
        if (error.code === "link_unavailable") {
          window.location.reload(); // the page then says why, and how to get a new link
          return;
        }
        progress(item, null);
        show(item, error.code ? problemText(error.code) : say("state-failed"), "err");
        busy(item, false);
        if (onFailure) onFailure();
      });
  }

  // A photo redrawn as a JPEG of at most MAX_SIDE pixels, with its size (re-encoding drops photo metadata).
  function toJpeg(file) {
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (blob) resolve({ blob: blob, width: canvas.width, height: canvas.height });
          else reject(new Error("encode"));
        }, "image/jpeg", 0.85);
      });
    });
  }

  // A document of several pages, photographed page by page: each photo is a JPEG page, and "Send" posts one PDF
  // of them all (one photo goes as it is).
  // The smallest valid PDF: one A4-wide page per JPEG, drawn full page (DCTDecode: the JPEG bytes as they are).
  function pdfOf(pages) {
    return Promise.all(pages.map(function (page) {
      return page.blob.arrayBuffer();
    })).then(function (buffers) {
      var encoder = new TextEncoder();
      var parts = [];
      var offsets = [];
      var length = 0;
      function add(part) {
        var bytes = typeof part === "string" ? encoder.encode(part) : part;
        parts.push(bytes);
        length += bytes.length;
      }
      function object(number, body) {
        offsets[number] = length;
        add(number + " 0 obj\n" + body[0]);
        if (body.length > 1) add(body[1]);
        add((body[2] || "") + "\nendobj\n");
      }
      var count = pages.length;
      var kids = pages.map(function (_, i) {
        return 3 + 3 * i + " 0 R";
      }).join(" ");
      add("%PDF-1.4\n");
      object(1, ["<< /Type /Catalog /Pages 2 0 R >>"]);
      object(2, ["<< /Type /Pages /Kids [" + kids + "] /Count " + count + " >>"]);
      pages.forEach(function (page, i) {
        var n = 3 + 3 * i;
        var width = 595;
        var height = Math.round((595 * page.height) / page.width);
        var image = new Uint8Array(buffers[i]);
        var draw = "q " + width + " 0 0 " + height + " 0 0 cm /Im0 Do Q";
        object(n, ["<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + width + " " + height + "] " +
          "/Resources << /XObject << /Im0 " + (n + 1) + " 0 R >> >> /Contents " + (n + 2) + " 0 R >>"]);
        object(n + 1, ["<< /Type /XObject /Subtype /Image /Width " + page.width + " /Height " + page.height +
          " /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length " + image.length +
          " >>\nstream\n", image, "\nendstream"]);
        object(n + 2, ["<< /Length " + draw.length + " >>\nstream\n" + draw + "\nendstream"]);
      });
      var size = 3 + 3 * count;
      var xref = length;
      add("xref\n0 " + size + "\n0000000000 65535 f \n");
      for (var k = 1; k < size; k++) add(("0000000000" + offsets[k]).slice(-10) + " 00000 n \n");
      add("trailer\n<< /Size " + size + " /Root 1 0 R >>\nstartxref\n" + xref + "\n%%EOF\n");
      return new Blob(parts, { type: "application/pdf" });
    });
  }

  function addPage(item, file) {
    busy(item, true);
    show(item, say("state-preparing"));
    toJpeg(file)
      .then(function (page) {
        item.pages.push(page);
        show(item, say("pages-ready").replace("{count}", String(item.pages.length)));
        item.querySelector("button.send").hidden = false;
      }, function () {
        show(item, problemText("wrong_type"), "err"); // a format the browser cannot read
      })
      .then(function () {
        busy(item, false);
      });
  }

  function sendPages(item) {
    var pages = item.pages;
    if (!pages.length) return;
    item.querySelector("button.send").hidden = true;
    var ready = pages.length === 1 ? Promise.resolve(pages[0].blob) : pdfOf(pages);
    ready.then(function (blob) {
      send(item, blob, function () {
        item.querySelector("button.send").hidden = false; // failed: the pages are kept for another try
      });
    });
  }

  document.querySelectorAll("li.item").forEach(function (item) {
    item.pages = [];
    item.querySelectorAll("input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        input.value = "";
        if (!file) return;
        if (input.hasAttribute("capture")) addPage(item, file);
        else send(item, file);
      });
    });
    item.querySelector("button.send").addEventListener("click", function () {
      sendPages(item);
    });
  });
})();
