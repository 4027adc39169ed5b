"""A local WhatsApp Cloud API simulator for development and tests.

Graph side (what the app calls): ``POST /<version>/<phone_number_id>/messages`` and the two-step media
download.  Phone side (what a person or a test drives): ``POST /_simulator/inbound`` and the other
``/_simulator/*`` endpoints.  Start it with :func:`devtools.simulator.server.start` or
``python -m devtools.simulator``; build the bare Flask app with :func:`devtools.simulator.app.create_app`.

Phone side:
- ``POST /_simulator/inbound``: ``{"from": "+39…"}`` or ``{"user_id": "IT.…"}`` (a username user, no phone), optional
  ``"name"``, and one of ``"text"``, ``"file": {"path"} | {"base64", "mime_type", "filename", "caption"}``,
  ``"button_reply": {"id", "title"}``, ``"list_reply": {"id", "title"}``, ``"raw_message": {…}``; optional
  ``"phone_number_id"``: the business number written to (default ``WHATSAPP_PHONE_NUMBER_ID``; any number of the
  account, even one the app does not know). The app may send from the main number and from
  ``WHATSAPP_OTHER_PHONE_NUMBER_IDS`` (comma-separated; ``make run`` passes each office's own number); each
  listed message says which in ``phone_number_id``.
- ``POST /_simulator/flush {"mode": "batch" | "reverse" | "in_order"}``: deliver held webhooks.
- ``GET /_simulator/messages?to=…&since=…``: what the app sent; ``GET /_simulator/webhooks``: what was delivered.
  Each message has a one-line ``preview`` and ``links``, the URLs the user could open: a text's links, and each
  template URL button resolved against ``UPLOAD_PAGE_URL`` (the base every template's button is registered with).

Switches (``GET``/``POST /_simulator/config``, partial updates; ``POST /_simulator/reset`` clears everything):
``duplicate`` (deliver each webhook N times, concurrently), ``hold`` (queue inbound webhooks until a flush),
``window_hours`` (the customer-service window, 24), ``statuses`` (which status webhooks follow a send),
``throughput_limit`` (messages per second, error 130429), ``pair_rate_limit`` and ``pair_rate_seconds``
(error 131056), ``fail_next_sends`` (``{"code": 131026, "count": 1}``: accepted, then a ``failed`` status),
``media_errors`` (the next N media requests answer 500), ``webhook_url``. ``POST /_simulator/clock
{"advance_seconds": N}`` moves the simulator's clock (the window, media URL expiry).
"""
