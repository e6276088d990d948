class_name ExportView
extends VBoxContainer
## The Export page of the main area: a run's files copied to this machine (run.export, then
## run.fetch in chunks, checked by SHA-256; [ExportRunSection]) and pictures and tables of what
## the Studio shows ([ExportStudioSection]). It only hands the sections the panels they read
## and opens itself when the Runs tab's Export… asks.

## The panels whose pictures the Studio section saves, and the Runs tab (its Export… opens
## this page); set in main.tscn.
@export var latent_view: LatentView
@export var inspector: InspectorPanel
@export var interpolation: InterpolationPanel
@export var grid: GridPanel
@export var runs_panel: RunsPanel

@onready var run_section: ExportRunSection = $Sections/RunSection
@onready var studio_section: ExportStudioSection = $Sections/StudioSection


func _ready() -> void:
	studio_section.latent_view = latent_view
	studio_section.inspector = inspector
	studio_section.interpolation = interpolation
	studio_section.grid = grid
	if runs_panel != null:
		runs_panel.export_requested.connect(open_for)


## Shows this page with run `run` picked (the Runs tab's Export… does this for the live run).
func open_for(run: String) -> void:
	var page: Control = get_parent() as Control
	var tabs: TabContainer = page.get_parent() as TabContainer if page != null else null
	if tabs != null:
		tabs.current_tab = page.get_index()
	run_section.select_run(run)
	run_section.refresh_runs()
