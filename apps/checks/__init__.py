"""The check API agents call before acting, the decision log, and the adapter that turns
stored policy versions into the engine's compiled form."""
