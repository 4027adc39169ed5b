"""WhatsApp messages in and out: the webhook ingest, processing, sending once, notices, the thread."""
