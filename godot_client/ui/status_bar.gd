class_name StatusBar
extends PanelContainer
## The top bar: connection state, run, data set and whether the model is training.

@onready var _dot: Label = $Row/Dot
@onready var _connection: Label = $Row/Connection
@onready var _run: Label = $Row/Run
@onready var _state: Label = $Row/State


func _ready() -> void:
	StudioSession.connection_changed.connect(_on_connection_changed)
	StudioSession.status_received.connect(_on_status_received)
	_on_connection_changed(StudioSession.connected)


func _on_connection_changed(connected: bool) -> void:
	var color: Color = StudioPalette.OK if connected else StudioPalette.WARN
	_dot.add_theme_color_override("font_color", color)
	if connected:
		_connection.text = "connected to %s" % StudioSession.control_endpoint()
	else:
		_connection.text = "waiting for %s" % StudioSession.control_endpoint()
		_state.text = ""


func _on_status_received(status: Dictionary) -> void:
	var parts: PackedStringArray = []
	var dataset: Variant = status.get("dataset")
	if dataset is Dictionary:
		parts.append("data: %s (%s)" % [dataset.get("name", "?"), str(dataset.get("n", "?"))])
	if status.has("latent_dim"):
		parts.append("latent dim %s" % str(status["latent_dim"]))
	if status.has("run"):
		parts.append("run %s" % str(status["run"]))
	if status.has("clients"):
		parts.append("%s client(s)" % str(status["clients"]))
	_run.text = "   ·   ".join(parts)
	var state: String = str(status.get("state", ""))
	_state.text = state.to_upper()
	var color: Color = StudioPalette.OK if state == "training" else StudioPalette.WARN
	_state.add_theme_color_override("font_color", color)
