"""Write use cases of the community's lifecycle: checklists, reminders, monthly summaries (#14)."""
