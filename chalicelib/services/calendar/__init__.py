"""The counter calendar: the office's hours and slots, free places, and booking the counter visit; with its ports."""
