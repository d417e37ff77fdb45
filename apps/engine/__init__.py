"""The decision engine: plain Python over frozen values. It takes a compiled policy, the
facts about the agent and the request, and returns a Decision; it never touches the ORM,
settings or a clock it is not given."""
