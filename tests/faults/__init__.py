"""The fault-injection suite (issue 16): the real app under Graph, DynamoDB, crash and redelivery faults, checked
against a clean run of the same scenario."""
