"""Reading architecture files (TOML, shorthand, blocks, expressions) into a Network."""
