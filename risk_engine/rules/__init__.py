"""One module per rule; each a pure function returning `list[AlertDraft]`."""
