// Sportello: the secure upload page's only script (served as /assets/upload.js; no inline script anywhere).
// For each file: shrink big photos on the phone (fewer bytes on a weak connection, and the re-encoding drops
// photo metadata), compute its SHA-256, ask the app for a one-key upload form, post the file straight to
// storage with a progress bar, then ask the app to check it. Texts come from data- attributes of #texts.
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
    item.querySelectorAll("input").forEach(function (input) {
      input.disabled = value;
    });
  }

  function shrink(file) {
    var isImage = /^image\//.test(file.type);
    var kept = file.type === "image/jpeg" || file.type === "image/png";
    if (!isImage || (kept && file.size <= SHRINK_ABOVE_BYTES) || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob && (blob.size < file.size || !kept) ? blob : file);
        }, "image/jpeg", 0.85);
      });
    }, function () {
      return file; // a format the browser cannot draw: the app decides
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

  function send(item, file) {
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
      });
  }

  document.querySelectorAll("li.item").forEach(function (item) {
    item.querySelectorAll("input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () {
        if (input.files && input.files[0]) send(item, input.files[0]);
        input.value = "";
      });
    });
  });
})();
