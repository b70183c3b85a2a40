"""The generated documentation site: synth -> model -> pages -> mkdocs."""
