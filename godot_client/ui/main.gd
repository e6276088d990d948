extends Control
## The Studio's first screen: composes the components, creates the backend client with the
## endpoints from the user arguments, and turns picks on the latent plane into decodes.
## `-- --tab=training|runs|log` opens the side panel on that tab.

var _auto_decoded: bool = false

@onready var _latent_view: LatentView = %LatentView
@onready var _inspector: InspectorPanel = %InspectorPanel
@onready var _tabs: TabContainer = %Tabs
@onready var _runs: RunsPanel = %Runs


func _ready() -> void:
	var client := VaeStudioClient.new()
	client.name = "VaeStudioClient"
	# Endpoints are set before the client enters the tree, where it connects by itself.
	StudioSession.attach_client(client)
	add_child(client)
	_latent_view.point_picked.connect(_on_point_picked)
	StudioSession.latent_received.connect(_on_latent_received)
	StudioSession.run_changed.connect(_on_run_changed)
	var tab: String = str(StudioSession.options.get("tab", "")).to_lower()
	for i in _tabs.get_tab_count():
		if _tabs.get_tab_title(i).to_lower() == tab:
			_tabs.current_tab = i
	if StudioSession.options.has("screenshot"):
		var capture := ScreenshotCapture.new()
		capture.name = "ScreenshotCapture"
		capture.latent_view = _latent_view
		capture.image_view = _inspector.image_view()
		capture.runs_panel = _runs
		capture.configure(StudioSession.options)
		add_child(capture)


func _on_point_picked(z2: Vector2) -> void:
	var dim: int = maxi(StudioSession.latent_dim(), 1)
	var z := PackedFloat32Array()
	z.resize(dim)
	z.fill(0.0)
	z[0] = z2.x
	if dim > 1:
		z[1] = z2.y
	StudioSession.request_decode(z)


## The first latent frame decodes its centroid (or the point given as `--decode-at=X,Y`), so
## the inspector never starts empty.
func _on_latent_received(frame: StudioLatentFrame) -> void:
	if _auto_decoded or frame.count == 0:
		return
	_auto_decoded = true
	var at: PackedStringArray = str(StudioSession.options.get("decode-at", "")).split(",")
	if at.size() == 2 and at[0].is_valid_float() and at[1].is_valid_float():
		_on_point_picked(Vector2(at[0].to_float(), at[1].to_float()))
	else:
		StudioSession.request_decode(frame.centroid())


## A new, reset or loaded run: its first latent frame decodes again (its width may differ).
func _on_run_changed(_run: String) -> void:
	_auto_decoded = false
