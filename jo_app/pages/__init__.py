"""Pages (UI only: they bind components to states)."""
