"""Tables to text: rich and plain tables, JSON, CSV, Markdown, diagrams, plots and HTML."""
