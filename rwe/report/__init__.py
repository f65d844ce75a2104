"""Study reports: Kaplan-Meier figures and HTML / Markdown / JSON / CSV rendering."""
