"""The secure upload page: links, pre-signed uploads and their checks; with their ports."""
