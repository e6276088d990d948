extends Control
## The Studio's first screen: composes the components, starts the session's backend client and
## turns picks on the latent plane into decodes. `-- --tab=training|runs|log` opens the side
## panel on that tab, `-- --view="data flow"|dashboard|"use cases"` the main area on that view
## and `-- --use-case=denoise|anomaly|style|compression|features|generation` that use case's page;
## `--control=`, `--stream=` and `--token=` pick the backend (the connect dialog changes them
## later). The notice bar ([StudioNotice]) floats over the bottom of the main view, under the
## waiting overlay.

const NOTICE_SCENE: PackedScene = preload("res://ui/studio_notice.tscn")
## How far the notice bar keeps from the main view's bottom edge (above the axis labels).
const NOTICE_MARGIN := Vector2(16, 44)
## The notice bar's widest.
const NOTICE_WIDTH: float = 680.0

## The notice bar (made here, so main.tscn stays as the other components left it).
var notice: StudioNotice

var _auto_decoded: bool = false
var _placing: bool = false

@onready var _latent_view: LatentView = %LatentView
@onready var _tabs: TabContainer = %Tabs
@onready var _views: TabContainer = %Views
@onready var _status_bar: StatusBar = %StatusBar
@onready var _overlay: BackendOverlay = %BackendOverlay
@onready var _connect_dialog: ConnectDialog = %ConnectDialog


func _ready() -> void:
	StudioSession.start(self)
	notice = NOTICE_SCENE.instantiate()
	notice.name = "StudioNotice"
	add_child(notice)
	move_child(notice, _overlay.get_index())
	_views.resized.connect(_place_notice)
	notice.resized.connect(_place_notice)
	notice.visibility_changed.connect(_place_notice)
	_latent_view.point_picked.connect(_on_point_picked)
	_latent_view.row_selected.connect(StudioDataPoint.inspect)
	_status_bar.connect_requested.connect(_connect_dialog.open)
	_overlay.connect_requested.connect(_connect_dialog.open)
	StudioSession.latent_received.connect(_on_latent_received)
	StudioSession.run_changed.connect(_on_run_changed)
	_open_tab(_tabs, str(StudioSession.options.get("tab", "")))
	_open_tab(_views, str(StudioSession.options.get("view", "")))
	var use_case: String = str(StudioSession.options.get("use-case", ""))
	if not use_case.is_empty():
		_open_tab(_views, "use cases")
		_open_tab(%UseCases, use_case)


## Opens the tab of `tabs` titled `title` (any case); nothing when none is.
static func _open_tab(tabs: TabContainer, title: String) -> void:
	for i in tabs.get_tab_count():
		if tabs.get_tab_title(i).to_lower() == title.to_lower():
			tabs.current_tab = i


## Centres the notice bar over the bottom of the main view, as wide as its text needs.
func _place_notice() -> void:
	if _placing:
		return
	_placing = true  # setting the size below emits `resized` again
	var area: Rect2 = _views.get_global_rect()
	var width: float = minf(NOTICE_WIDTH, area.size.x - 2.0 * NOTICE_MARGIN.x)
	notice.size = Vector2(width, 0.0)
	notice.position = Vector2(
		area.position.x + (area.size.x - width) / 2.0, area.end.y - NOTICE_MARGIN.y - notice.size.y
	)
	_placing = false


## A pick on the plane decodes the full z there (the session maps it through the anchor).
func _on_point_picked(p: Vector2) -> void:
	StudioSession.decode_point(p)


## The first latent frame decodes its center (the data mean), so the inspector never starts
## empty.
func _on_latent_received(frame: StudioLatentFrame) -> void:
	if _auto_decoded or frame.count == 0:
		return
	_auto_decoded = true
	StudioSession.request_decode(frame.center)


## A new, reset or loaded run: its first latent frame decodes again (its width may differ).
func _on_run_changed(_run: String) -> void:
	_auto_decoded = false
