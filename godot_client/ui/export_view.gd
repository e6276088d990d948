class_name ExportView
extends VBoxContainer
## Exports a run's files to this machine and what the Studio shows as pictures and tables
## (placeholder: filled by issue 11's export work).
