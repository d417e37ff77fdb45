"""The catalogs policy documents refer to: actions, signals, data categories, templates."""
