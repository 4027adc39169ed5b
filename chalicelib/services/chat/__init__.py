"""The applicant's side of the chat: the conversation, its replies, files sent in the chat; with its ports."""
