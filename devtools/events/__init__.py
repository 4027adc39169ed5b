"""The parts of the local event runner (``devtools.event_runner``): what Lambda event sources do in AWS."""
