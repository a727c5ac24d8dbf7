"""Activities: one class per backend holding its clients; each method is one lifecycle step
with a stable kebab-case name (``activities.steps``), one pydantic input and one result
model, that reads the current state first and changes only what is missing."""
